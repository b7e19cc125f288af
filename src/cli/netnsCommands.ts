/**
 * CLI handlers for netns and veth workflows. Each returns the text to print and an exit code:
 * 0 ok, 2 bad input (nothing ran), 4 a remote command failed. Connection errors are left to the caller.
 */

import { shScript } from '../host/commandLine';
import { type HostConnection, RemoteCommandError } from '../host/hostConnection';
import type { Snapshot } from '../model/snapshot';
import { executeWorkflow, formatReport } from '../workflows/execute';
import type { Journal } from '../workflows/journal';
import { formatPingResult, parsePingOutput } from '../workflows/ping';
import {
  planConnect,
  planCreateNetns,
  planCreateVethPair,
  planDeleteNetns,
  planPing,
  renderPreview,
  type Workflow,
} from '../workflows/plan';
import { type HostCapabilities, WorkflowError } from '../workflows/validate';

export type CliExitCode = 0 | 2 | 4;

export interface CliResult {
  output: string;
  exitCode: CliExitCode;
}

export interface CommonOptions {
  /** Print the plan's commands and run nothing. */
  dryRun?: boolean;
  /** Probed tools; when absent they are probed with one command. */
  capabilities?: Partial<HostCapabilities>;
  /** Where applied workflows are recorded for undo. */
  journal?: Journal;
}

const TOOLS: Array<keyof HostCapabilities> = ['ip', 'nsenter', 'ping', 'busybox'];

/** Which of the tools the workflows use exist on the host, in one round trip. */
export async function probeCapabilities(conn: HostConnection): Promise<HostCapabilities> {
  const script = 'for t in "$@"; do if command -v "$t" >/dev/null 2>&1; then echo "$t"; fi; done';
  const r = await conn.exec(shScript(script, TOOLS), { timeoutMs: 10_000 });
  const found = new Set(r.stdout.split('\n').map((l) => l.trim()));
  return { ip: found.has('ip'), nsenter: found.has('nsenter'), ping: found.has('ping'), busybox: found.has('busybox') };
}

async function capsOf(conn: HostConnection, opts: CommonOptions): Promise<Partial<HostCapabilities>> {
  return opts.capabilities ?? (await probeCapabilities(conn));
}

function badInput(err: unknown): CliResult {
  if (err instanceof WorkflowError) {
    return { output: `${err.message}\nNothing was changed.`, exitCode: 2 };
  }
  throw err;
}

async function runWorkflow(conn: HostConnection, wf: Workflow, opts: CommonOptions): Promise<CliResult> {
  if (opts.dryRun) {
    return { output: `Dry run on ${conn.label}, nothing is changed:\n${renderPreview(wf)}`, exitCode: 0 };
  }
  const report = await executeWorkflow(conn, wf);
  if (report.applied && opts.journal) {
    await opts.journal.record(conn.id, report.applied);
  }
  const text = formatReport(report, conn.label);
  if (!report.ok) return { output: text, exitCode: 4 };
  if (report.postCheck && !report.postCheck.ok) {
    return { output: `${text}\nUndo it with the undo command if you do not want to keep it.`, exitCode: 4 };
  }
  return { output: text, exitCode: 0 };
}

async function guarded(fn: () => Promise<CliResult>): Promise<CliResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof RemoteCommandError) {
      return { output: err.message, exitCode: 4 };
    }
    return badInput(err);
  }
}

export function netnsAdd(conn: HostConnection, snapshot: Snapshot, name: string, opts: CommonOptions = {}): Promise<CliResult> {
  return guarded(async () => {
    const capabilities = await capsOf(conn, opts);
    return runWorkflow(conn, planCreateNetns(snapshot, name, { capabilities }), opts);
  });
}

export function netnsDel(conn: HostConnection, snapshot: Snapshot, name: string, opts: CommonOptions & { force?: boolean } = {}): Promise<CliResult> {
  return guarded(async () => {
    const capabilities = await capsOf(conn, opts);
    return runWorkflow(conn, planDeleteNetns(snapshot, name, { capabilities, force: opts.force }), opts);
  });
}

export interface VethAddArgs {
  nameA: string;
  endpointA: string;
  nameB: string;
  endpointB: string;
}

export function vethAdd(conn: HostConnection, snapshot: Snapshot, args: VethAddArgs, opts: CommonOptions = {}): Promise<CliResult> {
  return guarded(async () => {
    const capabilities = await capsOf(conn, opts);
    const wf = planCreateVethPair(snapshot, { name: args.nameA, endpoint: args.endpointA }, { name: args.nameB, endpoint: args.endpointB }, { capabilities });
    return runWorkflow(conn, wf, opts);
  });
}

export interface ConnectCliOptions extends CommonOptions {
  subnet?: string;
  /** `A:B` or `A,B` (see parseNamesOption), or the two names. */
  names?: string | { a: string; b: string };
  range?: string;
}

/** `A:B` (':' cannot occur in an interface name) or `A,B` when neither name has a ','. */
export function parseNamesOption(names: string): { a: string; b: string } {
  const sep = names.includes(':') ? ':' : ',';
  const parts = names.split(sep);
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    throw new WorkflowError('bad-option', 'Give the interface names as A:B or A,B, e.g. --names veth-blue:veth-red.');
  }
  return { a: parts[0], b: parts[1] };
}

export function connect(conn: HostConnection, snapshot: Snapshot, a: string, b: string, opts: ConnectCliOptions = {}): Promise<CliResult> {
  return guarded(async () => {
    const names = typeof opts.names === 'string' ? parseNamesOption(opts.names) : opts.names;
    const capabilities = await capsOf(conn, opts);
    const wf = planConnect(snapshot, a, b, { subnet: opts.subnet, names, range: opts.range, capabilities });
    const result = await runWorkflow(conn, wf, opts);
    const summary = `${wf.names.a} ${wf.addresses.a} in ${a}  ↔  ${wf.names.b} ${wf.addresses.b} in ${b}`;
    return { ...result, output: `${result.output}\n${summary}` };
  });
}

export interface PingCliOptions {
  count?: number;
  /** Seconds to wait for each reply. */
  timeout?: number;
  capabilities?: Partial<HostCapabilities>;
}

export function ping(conn: HostConnection, snapshot: Snapshot, from: string, address: string, opts: PingCliOptions = {}): Promise<CliResult> {
  return guarded(async () => {
    const capabilities = await capsOf(conn, opts);
    const check = planPing(snapshot, from, address, { count: opts.count, timeoutSec: opts.timeout, capabilities });
    let out: string;
    let code: number | null;
    try {
      const r = await conn.exec(check.argv, { privileged: check.needsRoot, timeoutMs: check.timeoutMs });
      out = r.stdout + r.stderr;
      code = r.code;
    } catch (err) {
      return { output: `${check.description} on ${conn.label} failed: ${err instanceof Error ? err.message : String(err)}`, exitCode: 4 };
    }
    const parsed = parsePingOutput(out);
    if (!parsed) {
      return { output: `${check.description} on ${conn.label} failed (exit code ${code ?? '?'}): ${out.trim()}`, exitCode: 4 };
    }
    const text = `${check.description}: ${formatPingResult(parsed)}`;
    return { output: text, exitCode: parsed.received > 0 ? 0 : 4 };
  });
}

export async function undo(conn: HostConnection, journal: Journal): Promise<CliResult> {
  const r = await journal.undoLast(conn.id, conn);
  if (!r.found) return { output: `Nothing to undo on ${conn.label}.`, exitCode: 0 };
  const lines = [`Undo ${r.title ?? ''} on ${conn.label}: ${r.ok ? 'done' : 'failed'}.`];
  for (const s of r.ran) lines.push(`  ${s.ok ? 'ok  ' : 'FAIL'} ${s.description}${s.ok ? '' : `: ${s.message ?? ''}`}`);
  if (!r.ok) lines.push(`  ${r.remaining.length} step(s) remain in the journal; fix the cause and undo again.`);
  return { output: lines.join('\n'), exitCode: r.ok ? 0 : 4 };
}
