/**
 * Packet capture in a network namespace: the host's own tcpdump (or dumpcap) run inside the namespace over
 * the open connection, its pcap streamed to a local file, its decoded lines handed to the caller as they
 * come. Planning validates every input against the Snapshot; `startCapture` runs a plan and stops it on
 * request, on its limits (packets, seconds, bytes) or when the host's tool ends. No vscode import: the
 * terminal layer, the CLI and the lab tests all use this.
 */
import { once } from 'events';
import * as fs from 'fs';
import {
  CaptureCommandSpec,
  captureCheckArgv,
  captureRunArgv,
  captureToolsArgv,
  displayCommand,
  stopCaptureArgv,
} from '../host/commandLine';
import type { CancellationTokenLike, ExecResult, HostConnection } from '../host/hostConnection';
import type { Snapshot } from '../model/snapshot';
import { type Endpoint, endpointIdentity, type EndpointSpec, parseEndpoint, resolveEndpoint } from './endpoint';
import { requireInterface, shown, validateInterfaceName, WorkflowError } from './validate';

/** What the host offers for capturing, from one command (`captureToolsArgv`). */
export interface CaptureTools {
  tcpdump: boolean;
  dumpcap: boolean;
  tshark: boolean;
  timeout: boolean;
  tee: boolean;
  /** `ID` and `ID_LIKE` of /etc/os-release, lower case: `debian`, `ubuntu debian`, `alpine`, ... */
  distro: string[];
}

export function parseCaptureTools(stdout: string): CaptureTools {
  const tools = new Set<string>();
  const distro: string[] = [];
  for (const line of stdout.split('\n')) {
    const t = /^tool ([a-z]+)$/.exec(line.trim());
    if (t) tools.add(t[1]);
    const d = /^(?:ID|ID_LIKE)="?([A-Za-z0-9 ._-]*)"?$/.exec(line.trim());
    if (d) distro.push(...d[1].toLowerCase().split(/\s+/).filter(Boolean));
  }
  return {
    tcpdump: tools.has('tcpdump'),
    dumpcap: tools.has('dumpcap'),
    tshark: tools.has('tshark'),
    timeout: tools.has('timeout'),
    tee: tools.has('tee'),
    distro,
  };
}

export async function probeCaptureTools(conn: HostConnection): Promise<CaptureTools> {
  const r = await conn.exec(captureToolsArgv(), { privileged: true, timeoutMs: 15_000 });
  return parseCaptureTools(r.stdout);
}

/** The command that installs tcpdump on a host of this distribution. */
export function installHint(distro: readonly string[]): string {
  const has = (...ids: string[]) => ids.some((i) => distro.includes(i));
  if (has('debian', 'ubuntu')) return 'sudo apt-get install tcpdump';
  if (has('fedora', 'rhel', 'centos', 'rocky', 'almalinux', 'amzn')) return 'sudo dnf install tcpdump';
  if (has('suse', 'opensuse', 'sles', 'opensuse-leap', 'opensuse-tumbleweed')) return 'sudo zypper install tcpdump';
  if (has('alpine')) return 'sudo apk add tcpdump';
  if (has('arch')) return 'sudo pacman -S tcpdump';
  return "your distribution's tcpdump package";
}

export function missingToolMessage(hostLabel: string, tools: CaptureTools): string {
  return (
    `${hostLabel} has neither tcpdump nor dumpcap, which Capture Packets runs on the host. Install the package ` +
    `tcpdump there (${installHint(tools.distro)}), then try again. Nothing was started.`
  );
}

export interface CaptureLimits {
  /** The capture stops after this many packets. */
  packets: number;
  /** ... or after this many seconds. */
  seconds: number;
  /** ... or once the pcap file reaches this many bytes. */
  bytes: number;
  /** Bytes kept of each packet (tcpdump -s). */
  snaplen: number;
}

export const DEFAULT_LIMITS: CaptureLimits = { packets: 10_000, seconds: 300, bytes: 100 * 1024 * 1024, snaplen: 262_144 };
const LIMIT_MAX: CaptureLimits = { packets: 10_000_000, seconds: 86_400, bytes: 64 * 1024 * 1024 * 1024, snaplen: 262_144 };
const FILTER_MAX = 2048;

export function validateLimits(l: CaptureLimits): CaptureLimits {
  for (const k of ['packets', 'seconds', 'bytes', 'snaplen'] as const) {
    const v = l[k];
    if (!Number.isSafeInteger(v) || v < 1 || v > LIMIT_MAX[k]) {
      throw new WorkflowError('bad-option', `The capture's ${k} limit must be a whole number from 1 to ${LIMIT_MAX[k]}, not ${shown(String(v))}.`);
    }
  }
  return l;
}

/**
 * A BPF filter as the user typed it: one line of printable text. Its syntax is for the host's tool to
 * judge (`checkCapture`); it travels as one quoted argument and is never read by a shell.
 */
export function validateFilterText(filter: string): string {
  const f = filter.trim();
  if (f.length > FILTER_MAX) {
    throw new WorkflowError('bad-option', `The capture filter is longer than ${FILTER_MAX} characters.`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(f)) {
    throw new WorkflowError('bad-option', `The capture filter ${shown(f)} contains a control character.`);
  }
  return f;
}

export interface CaptureRequest {
  /** The namespace: `host`, `netns:NAME`, `container:REF`. */
  endpoint: EndpointSpec | string;
  /** An interface in that namespace, or `any` for all of them. */
  iface: string;
  filter?: string;
  limits?: Partial<CaptureLimits>;
}

export interface CapturePlan {
  /** "veth0 in netns:net_test1". */
  label: string;
  endpoint: Endpoint;
  iface: string;
  filter: string;
  limits: CaptureLimits;
  tool: 'tcpdump' | 'dumpcap';
  decoder?: 'tcpdump' | 'tshark';
  spec: CaptureCommandSpec;
  /** What runs, for the log and the terminal's first line (the identity check shown as nsx-check). */
  display: string;
}

function enterPrefix(ep: Endpoint): string[] {
  switch (ep.kind) {
    case 'host':
      return [];
    case 'netns':
      return ['ip', 'netns', 'exec', ep.name];
    case 'container':
      return ['nsenter', '-t', String(ep.pid), '-n', '--'];
  }
}

export function planCapture(snapshot: Snapshot, req: CaptureRequest, tools: CaptureTools, hostLabel: string): CapturePlan {
  const ep = resolveEndpoint(typeof req.endpoint === 'string' ? parseEndpoint(req.endpoint) : req.endpoint, snapshot);
  const iface = req.iface;
  if (iface !== 'any') {
    validateInterfaceName(iface);
    requireInterface(snapshot, ep.nsInode, iface, ep.label);
  }
  const filter = validateFilterText(req.filter ?? '');
  const limits = validateLimits({ ...DEFAULT_LIMITS, ...(req.limits ?? {}) });
  if (!tools.tcpdump && !tools.dumpcap) {
    throw new WorkflowError('missing-tool', missingToolMessage(hostLabel, tools));
  }
  if (!tools.tee) {
    throw new WorkflowError('missing-tool', `${hostLabel} has no \`tee\` (coreutils or busybox), which the capture needs to stream its packets.`);
  }
  const tool = tools.tcpdump ? 'tcpdump' : 'dumpcap';
  const decoder = tools.tcpdump ? 'tcpdump' : tools.tshark ? 'tshark' : undefined;
  const check = endpointIdentity(ep);
  const spec: CaptureCommandSpec = {
    tool,
    decoder,
    iface,
    count: limits.packets,
    seconds: limits.seconds,
    snaplen: limits.snaplen,
    filter,
    enter: enterPrefix(ep),
    ...(check ? { check } : {}),
  };
  return {
    label: `${iface === 'any' ? 'all interfaces' : iface} in ${ep.label}`,
    endpoint: ep,
    iface,
    filter,
    limits,
    tool,
    ...(decoder ? { decoder } : {}),
    spec,
    display: displayCommand(captureRunArgv(spec)),
  };
}

/** The tool's own verdict on the filter for this interface: undefined when it compiles, else its words. */
export async function checkCapture(conn: HostConnection, plan: CapturePlan): Promise<string | undefined> {
  const r = await conn.exec(captureCheckArgv(plan.spec), { privileged: true, timeoutMs: 20_000 });
  if (r.code === 0) return undefined;
  return r.stderr.trim() || r.stdout.trim() || `exit code ${r.code ?? r.signal ?? '?'}`;
}

// ---- the stderr stream: marker lines, then the decoder's packets and the tool's messages ----------------

export type CaptureEvent =
  | { kind: 'filter'; filter: string }
  | { kind: 'started'; pid: number; start?: number }
  | { kind: 'exit'; code: number }
  | { kind: 'line'; text: string };

/** Splits stderr into lines (a line split across chunks kept whole; UTF-8 too) and reads the markers. */
export class CaptureStderrParser {
  private rest = Buffer.alloc(0);
  private readonly maxLine = 64 * 1024;
  /** Each marker counts once: the script prints each once, before the tool can print a line like it. */
  private readonly seen = new Set<CaptureEvent['kind']>();

  constructor(private readonly emit: (e: CaptureEvent) => void) {}

  push(chunk: Buffer): void {
    let buf = Buffer.concat([this.rest, chunk]);
    let nl: number;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      this.line(buf.subarray(0, nl).toString('utf8'));
      buf = buf.subarray(nl + 1);
    }
    if (buf.length > this.maxLine) {
      this.line(buf.toString('utf8'));
      buf = Buffer.alloc(0);
    }
    this.rest = Buffer.from(buf);
  }

  end(): void {
    if (this.rest.length > 0) this.line(this.rest.toString('utf8'));
    this.rest = Buffer.alloc(0);
  }

  private line(raw: string): void {
    const text = raw.replace(/\r$/, '');
    let m: RegExpExecArray | null;
    let e: CaptureEvent = { kind: 'line', text };
    if ((m = /^nsx-capture-pid ([1-9][0-9]*) ([0-9]+|-)$/.exec(text))) {
      e = { kind: 'started', pid: Number(m[1]), ...(m[2] === '-' ? {} : { start: Number(m[2]) }) };
    } else if ((m = /^nsx-capture-exit ([0-9]+)$/.exec(text))) {
      e = { kind: 'exit', code: Number(m[1]) };
    } else if (text.startsWith('nsx-capture-filter ')) {
      e = { kind: 'filter', filter: text.slice('nsx-capture-filter '.length) };
    }
    if (e.kind !== 'line' && this.seen.has(e.kind)) e = { kind: 'line', text };
    this.seen.add(e.kind);
    this.emit(e);
  }
}

// ---- running a plan --------------------------------------------------------------------------------------

export type StopReason = 'requested' | 'seconds' | 'bytes' | 'ended' | 'failed';

export interface CaptureResult {
  file: string;
  /** Bytes written to the file (the pcap header included). */
  bytes: number;
  reason: StopReason;
  /** The capture tool's exit code on the host, when it said. */
  toolExit?: number;
  exec?: ExecResult;
  /** Why it failed, when it did. */
  error?: string;
}

export interface CaptureSink {
  /** Every stderr line that is not a marker: decoded packets and the tool's own messages, unescaped. */
  onLine?(text: string): void;
  onEvent?(e: CaptureEvent): void;
}

export interface RunningCapture {
  readonly plan: CapturePlan;
  readonly file: string;
  /** Bytes in the file so far. */
  readonly bytes: number;
  /** Stop the tool (SIGTERM by PID, checked to be it), then wait for the stream to end. */
  stop(): Promise<CaptureResult>;
  readonly done: Promise<CaptureResult>;
}

const STOP_GRACE_MS = 5000;

/** Starts the capture; the returned handle's `done` settles once it ended and the file is closed. */
export function startCapture(conn: HostConnection, plan: CapturePlan, file: string, sink: CaptureSink = {}): RunningCapture {
  const out = fs.createWriteStream(file, { mode: 0o600 });
  let bytes = 0;
  let reason: StopReason | undefined;
  let started: { pid: number; start?: number } | undefined;
  let toolExit: number | undefined;
  let cancelListeners: Array<() => void> = [];
  let cancelled = false;
  const token: CancellationTokenLike = {
    get isCancellationRequested() {
      return cancelled;
    },
    onCancellationRequested(l: () => void) {
      cancelListeners.push(l);
      return { dispose: () => (cancelListeners = cancelListeners.filter((x) => x !== l)) };
    },
  };
  const abort = () => {
    if (cancelled) return;
    cancelled = true;
    for (const l of [...cancelListeners]) l();
  };
  let stopping: Promise<void> | undefined;
  const stopTool = (why: StopReason): Promise<void> => {
    reason ??= why;
    stopping ??= (async () => {
      if (started?.start !== undefined) {
        await conn.exec(stopCaptureArgv({ pid: started.pid, start: started.start }), { privileged: true, timeoutMs: 10_000 }).catch(() => undefined);
      } else {
        abort();
      }
      const timer = setTimeout(abort, STOP_GRACE_MS);
      await finished.catch(() => undefined);
      clearTimeout(timer);
    })();
    return stopping;
  };
  const parser = new CaptureStderrParser((e) => {
    if (e.kind === 'started') started = e;
    if (e.kind === 'exit') toolExit = e.code;
    if (e.kind === 'line') sink.onLine?.(e.text);
    sink.onEvent?.(e);
  });
  const timer = setTimeout(() => void stopTool('seconds'), plan.limits.seconds * 1000);
  const finished = conn.exec(captureRunArgv(plan.spec), {
    privileged: true,
    token,
    maxOutputBytes: Number.MAX_SAFE_INTEGER,
    onStdout: (chunk) => {
      if (bytes >= plan.limits.bytes) return;
      const room = plan.limits.bytes - bytes;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      bytes += part.length;
      out.write(part);
      if (bytes >= plan.limits.bytes) void stopTool('bytes');
    },
    onStderr: (chunk) => parser.push(chunk),
  });
  const done = (async (): Promise<CaptureResult> => {
    let exec: ExecResult | undefined;
    let error: string | undefined;
    try {
      exec = await finished;
    } catch (e) {
      error = (e as Error).message;
    }
    clearTimeout(timer);
    parser.end();
    out.end();
    await once(out, 'close').catch(() => undefined);
    const why: StopReason = reason ?? (error ? 'failed' : 'ended');
    if (why === 'requested' || why === 'seconds' || why === 'bytes') error = undefined;
    return { file, bytes, reason: why, ...(toolExit !== undefined ? { toolExit } : {}), ...(exec ? { exec } : {}), ...(error ? { error } : {}) };
  })();
  return {
    plan,
    file,
    get bytes() {
      return bytes;
    },
    stop: async () => {
      await stopTool('requested');
      return done;
    },
    done,
  };
}
