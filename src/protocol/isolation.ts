/**
 * Messages between the isolation report panel (extension host) and its webview, typed both ways and
 * checked on arrival: a webview is another process and its messages are data.
 */
import type { IsolationReport } from '../model/isolation';

export type { IsolationReport, IsolationRow, Finding, Severity, NamespaceSharing } from '../model/isolation';

// webview -> extension
export type IsolationWebviewMessage =
  | { type: 'ready' }
  /** A container reference (`engine:id`) of the report last posted; the panel ignores any other. */
  | { type: 'revealContainer'; ref: string }
  /** Markdown of these rows (refs of the report last posted), in this order: what the table shows. */
  | { type: 'exportMarkdown'; refs: string[] };

// extension -> webview
export interface IsolationPayload {
  hostId: string;
  hostLabel: string;
  takenAt: number;
  /** The containers the panel shows (absent: the whole host); the webview saves it for the serializer. */
  refs?: string[];
  report: IsolationReport;
}

export type IsolationExtensionMessage = ({ type: 'init' } & IsolationPayload) | ({ type: 'update' } & IsolationPayload);

export interface IsolationViewState {
  hostId: string;
  /** Container references the panel was opened for; absent: the whole host. */
  refs?: string[];
  sort?: { key: string; dir: 'asc' | 'desc' };
  filter?: string;
  minSeverity?: string;
  expanded?: string[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isRef = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 300;

export function isIsolationWebviewMessage(v: unknown): v is IsolationWebviewMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'ready': return true;
    case 'revealContainer': return isRef(v.ref);
    case 'exportMarkdown': return Array.isArray(v.refs) && v.refs.length <= 10_000 && v.refs.every(isRef);
    default: return false;
  }
}

export function isIsolationExtensionMessage(v: unknown): v is IsolationExtensionMessage {
  if (!isObject(v) || (v.type !== 'init' && v.type !== 'update')) return false;
  const r = v.report;
  return typeof v.hostId === 'string' && typeof v.hostLabel === 'string' && typeof v.takenAt === 'number'
    && isObject(r) && Array.isArray(r.rows) && Array.isArray(r.summary) && Array.isArray(r.warnings);
}

export function isIsolationViewState(v: unknown): v is IsolationViewState {
  return isObject(v) && typeof v.hostId === 'string' && v.hostId.length > 0 && (v.refs === undefined || (Array.isArray(v.refs) && v.refs.every(isRef)));
}
