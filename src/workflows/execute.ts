/**
 * Runs a Workflow on a host, step by step. When a step fails, the steps that completed are undone in
 * reverse order, so a half-done procedure never stays behind; the report says what failed and what was
 * rolled back.
 */

import { displayCommand, IDENTITY_CHECK_EXIT, parseIdentityCheck } from '../host/commandLine';
import type { CancellationTokenLike, ExecResult, HostConnection } from '../host/hostConnection';
import { type PingResult, parsePingOutput } from './ping';
import type { Step, Workflow } from './plan';

export const STEP_TIMEOUT_MS = 20_000;

export interface UndoStep {
  description: string;
  /**
   * The inverse argv, as run. When it names a PID it carries the identity check (withIdentityCheck), and
   * with it the PID's start time and namespace inodes from the plan, so an undo run days later still
   * refuses a PID that another process has taken since.
   */
  argv: string[];
  needsRoot: boolean;
}

/** True when a command was refused by its identity check: a PID it names is now another process. */
export function refusedByIdentityCheck(argv: readonly string[], code: number | null): boolean {
  return code === IDENTITY_CHECK_EXIT && parseIdentityCheck(argv) !== undefined;
}

/** What a successful run changed, with the steps that take it back, newest change first. */
export interface AppliedWorkflow {
  id: string;
  title: string;
  appliedAt: number;
  undo: UndoStep[];
}

export interface StepFailure {
  index: number;
  step: Step;
  /** ip's own words (stderr), or why the command could not be run. */
  message: string;
  code: number | null;
  /** The command may or may not have taken effect (it timed out or the connection dropped). */
  uncertain: boolean;
}

export interface RollbackOutcome {
  description: string;
  argv: string[];
  ok: boolean;
  message?: string;
}

export interface PostCheckOutcome {
  ok: boolean;
  ping?: PingResult;
  output: string;
}

export interface ExecutionReport {
  ok: boolean;
  title: string;
  completed: number;
  failed?: StepFailure;
  rolledBack: RollbackOutcome[];
  postCheck?: PostCheckOutcome;
  /** Present when every step succeeded. */
  applied?: AppliedWorkflow;
}

export interface ExecuteOptions {
  stepTimeoutMs?: number;
  token?: CancellationTokenLike;
  /** Called before each step, for progress UI. */
  onStep?: (index: number, step: Step) => void;
  /**
   * Step-by-step mode: asked before each step; false stops there, and what ran is rolled back as after a
   * failure (the report says it was stopped).
   */
  confirmStep?: (index: number, step: Step) => Promise<boolean>;
  /** Step-by-step mode: called after each step that succeeded (to show its effect) before the next. */
  afterStep?: (index: number, step: Step) => Promise<void>;
  now?: () => number;
}

interface RunOutcome {
  ok: boolean;
  code: number | null;
  message: string;
  uncertain: boolean;
  result?: ExecResult;
}

async function run(conn: HostConnection, argv: string[], needsRoot: boolean, timeoutMs: number, token?: CancellationTokenLike): Promise<RunOutcome> {
  try {
    const result = await conn.exec(argv, { privileged: needsRoot, timeoutMs, token });
    const ok = result.code === 0;
    const message = ok ? '' : (result.stderr.trim() || result.stdout.trim() || `exit code ${result.code ?? result.signal ?? '?'}`);
    // A command killed by a signal may have been interrupted after it acted.
    return { ok, code: result.code, message, uncertain: !ok && result.code === null, result };
  } catch (err) {
    return { ok: false, code: null, message: err instanceof Error ? err.message : String(err), uncertain: true };
  }
}

let counter = 0;
function newId(now: number): string {
  counter = (counter + 1) % 1_000_000;
  return `${now.toString(36)}-${counter.toString(36)}-${Math.floor(Math.random() * 1e9).toString(36)}`;
}

export function undoStepsOf(steps: readonly Step[]): UndoStep[] {
  const out: UndoStep[] = [];
  for (let i = steps.length - 1; i >= 0; i--) {
    const s = steps[i];
    if (s.inverse) {
      out.push({ description: `Undo: ${s.description}`, argv: [...s.inverse], needsRoot: s.needsRoot });
    }
  }
  return out;
}

export async function executeWorkflow(conn: HostConnection, wf: Workflow, opts: ExecuteOptions = {}): Promise<ExecutionReport> {
  const timeoutMs = opts.stepTimeoutMs ?? STEP_TIMEOUT_MS;
  const now = opts.now ?? Date.now;
  const done: Step[] = [];
  for (let i = 0; i < wf.steps.length; i++) {
    const step = wf.steps[i];
    opts.onStep?.(i, step);
    const go = opts.confirmStep ? await opts.confirmStep(i, step).catch(() => false) : true;
    const out = !go
      ? { ok: false, code: null, message: 'Stopped before this step ran.', uncertain: false }
      : opts.token?.isCancellationRequested
        ? { ok: false, code: null, message: 'Cancelled before this step ran.', uncertain: false }
        : await run(conn, step.argv, step.needsRoot, timeoutMs, opts.token);
    if (!out.ok) {
      // The failed step itself is not undone: its inverse could remove something that existed before
      // (an `addr add` that failed because the address was already there).
      const rolledBack: RollbackOutcome[] = [];
      for (const u of undoStepsOf(done)) {
        // Rollback runs even after cancellation; it is what leaves the host clean.
        const r = await run(conn, u.argv, u.needsRoot, timeoutMs);
        rolledBack.push({ description: u.description, argv: u.argv, ok: r.ok, message: r.ok ? undefined : r.message });
      }
      return {
        ok: false,
        title: wf.title,
        completed: done.length,
        failed: { index: i, step, message: out.message, code: out.code, uncertain: out.uncertain },
        rolledBack,
      };
    }
    done.push(step);
    await opts.afterStep?.(i, step).catch(() => undefined);
  }
  const report: ExecutionReport = {
    ok: true,
    title: wf.title,
    completed: done.length,
    rolledBack: [],
    applied: { id: newId(now()), title: wf.title, appliedAt: now(), undo: undoStepsOf(done) },
  };
  if (wf.postCheck) {
    const pc = wf.postCheck;
    const r = await run(conn, pc.argv, pc.needsRoot, pc.timeoutMs, opts.token);
    const output = r.result ? r.result.stdout + r.result.stderr : r.message;
    const ping = parsePingOutput(output);
    report.postCheck = { ok: r.ok && (ping ? ping.received > 0 : true), ping, output };
  }
  return report;
}

/** A plain-text account of a run, for the CLI and the output channel. */
export function formatReport(report: ExecutionReport, hostLabel: string): string {
  const lines: string[] = [];
  if (report.ok) {
    lines.push(`${report.title}: done on ${hostLabel} (${report.completed} step${report.completed === 1 ? '' : 's'}).`);
  } else if (report.failed) {
    const f = report.failed;
    lines.push(`${report.title}: step ${f.index + 1} failed on ${hostLabel}: ${f.step.description}.`);
    lines.push(`  command: ${displayCommand(f.step.argv)}`);
    lines.push(`  error: ${f.message}`);
    if (refusedByIdentityCheck(f.step.argv, f.code)) {
      lines.push('  The host refused this step before running it: a process the plan names by PID has exited or restarted since the snapshot.');
    }
    if (f.uncertain) {
      lines.push('  This step may have taken effect before it was interrupted; check the host.');
    }
    if (report.rolledBack.length === 0) {
      lines.push('  Nothing had changed, so nothing was rolled back.');
    } else {
      const bad = report.rolledBack.filter((r) => !r.ok);
      lines.push(`  Rolled back ${report.rolledBack.length - bad.length} of ${report.rolledBack.length} completed change(s):`);
      for (const r of report.rolledBack) {
        lines.push(`    ${r.ok ? 'ok  ' : 'FAIL'} ${displayCommand(r.argv)}${r.ok ? '' : `: ${r.message ?? ''}`}`);
      }
      if (bad.length > 0) {
        lines.push('  Some changes could not be rolled back; run the failed commands by hand after fixing the cause.');
      }
    }
  }
  if (report.postCheck) {
    const pc = report.postCheck;
    if (pc.ping) {
      const { sent, received, lossPct, rtts } = pc.ping;
      lines.push(`Check: ${received}/${sent} replies, ${lossPct}% loss${rtts.length ? `, rtt ${rtts.join('/')} ms` : ''}.`);
    } else {
      lines.push(`Check: ${pc.ok ? 'ok' : 'failed'}: ${pc.output.trim().split('\n').slice(-3).join(' | ')}`);
    }
    if (!pc.ok) {
      lines.push('The link is configured but the check got no reply; a firewall in either namespace may drop it.');
    }
  }
  return lines.join('\n');
}
