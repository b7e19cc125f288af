/**
 * discover(): one probe, one exec, one Snapshot. The probe script runs as `sh -c SCRIPT` (built by
 * shScript, so quoting stays in commandLine.ts); stdin stays free for a sudo password.
 */
import { shScript } from '../host/commandLine';
import { CancellationSourceLike, CancellationTokenLike, ExecResult, HostConnection, HostInfo, RemoteCommandError } from '../host/hostConnection';
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
  /**
   * The refresh's overall budget. Past it the probe is stopped and the snapshot holds what arrived,
   * marked partial, with a warning; only when nothing arrived does discover fail. Default 60 s.
   */
  timeoutMs?: number;
  /** Each bounded command's own budget on the host (see docs/snapshot.md). */
  budgets?: ProbeBudgets;
  /** Called as the probe moves on to each stage of its run. */
  onStage?: (stage: DiscoverStage) => void;
  maxOutputBytes?: number;
  /** Cancelling stops the probe on the host; discover then fails with a DiscoveryCancelled error. */
  token?: CancellationTokenLike;
}

export type DiscoverScope = 'full' | 'tree';

/** Seconds each command on the host may take before the probe stops it and says so. */
export interface ProbeBudgets {
  /** Each engine CLI call: docker, podman, ctr, nerdctl, crictl. */
  engineSeconds?: number;
  lsnsSeconds?: number;
  /** Each ip call (one per network namespace). */
  ipSeconds?: number;
}

export const DEFAULT_BUDGETS: Required<ProbeBudgets> = { engineSeconds: 5, lsnsSeconds: 5, ipSeconds: 3 };
/** The whole seconds a command budget may be (the probe checks the same range). */
export const BUDGET_SECONDS = { min: 1, max: 600 } as const;
export const DEFAULT_REFRESH_BUDGET_MS = 60_000;

/** Where a probe is in its run, in order. */
export type DiscoverStage = 'processes' | 'engines' | 'engine-clis' | 'interfaces';

/** The stage a section's start means; undefined for sections within a stage. */
export function stageOfSection(name: string): DiscoverStage | undefined {
  switch (name) {
    case 'host':
      return 'processes';
    case 'engine-procs':
    case 'state-files':
      return 'engines';
    case 'docker':
    case 'cli-fingerprint':
    case 'podman':
    case 'ctr-containers':
    case 'crictl-pods':
      return 'engine-clis';
    case 'netns':
      return 'interfaces';
    default:
      return undefined;
  }
}

/** A refresh that its caller cancelled: the host is left as it was; nothing is shown as an error. */
export class DiscoveryCancelled extends Error {
  constructor(label: string) {
    super(`The refresh of ${label} was cancelled.`);
    this.name = 'DiscoveryCancelled';
  }
}

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
export function probeArgv(
  dockerSockets: readonly string[] = [],
  scope: DiscoverScope = 'full',
  cliFingerprint?: string,
  knownPaths?: string,
  budgets: ProbeBudgets = {},
): string[] {
  const args: string[] = ['--us', '\x1f'];
  // A budget left undefined (a flag not given) keeps its default.
  const b = {
    engineSeconds: budgets.engineSeconds ?? DEFAULT_BUDGETS.engineSeconds,
    lsnsSeconds: budgets.lsnsSeconds ?? DEFAULT_BUDGETS.lsnsSeconds,
    ipSeconds: budgets.ipSeconds ?? DEFAULT_BUDGETS.ipSeconds,
  };
  for (const [flag, v] of [['--budget-cli', b.engineSeconds], ['--budget-lsns', b.lsnsSeconds], ['--budget-ip', b.ipSeconds]] as const) {
    if (!Number.isInteger(v) || v < BUDGET_SECONDS.min || v > BUDGET_SECONDS.max) {
      throw new Error(`A command budget must be a whole number of seconds from ${BUDGET_SECONDS.min} to ${BUDGET_SECONDS.max} (got ${v}); fix the setting.`);
    }
    args.push(flag, String(v));
  }
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
  const argv = probeArgv(opts.dockerSockets, opts.scope, cache?.sections.length ? cache.fingerprint : undefined, cache?.knownPaths, opts.budgets);
  const info = opts.hostInfo ?? (await conn.connect(opts.token));
  const privileged = opts.privileged ?? info.privilege !== 'limited';
  const maxBytes = opts.maxOutputBytes ?? DEFAULT_MAX_PROBE_BYTES;
  const takenAt = Date.now();
  const onTree = opts.onTree;
  // The probe's last mark ends its output: the snapshot is complete then, without waiting for the
  // session to wind down (the shell, sudo and the orphan guard exiting, the channel closing).
  let outputEnded: () => void = () => undefined;
  const ended = new Promise<undefined>((resolve) => (outputEnded = () => resolve(undefined)));
  let lastStage: DiscoverStage | undefined;
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
    (name) => {
      const stage = stageOfSection(name);
      if (stage && stage !== lastStage) {
        lastStage = stage;
        try {
          opts.onStage?.(stage);
        } catch {
          // progress only
        }
      }
    },
  );
  let streamed = false;
  const started = process.hrtime.bigint();
  // One source stops the probe, for the caller's cancel and for the overall budget alike; the exec's
  // abort signals the orphan guard on the host, which kills the probe's whole process group.
  const stop = new CancellationSourceLike(opts.token);
  const budgetMs = opts.timeoutMs ?? DEFAULT_REFRESH_BUDGET_MS;
  let overBudget = false;
  let budgetTimer: NodeJS.Timeout | undefined;
  const cut = new Promise<'cut'>((resolve) => {
    budgetTimer = setTimeout(() => {
      overBudget = true;
      resolve('cut');
    }, budgetMs);
    stop.onCancellationRequested(() => resolve('cut'));
  });
  const running = conn.exec(argv, {
    privileged,
    maxOutputBytes: maxBytes,
    token: stop,
    onStdout: (chunk) => {
      streamed = true;
      parser.feed(chunk);
    },
  });
  // Whatever the exec does once the output is complete is of no consequence here.
  running.catch(() => undefined);
  let outcome: ExecResult | undefined | 'cut';
  try {
    outcome = await Promise.race([running, ended, cut]);
  } catch (e) {
    if (stop.isCancellationRequested && !overBudget) {
      throw new DiscoveryCancelled(conn.label);
    }
    throw e;
  } finally {
    clearTimeout(budgetTimer);
  }
  const wallMs = Number((process.hrtime.bigint() - started) / 1_000_000n);
  const cutShort = outcome === 'cut';
  if (cutShort) {
    stop.cancel();
    if (!overBudget) {
      stop.dispose();
      throw new DiscoveryCancelled(conn.label);
    }
  }
  stop.dispose();
  const result = outcome === 'cut' ? undefined : outcome;
  if (result && !streamed) {
    parser.feed(result.stdout);
  }
  const warnings: string[] = [];
  if (cutShort) {
    const got = parser.finishSections(true);
    if (!got.some((s) => s.name === 'nsx-probe')) {
      throw new RemoteCommandError(
        `Discovery on ${conn.label} did not answer within its budget of ${Math.round(budgetMs / 1000)} s, and printed nothing. Check the host (load, a hung mount), or raise nsExplorer.refresh.budgetSeconds.`,
        argv,
      );
    }
    const stageText = lastStage ? ` while reading ${stageWords(lastStage)}` : '';
    warnings.push(`The refresh of ${conn.label} ran past its budget of ${Math.round(budgetMs / 1000)} s and was stopped${stageText}: what arrived by then is shown.`);
  }
  if (result?.truncated) {
    warnings.push(`The probe output was cut at ${maxBytes} bytes; some of ${conn.label} is missing.`);
  }
  let sections = parser.finishSections(cutShort);
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
    // A stopped CLI printed part of its answer: nothing of this run is kept for the next.
    const cliStopped = cutShort || sections.some((x) => x.name === 'timeout' && /^(podman|ctr|nerdctl|crictl)$/.test(x.args[0] ?? ''));
    sections = cliStopped ? (cache.clear(), sections) : useCliCache(cache, sections);
  }
  const snapshot = buildSnapshot(sections, { takenAt, privileged, warnings, cutShort });
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

/** The words for a stage in messages ("while reading …"). */
export function stageWords(stage: DiscoverStage): string {
  switch (stage) {
    case 'processes':
      return 'processes and namespaces';
    case 'engines':
      return "the container engines' state";
    case 'engine-clis':
      return 'the container engines';
    case 'interfaces':
      return 'network interfaces';
  }
}
