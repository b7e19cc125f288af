/**
 * discover(): one probe, one exec, one Snapshot. The probe script runs as `sh -c SCRIPT` (built by
 * shScript, so quoting stays in commandLine.ts); stdin stays free for a sudo password.
 */
import { shScript } from '../host/commandLine';
import { CancellationTokenLike, HostConnection, HostInfo, RemoteCommandError } from '../host/hostConnection';
import { Snapshot } from '../model/snapshot';
import { buildSnapshot, DEFAULT_MAX_PROBE_BYTES, ProbeStreamParser, Section } from './parseProbe';
import { PROBE_SCRIPT } from './probeScript';

export interface DiscoverOptions {
  /** Already known from connect(); otherwise discover awaits conn.connect() (no exec of its own). */
  hostInfo?: HostInfo;
  /** Run the probe through the privilege layer; default: when the host grants root or sudo. */
  privileged?: boolean;
  /** Extra Docker daemon sockets (absolute paths) beyond those found from running dockerd processes. */
  dockerSockets?: readonly string[];
  /**
   * 'full' (default) reads everything; 'tree' stops at the tree's first levels (processes, namespaces,
   * containers from the engines' state files): no interfaces, no lsns parents and owners, no engine CLI
   * details. See docs/snapshot.md.
   */
  scope?: DiscoverScope;
  /**
   * Called once with the tree's first levels (a snapshot with scope 'tree') as soon as the probe has
   * printed them, while it still reads interfaces and asks the engine CLIs; same exec.
   */
  onTree?: (snapshot: Snapshot) => void;
  /**
   * Keeps the podman, containerd and CRI CLIs' output between refreshes of one host: the probe skips
   * those CLIs while their databases are unchanged (same paths, inodes, sizes and mtimes).
   */
  cache?: DiscoveryCache;
  timeoutMs?: number;
  maxOutputBytes?: number;
  token?: CancellationTokenLike;
}

export type DiscoverScope = 'full' | 'tree';

/**
 * What the last probe of one host leaves for the next: the engine CLIs' sections with their databases'
 * fingerprint, and the paths and engine processes it found root's own (only root can change those).
 */
export class DiscoveryCache {
  fingerprint: string | undefined;
  sections: Section[] = [];
  /** "PATH|TYPE ..." and "/proc/PID/exe@START|x ...", as the probe printed them (`@@known-paths`). */
  knownPaths: string | undefined;
  /** How many probes reused the sections (for the log and the bench). */
  hits = 0;

  clear(): void {
    this.fingerprint = undefined;
    this.sections = [];
  }
}

const CLI_SECTIONS = new Set(['podman', 'ctr-containers', 'ctr-tasks', 'nerdctl', 'crictl-pods', 'crictl-ps']);
const MAX_FINGERPRINT = 16_384;

const SOCKET_PATH = /^\/[A-Za-z0-9_.@%+=:,/-]+$/;
/** One entry of the probe's known-paths: a path of plain characters and its type (d, f, s; x a process). */
const KNOWN_PATH = /^\/[A-Za-z0-9_.@%+=:,/-]+\|[dfsx]$/;

/** The argument vector discover() runs, exposed for tests and for the log. */
export function probeArgv(dockerSockets: readonly string[] = [], scope: DiscoverScope = 'full', cliFingerprint?: string, knownPaths?: string): string[] {
  const args: string[] = ['--us', '\x1f'];
  if (scope === 'tree') {
    args.push('--scope', 'tree');
  }
  if (cliFingerprint && scope === 'full' && cliFingerprint.length < MAX_FINGERPRINT && ![...cliFingerprint].some((ch) => ch.charCodeAt(0) < 0x20)) {
    args.push('--cli-cache', cliFingerprint);
  }
  const known = (knownPaths ?? '').split(' ').filter((k) => KNOWN_PATH.test(k));
  if (known.length && known.join(' ').length < MAX_FINGERPRINT) {
    args.push('--known-paths', known.join(' '));
  }
  for (const s of dockerSockets) {
    if (!SOCKET_PATH.test(s) || s.includes('..')) {
      throw new Error(`Docker socket "${s}" is not an absolute path of plain characters; fix the setting.`);
    }
    args.push('--docker-socket', s);
  }
  return shScript(PROBE_SCRIPT, args);
}

export async function discover(conn: HostConnection, opts: DiscoverOptions = {}): Promise<Snapshot> {
  const cache = opts.cache;
  const argv = probeArgv(opts.dockerSockets, opts.scope, cache?.sections.length ? cache.fingerprint : undefined, cache?.knownPaths);
  const info = opts.hostInfo ?? (await conn.connect(opts.token));
  const privileged = opts.privileged ?? info.privilege !== 'limited';
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_PROBE_BYTES;
  const takenAt = Date.now();
  const onTree = opts.onTree;
  // The probe's last mark ends its output: the snapshot is complete then, without waiting for the
  // session to wind down (the shell, sudo and the orphan guard exiting, the channel closing).
  let outputEnded: () => void = () => undefined;
  const ended = new Promise<undefined>((resolve) => (outputEnded = () => resolve(undefined)));
  const parser = new ProbeStreamParser(
    maxBytes,
    onTree
      ? (sections) => {
          try {
            onTree(buildSnapshot(sections, { takenAt, privileged, scope: 'tree' }));
          } catch {
            // The listener's failure must not cost the full snapshot.
          }
        }
      : undefined,
    () => outputEnded(),
  );
  let streamed = false;
  const started = process.hrtime.bigint();
  const running = conn.exec(argv, {
    privileged,
    timeoutMs: opts.timeoutMs ?? 120_000,
    maxOutputBytes: maxBytes,
    token: opts.token,
    onStdout: (chunk) => {
      streamed = true;
      parser.feed(chunk);
    },
  });
  // Whatever the exec does once the output is complete is of no consequence here.
  running.catch(() => undefined);
  const result = await Promise.race([running, ended]);
  const wallMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  if (result && !streamed) {
    parser.feed(result.stdout);
  }
  const warnings: string[] = [];
  if (result?.truncated) {
    warnings.push(`The probe output was cut at ${maxBytes} bytes; some of ${conn.label} is missing.`);
  }
  let sections = parser.finishSections();
  if (parser.truncated && !result?.truncated) {
    warnings.push(`The probe output exceeded ${maxBytes} bytes; the rest was ignored.`);
  }
  // Without its end mark (result set), the exec's outcome tells what went wrong.
  if (result && !sections.some((s) => s.name === 'nsx-probe')) {
    const why = result.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${result.code ?? result.signal}`;
    throw new RemoteCommandError(`Discovery on ${conn.label} failed: the probe printed nothing (${why}). Check that /bin/sh works there, then refresh.`, argv, result);
  }
  if (result && result.code !== 0 && result.code !== null) {
    warnings.push(`The probe exited with code ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
  if (cache) {
    const known = sections.find((x) => x.name === 'known-paths');
    if (known) {
      cache.knownPaths = known.args.join(' ');
    }
  }
  if (cache && (opts.scope ?? 'full') === 'full') {
    sections = useCliCache(cache, sections);
  }
  const snapshot = buildSnapshot(sections, { takenAt, privileged, warnings });
  // The host-side duration has 10 ms resolution (/proc/uptime); keep it unless it is missing.
  if (!snapshot.host.probeMs) {
    snapshot.host.probeMs = wallMs;
  }
  return snapshot;
}

/** Puts the cached CLI sections in when the probe reused them; otherwise remembers the new ones. */
function useCliCache(cache: DiscoveryCache, sections: Section[]): Section[] {
  const fp = sections.find((s) => s.name === 'cli-fingerprint');
  if (!fp) {
    cache.clear();
    return sections;
  }
  const isCli = (s: Section): boolean => CLI_SECTIONS.has(s.name) || (s.name === 'warn' && /^(podman|ctr) /.test(s.args.join(' ')));
  if (sections.some((s) => s.name === 'cli-cached')) {
    cache.hits++;
    // A CLI the probe asked anyway (crictl under CRI-O, whose state is not fingerprinted) wins.
    const fresh = new Set(sections.filter(isCli).map((s) => s.name));
    return [...sections, ...cache.sections.filter((s) => !fresh.has(s.name))];
  }
  cache.fingerprint = fp.args.join(' ');
  cache.sections = sections.slice(sections.indexOf(fp)).filter(isCli);
  return sections;
}
