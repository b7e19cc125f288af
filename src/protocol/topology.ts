/**
 * Messages between the topology panel (extension host) and its webview, typed both ways. Each side checks
 * what it receives with the guards below: a webview is another process and its messages are data.
 */
import type { TopologyModel } from '../model/topology';

export type { TopologyModel, TopologyNode, TopologyEdge, TopologyEnd, TopologyInterface } from '../model/topology';

/** The largest export the panel accepts from its webview (an SVG's text or a PNG's base64). */
export const MAX_EXPORT_CHARS = 32 * 1024 * 1024;

// webview -> extension
export type TopologyWebviewMessage =
  | { type: 'ready' }
  /** Node actions name a node id of the model last posted; the panel ignores any other. */
  | { type: 'revealInSidebar'; nodeId: string }
  | { type: 'enterNamespace'; nodeId: string }
  | { type: 'pingFromNamespace'; nodeId: string }
  /** Capture Packets in a node's namespace (any interface, asked), or on one end of an edge. */
  | { type: 'capturePackets'; nodeId: string }
  | { type: 'captureEdge'; edgeId: string; end: 'source' | 'target' }
  | { type: 'copyText'; text: string }
  /** SVG as its text, PNG as base64; the panel asks where to save it. */
  | { type: 'export'; format: 'svg' | 'png'; data: string };

// extension -> webview
export interface TopologyPayload {
  hostId: string;
  hostLabel: string;
  takenAt: number;
  model: TopologyModel;
}

export type TopologyExtensionMessage = ({ type: 'init' } & TopologyPayload) | ({ type: 'update' } & TopologyPayload);

/** What the webview keeps with vscode.setState: the host (for the serializer), node positions and the view. */
export interface TopologyViewState {
  hostId: string;
  positions?: Record<string, [number, number]>;
  view?: { x: number; y: number; k: number };
  search?: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 512;

export function isTopologyWebviewMessage(v: unknown): v is TopologyWebviewMessage {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'ready': return true;
    case 'revealInSidebar':
    case 'enterNamespace':
    case 'pingFromNamespace':
    case 'capturePackets': return isId(v.nodeId);
    case 'captureEdge': return isId(v.edgeId) && (v.end === 'source' || v.end === 'target');
    case 'copyText': return typeof v.text === 'string' && v.text.length > 0 && v.text.length <= 4096;
    case 'export': return (v.format === 'svg' || v.format === 'png') && typeof v.data === 'string' && v.data.length > 0 && v.data.length <= MAX_EXPORT_CHARS;
    default: return false;
  }
}

export function isTopologyExtensionMessage(v: unknown): v is TopologyExtensionMessage {
  if (!isObject(v) || (v.type !== 'init' && v.type !== 'update')) return false;
  const m = v.model;
  return typeof v.hostId === 'string' && typeof v.hostLabel === 'string' && typeof v.takenAt === 'number'
    && isObject(m) && Array.isArray(m.nodes) && Array.isArray(m.edges) && Array.isArray(m.warnings) && typeof m.title === 'string';
}

export function isTopologyViewState(v: unknown): v is TopologyViewState {
  return isObject(v) && typeof v.hostId === 'string' && v.hostId.length > 0;
}
