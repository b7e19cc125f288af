/**
 * Messages between the PID mapping panel (extension host) and its webview, typed both ways. Each side
 * checks what it receives with the guards below: a webview is another process and its messages are data.
 */
import type { PidMapModel, PidMapScope } from '../model/pidMap';

export type { PidMapModel, PidMapScope, PidMapRow, PidMapGroup, PidLevel } from '../model/pidMap';

// webview -> extension
export type PidMapWebviewMessage =
  | { type: 'ready' }
  | { type: 'enterNamespace'; pid: number }
  | { type: 'revealInSidebar'; pid: number }
  | { type: 'copyPid'; pid: number }
  | { type: 'setScope'; scope: PidMapScope };

// extension -> webview
export interface PidMapPayload {
  /** Which connection the map belongs to; the webview saves it so the serializer can restore the panel. */
  hostId: string;
  hostLabel: string;
  /** Epoch milliseconds of the snapshot the model was built from (0 when there is none). */
  takenAt: number;
  model: PidMapModel;
}

export type PidMapExtensionMessage =
  | ({ type: 'init' } & PidMapPayload)
  | ({ type: 'update' } & PidMapPayload);

/** What the webview keeps with vscode.setState; the serializer reads hostId and scope back. */
export interface PidMapViewState {
  hostId: string;
  scope: PidMapScope;
  sort?: { key: string; dir: 'asc' | 'desc' };
  filter?: string;
  selectedPid?: number;
  grouped?: boolean;
  collapsed?: Array<number | null>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPid = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v > 0;

export function isPidMapScope(v: unknown): v is PidMapScope {
  if (!isObject(v)) return false;
  switch (v.kind) {
    case 'host': return true;
    case 'container': return typeof v.id === 'string' && v.id.length > 0 && v.id.length <= 256;
    case 'pidns': return isPid(v.inode);
    case 'pid': return isPid(v.pid);
    default: return false;
  }
}

export function isPidMapWebviewMessage(v: unknown): v is PidMapWebviewMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'ready': return true;
    case 'enterNamespace':
    case 'revealInSidebar':
    case 'copyPid': return isPid(v.pid);
    case 'setScope': return isPidMapScope(v.scope);
    default: return false;
  }
}

export function isPidMapExtensionMessage(v: unknown): v is PidMapExtensionMessage {
  if (!isObject(v) || (v.type !== 'init' && v.type !== 'update')) return false;
  const m = v.model;
  return typeof v.hostId === 'string' && typeof v.hostLabel === 'string' && typeof v.takenAt === 'number'
    && isObject(m) && isPidMapScope(m.scope) && Array.isArray(m.rows) && Array.isArray(m.levels) && Array.isArray(m.groups);
}

export function isPidMapViewState(v: unknown): v is PidMapViewState {
  return isObject(v) && typeof v.hostId === 'string' && v.hostId.length > 0 && isPidMapScope(v.scope);
}
