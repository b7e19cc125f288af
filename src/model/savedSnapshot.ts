/**
 * What is kept of a host's last snapshot across a window reload or restart, in VS Code's global state:
 * the snapshot without the processes' command lines (arguments can hold tokens and passwords; nothing
 * secret goes to disk), and whether connecting needed a prompt (then the host waits for a click instead
 * of reconnecting by itself).
 */
import { Snapshot, SNAPSHOT_SCHEMA_VERSION } from './snapshot';

export const SAVED_SNAPSHOT_VERSION = 1;
/** Larger snapshots are not kept (global state is read at every start). */
export const MAX_SAVED_CHARS = 8 * 1024 * 1024;

export interface SavedSnapshot {
  version: typeof SAVED_SNAPSHOT_VERSION;
  /** Connecting asked the user something (a password, a passphrase, a host key, sudo). */
  needsPrompt: boolean;
  snapshot: Snapshot;
}

/** The form to keep, or undefined when the snapshot is too large to keep. */
export function toSaved(snapshot: Snapshot, needsPrompt: boolean): SavedSnapshot | undefined {
  const kept: Snapshot = { ...snapshot, processes: snapshot.processes.map((p) => ({ ...p, cmdline: '' })) };
  const saved: SavedSnapshot = { version: SAVED_SNAPSHOT_VERSION, needsPrompt, snapshot: kept };
  return JSON.stringify(saved).length <= MAX_SAVED_CHARS ? saved : undefined;
}

/** What global state holds, checked: anything of another version or shape is ignored. */
export function fromSaved(value: unknown): SavedSnapshot | undefined {
  const v = value as Partial<SavedSnapshot> | undefined;
  const s = v?.snapshot as Partial<Snapshot> | undefined;
  if (
    !v ||
    v.version !== SAVED_SNAPSHOT_VERSION ||
    typeof v.needsPrompt !== 'boolean' ||
    !s ||
    s.schemaVersion !== SNAPSHOT_SCHEMA_VERSION ||
    typeof s.host?.takenAt !== 'number' ||
    !Array.isArray(s.processes) ||
    !Array.isArray(s.namespaces) ||
    !Array.isArray(s.containers) ||
    !Array.isArray(s.netns) ||
    !Array.isArray(s.interfaces)
  ) {
    return undefined;
  }
  return v as SavedSnapshot;
}
