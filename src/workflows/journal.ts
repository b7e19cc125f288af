/**
 * Per-host record of applied workflows and how to undo each, kept across sessions so "Undo" still works
 * after a reload. Only workflows with at least one undo step are recorded.
 */

import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import { displayCommand, parseIdentityCheck } from '../host/commandLine';
import type { HostConnection } from '../host/hostConnection';
import { type AppliedWorkflow, refusedByIdentityCheck, STEP_TIMEOUT_MS, type UndoStep } from './execute';

export const JOURNAL_VERSION = 1;
const MAX_ENTRIES = 100;

export interface JournalStore {
  load(hostId: string): Promise<AppliedWorkflow[]>;
  save(hostId: string, entries: AppliedWorkflow[]): Promise<void>;
}

export class MemoryJournalStore implements JournalStore {
  private readonly data = new Map<string, string>();
  async load(hostId: string): Promise<AppliedWorkflow[]> {
    const text = this.data.get(hostId);
    return text ? parseJournal(text) : [];
  }
  async save(hostId: string, entries: AppliedWorkflow[]): Promise<void> {
    this.data.set(hostId, serializeJournal(hostId, entries));
  }
}

/** One JSON file per host in `dir`, named by a hash of the host id; writes go through a rename. */
export class FileJournalStore implements JournalStore {
  constructor(private readonly dir: string) {}

  fileFor(hostId: string): string {
    return path.join(this.dir, `journal-${createHash('sha256').update(hostId).digest('hex').slice(0, 32)}.json`);
  }

  async load(hostId: string): Promise<AppliedWorkflow[]> {
    let text: string;
    try {
      text = await fs.readFile(this.fileFor(hostId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return parseJournal(text);
  }

  async save(hostId: string, entries: AppliedWorkflow[]): Promise<void> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.fileFor(hostId);
    const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, serializeJournal(hostId, entries), { mode: 0o600 });
    await fs.rename(tmp, file);
  }
}

export function serializeJournal(hostId: string, entries: AppliedWorkflow[]): string {
  return JSON.stringify({ version: JOURNAL_VERSION, hostId, entries }, null, 2);
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string');
}

/** Parse a journal file, dropping entries that do not have the expected shape. */
export function parseJournal(text: string): AppliedWorkflow[] {
  const doc = JSON.parse(text) as { version?: unknown; entries?: unknown };
  if (doc.version !== JOURNAL_VERSION || !Array.isArray(doc.entries)) {
    throw new Error(`The workflow journal has an unknown format (version ${String(doc.version)}).`);
  }
  const out: AppliedWorkflow[] = [];
  for (const e of doc.entries as Array<Record<string, unknown>>) {
    if (typeof e?.id !== 'string' || typeof e.title !== 'string' || typeof e.appliedAt !== 'number' || !Array.isArray(e.undo)) continue;
    const undo: UndoStep[] = [];
    let valid = true;
    for (const u of e.undo as Array<Record<string, unknown>>) {
      if (typeof u?.description !== 'string' || !isStringArray(u.argv) || typeof u.needsRoot !== 'boolean') {
        valid = false;
        break;
      }
      undo.push({ description: u.description, argv: [...u.argv], needsRoot: u.needsRoot });
    }
    if (valid) out.push({ id: e.id, title: e.title, appliedAt: e.appliedAt, undo });
  }
  return out;
}

/**
 * PIDs an argv names without an identity check: `nsenter -t PID` and ip's `netns PID`, except the host's
 * PID 1, which no other process can take (see endpointIdentity). Every undo step this version records
 * that names one carries the check; a step without it (hand-edited, or recorded before the check
 * existed) is refused rather than run against whatever process has that PID now.
 */
export function uncheckedPids(argv: readonly string[]): number[] {
  if (parseIdentityCheck(argv)) return [];
  const out: number[] = [];
  for (let i = 0; i + 1 < argv.length; i++) {
    const next = argv[i + 1];
    const isPid = /^[0-9]+$/.test(next);
    if (isPid && (argv[i] === '-t' || argv[i] === '--target') && argv.slice(0, i).includes('nsenter')) out.push(Number(next));
    else if (isPid && argv[i] === 'netns' && argv[i - 1] !== 'ip') out.push(Number(next));
  }
  return [...new Set(out)].filter((pid) => pid !== 1);
}

export interface UndoReport {
  /** False when there was nothing to undo. */
  found: boolean;
  ok: boolean;
  title?: string;
  ran: Array<{ description: string; argv: string[]; ok: boolean; message?: string }>;
  /** Steps still to run, kept in the journal, when one failed. */
  remaining: UndoStep[];
}

export class Journal {
  constructor(private readonly store: JournalStore) {}

  list(hostId: string): Promise<AppliedWorkflow[]> {
    return this.store.load(hostId);
  }

  async record(hostId: string, applied: AppliedWorkflow): Promise<void> {
    if (applied.undo.length === 0) return;
    const entries = await this.store.load(hostId);
    entries.push(applied);
    await this.store.save(hostId, entries.slice(-MAX_ENTRIES));
  }

  /**
   * Undo the most recent workflow on the host. Stops at the first failing step and keeps the rest in the
   * journal, so the user can fix the cause and undo again.
   */
  async undoLast(hostId: string, conn: HostConnection, timeoutMs = STEP_TIMEOUT_MS): Promise<UndoReport> {
    const entries = await this.store.load(hostId);
    const last = entries.pop();
    if (!last) {
      return { found: false, ok: true, ran: [], remaining: [] };
    }
    const ran: UndoReport['ran'] = [];
    for (let i = 0; i < last.undo.length; i++) {
      const u = last.undo[i];
      let ok = false;
      let message: string | undefined;
      const unchecked = uncheckedPids(u.argv);
      if (unchecked.length > 0) {
        message =
          `This undo step names PID ${unchecked.join(', ')} without the check that it is still the process the change was ` +
          `made in (it was recorded without one), so it was not run. Check by hand, then run: ${displayCommand(u.argv)}`;
      } else {
        try {
          const r = await conn.exec(u.argv, { privileged: u.needsRoot, timeoutMs });
          ok = r.code === 0;
          if (!ok) message = r.stderr.trim() || `exit code ${r.code ?? r.signal ?? '?'}`;
          if (refusedByIdentityCheck(u.argv, r.code)) {
            message +=
              ' The change was made in the namespace of a process that has exited or restarted since (a restarted container ' +
              'has a new network namespace; what the change put in the old one went away with it). Nothing was run.';
          }
        } catch (err) {
          message = err instanceof Error ? err.message : String(err);
        }
      }
      ran.push({ description: u.description, argv: u.argv, ok, message });
      if (!ok) {
        const remaining = last.undo.slice(i);
        await this.store.save(hostId, [...entries, { ...last, undo: remaining }]);
        return { found: true, ok: false, title: last.title, ran, remaining };
      }
    }
    await this.store.save(hostId, entries);
    return { found: true, ok: true, title: last.title, ran, remaining: [] };
  }
}
