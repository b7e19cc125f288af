/**
 * discover(): one probe, one exec, one Snapshot. The probe script runs as `sh -c SCRIPT` (built by
 * shScript, so quoting stays in commandLine.ts); stdin stays free for a sudo password.
 */
import { shScript } from '../host/commandLine';
import { CancellationTokenLike, HostConnection, HostInfo, RemoteCommandError } from '../host/hostConnection';
import { Snapshot } from '../model/snapshot';
import { DEFAULT_MAX_PROBE_BYTES, ProbeStreamParser } from './parseProbe';
import { PROBE_SCRIPT } from './probeScript';

export interface DiscoverOptions {
  /** Already known from connect(); otherwise discover awaits conn.connect() (no exec of its own). */
  hostInfo?: HostInfo;
  /** Run the probe through the privilege layer; default: when the host grants root or sudo. */
  privileged?: boolean;
  /** Extra Docker daemon sockets (absolute paths) beyond those found from running dockerd processes. */
  dockerSockets?: readonly string[];
  /**
   * 'full' (default) reads everything; 'tree' skips the interfaces of every network namespace (one
   * `ip` per namespace, the probe's costliest part), for the tree's first levels: namespaces,
   * containers, processes. A 'tree' snapshot has no interfaces.
   */
  scope?: DiscoverScope;
  timeoutMs?: number;
  maxOutputBytes?: number;
  token?: CancellationTokenLike;
}

export type DiscoverScope = 'full' | 'tree';

const SOCKET_PATH = /^\/[A-Za-z0-9_.@%+=:,/-]+$/;

/** The argument vector discover() runs, exposed for tests and for the log. */
export function probeArgv(dockerSockets: readonly string[] = [], scope: DiscoverScope = 'full'): string[] {
  const args: string[] = scope === 'tree' ? ['--scope', 'tree'] : [];
  for (const s of dockerSockets) {
    if (!SOCKET_PATH.test(s) || s.includes('..')) {
      throw new Error(`Docker socket "${s}" is not an absolute path of plain characters; fix the setting.`);
    }
    args.push('--docker-socket', s);
  }
  return shScript(PROBE_SCRIPT, args);
}

export async function discover(conn: HostConnection, opts: DiscoverOptions = {}): Promise<Snapshot> {
  const argv = probeArgv(opts.dockerSockets, opts.scope);
  const info = opts.hostInfo ?? (await conn.connect(opts.token));
  const privileged = opts.privileged ?? info.privilege !== 'limited';
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_PROBE_BYTES;
  const parser = new ProbeStreamParser(maxBytes);
  let streamed = false;
  const takenAt = Date.now();
  const started = process.hrtime.bigint();
  const result = await conn.exec(argv, {
    privileged,
    timeoutMs: opts.timeoutMs ?? 120_000,
    maxOutputBytes: maxBytes,
    token: opts.token,
    onStdout: (chunk) => {
      streamed = true;
      parser.feed(chunk);
    },
  });
  const wallMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  if (!streamed) {
    parser.feed(result.stdout);
  }
  const warnings: string[] = [];
  if (result.truncated) {
    warnings.push(`The probe output was cut at ${maxBytes} bytes; some of ${conn.label} is missing.`);
  }
  const sections = parser.finishSections();
  if (!sections.some((s) => s.name === 'nsx-probe')) {
    const why = result.stderr.trim().split('\n').slice(-3).join(' ') || `exit code ${result.code ?? result.signal}`;
    throw new RemoteCommandError(`Discovery on ${conn.label} failed: the probe printed nothing (${why}). Check that /bin/sh works there, then refresh.`, argv, result);
  }
  if (result.code !== 0 && result.code !== null) {
    warnings.push(`The probe exited with code ${result.code}: ${result.stderr.trim().split('\n').pop() ?? ''}`);
  }
  const snapshot = parser.finish({ takenAt, privileged, warnings });
  // The host-side duration has 10 ms resolution (/proc/uptime); keep it unless it is missing.
  if (!snapshot.host.probeMs) {
    snapshot.host.probeMs = wallMs;
  }
  return snapshot;
}
