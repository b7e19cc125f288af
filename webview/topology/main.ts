/**
 * Network topology webview: the graph of src/model/topology.ts laid out by elkjs (layered, left to right)
 * and drawn as SVG, with zoom and pan, search, hover highlight, drag, a context menu and SVG/PNG export.
 * Positions are kept across refreshes (and reloads, in the webview state): only new nodes are placed.
 */
import { el, icon } from '../shared/dom';
import type ElkConstructor from 'elkjs/lib/elk-api';
import type { ElkNode } from 'elkjs/lib/elk-api';
import { displayText } from '../../src/model/displayText';
import {
  isTopologyExtensionMessage,
  type TopologyEdge,
  type TopologyModel,
  type TopologyNode,
  type TopologyViewState,
  type TopologyWebviewMessage,
} from '../../src/protocol/topology';

interface VsCodeApi {
  postMessage(message: TopologyWebviewMessage): void;
  getState(): unknown;
  setState(state: TopologyViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
/** elkjs, loaded by its own script tag before this bundle (dist/webview/elk.bundled.js). */
declare const ELK: typeof ElkConstructor;

const vscode = acquireVsCodeApi();
const SVG_NS = 'http://www.w3.org/2000/svg';
const saved = vscode.getState() as Partial<TopologyViewState> | undefined;

interface Pos { x: number; y: number }
interface Size { w: number; h: number }

const state = {
  hostId: saved?.hostId ?? '',
  hostLabel: '',
  takenAt: 0,
  model: undefined as TopologyModel | undefined,
  positions: new Map<string, Pos>(Object.entries(saved?.positions ?? {}).map(([id, [x, y]]) => [id, { x, y }])),
  view: saved?.view ?? { x: 40, y: 40, k: 1 },
  search: saved?.search ?? '',
  matches: [] as string[],
  matchCursor: -1,
  selected: undefined as string | undefined,
  hovered: undefined as string | undefined,
  /** Bumped per posted model, so a layout that finishes after a newer model arrived is dropped. */
  generation: 0,
  fitted: saved?.view !== undefined,
};

// ---- DOM skeleton -------------------------------------------------------------------------------

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, cls?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (cls) e.setAttribute('class', cls);
  return e;
}
function iconButton(name: string, title: string, action: () => void): HTMLButtonElement {
  const b = el('button', 'icon-button');
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.append(icon(name));
  b.addEventListener('click', action);
  return b;
}

const app = document.getElementById('app') ?? document.body;
const toolbar = el('header', 'toolbar');
const titleRow = el('div', 'title-row');
const titleText = el('h1', 'title');
const meta = el('div', 'meta');
titleRow.append(icon('type-hierarchy'), titleText, meta);
const headerText = el('p', 'header-sentence');
const controls = el('div', 'controls');
const searchBox = el('div', 'filter');
const searchInput = el('input');
searchInput.type = 'search';
searchInput.placeholder = 'Search name, address or inode';
searchInput.setAttribute('aria-label', 'Search the topology by name, address or inode');
searchInput.spellcheck = false;
searchInput.value = state.search;
searchBox.append(icon('search'), searchInput);
const count = el('span', 'count');
count.setAttribute('aria-live', 'polite');
controls.append(
  searchBox,
  count,
  iconButton('zoom-in', 'Zoom in', () => zoomBy(1.25)),
  iconButton('zoom-out', 'Zoom out', () => zoomBy(0.8)),
  iconButton('screen-full', 'Fit to view', () => fit()),
  iconButton('layout', 'Lay out again (forget positions)', () => { state.positions.clear(); void relayout(); }),
  iconButton('file-media', 'Export as SVG', () => vscode.postMessage({ type: 'export', format: 'svg', data: exportSvg() })),
  iconButton('device-camera', 'Export as PNG', () => { const d = exportPng(); if (d) vscode.postMessage({ type: 'export', format: 'png', data: d }); }),
);
toolbar.append(titleRow, headerText, controls);
const warnings = el('div', 'warnings');
warnings.setAttribute('role', 'status');
const stage = el('div', 'stage');
const root = svg('svg', {}, 'graph');
root.setAttribute('role', 'img');
root.setAttribute('aria-label', 'Network topology');
root.tabIndex = 0;
const viewport = svg('g', {}, 'viewport');
const edgeLayer = svg('g', {}, 'edges');
const nodeLayer = svg('g', {}, 'nodes');
viewport.append(edgeLayer, nodeLayer);
root.append(viewport);
const tooltip = el('div', 'tooltip');
tooltip.setAttribute('role', 'tooltip');
tooltip.hidden = true;
const menu = el('div', 'context-menu');
menu.setAttribute('role', 'menu');
menu.hidden = true;
const empty = el('div', 'empty');
stage.append(root, tooltip, menu, empty);
app.append(toolbar, warnings, stage);

// ---- Geometry -----------------------------------------------------------------------------------

/** Average advance of a 12px bold label and an 11px detail character. */
const CHAR_W = 7.2;
const DETAIL_W = 6.4;
/** Edges at one node beyond which the labels of their ends there show on hover only. */
const CROWDED = 3;
function sizeOf(n: TopologyNode): Size {
  if (n.kind === 'outside') return { w: 110, h: 36 };
  if (n.kind === 'unknown') return { w: 120, h: 32 };
  const px = Math.max(displayText(n.label).length * CHAR_W, n.kind === 'netns' ? n.detail.length * DETAIL_W : 0);
  const w = Math.round(Math.min(280, Math.max(n.kind === 'bridge' ? 110 : 140, px + 30)));
  return { w, h: n.kind === 'bridge' ? 38 : 46 };
}
/** A label cut to fit its box, with an ellipsis; the tooltip and the exports' <title> carry it whole. */
function fitText(text: string, width: number, charW = CHAR_W): string {
  const max = Math.max(4, Math.floor((width - 22) / charW));
  const t = displayText(text);
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

const elk = new ELK();
/** A hub with this many single-edge neighbours gets them as a grid block; a block's cell size. */
const FAN_MIN = 6;
const FAN_COL = 220;
const FAN_ROW = 72;

/** Places the nodes that have no position yet: connected ones by ELK, lone ones in a grid below. */
async function layoutNew(model: TopologyModel): Promise<Map<string, Pos>> {
  const out = new Map<string, Pos>();
  for (const n of model.nodes) { const p = state.positions.get(n.id); if (p) out.set(n.id, p); }
  const missing = model.nodes.filter((n) => !out.has(n.id));
  if (missing.length === 0) return out;
  const linked = new Set(model.edges.filter((e) => e.source !== e.target).flatMap((e) => [e.source, e.target]));
  const connected = model.nodes.filter((n) => linked.has(n.id));
  const lone = missing.filter((n) => !linked.has(n.id));
  let maxY = -Infinity;
  let minX = Infinity;
  let maxX = 0;
  for (const n of model.nodes) {
    const p = out.get(n.id);
    if (!p) continue;
    const s = sizeOf(n);
    maxY = Math.max(maxY, p.y + s.h / 2);
    minX = Math.min(minX, p.x - s.w / 2);
    maxX = Math.max(maxX, p.x + s.w / 2);
  }
  const hadAny = out.size > 0;
  // Fans: the nodes whose every edge goes to one hub (containers on a bridge, macvlans on the host). ELK
  // would stack a hub's hundred leaves in one column; a block per hub, filled as a grid, stays readable
  // and leaves ELK a small graph.
  const neighbours = new Map<string, Set<string>>();
  for (const e of model.edges) {
    if (e.source === e.target) continue;
    for (const [a, b] of [[e.source, e.target], [e.target, e.source]] as const) {
      let set = neighbours.get(a);
      if (!set) neighbours.set(a, (set = new Set()));
      set.add(b);
    }
  }
  const fans = new Map<string, TopologyNode[]>();
  for (const n of connected) {
    if (out.has(n.id)) continue;
    const nb = neighbours.get(n.id);
    if (!nb || nb.size !== 1) continue;
    const hub = [...nb][0]!;
    if ((neighbours.get(hub)?.size ?? 0) < 2) continue;
    let l = fans.get(hub);
    if (!l) fans.set(hub, (l = []));
    l.push(n);
  }
  for (const [hub, l] of [...fans]) if (l.length < FAN_MIN) fans.delete(hub);
  const inFan = new Set([...fans.values()].flat().map((n) => n.id));
  const blocks = [...fans].map(([hub, leaves]) => {
    const cols = Math.max(2, Math.ceil(Math.sqrt((leaves.length * FAN_ROW) / FAN_COL)));
    return { id: `fan:${hub}`, hub, leaves, cols, width: cols * FAN_COL, height: Math.ceil(leaves.length / cols) * FAN_ROW };
  });
  const graphNodes = connected.filter((n) => !inFan.has(n.id));
  if (graphNodes.some((n) => !out.has(n.id)) || blocks.length) {
    const ids = new Set([...graphNodes.map((n) => n.id), ...blocks.map((b) => b.id)]);
    const fanOf = new Map(blocks.flatMap((b) => b.leaves.map((n) => [n.id, b.id] as const)));
    const seen = new Set<string>();
    const edges = model.edges
      .filter((e) => e.source !== e.target)
      .map((e) => ({ id: e.id, s: fanOf.get(e.source) ?? e.source, t: fanOf.get(e.target) ?? e.target }))
      .filter((e) => ids.has(e.s) && ids.has(e.t) && e.s !== e.t && !seen.has(`${e.s} ${e.t}`) && (seen.add(`${e.s} ${e.t}`), true))
      .map((e) => ({ id: e.id, sources: [e.s], targets: [e.t] }));
    const g: ElkNode = {
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered',
        'elk.direction': 'RIGHT',
        'elk.spacing.nodeNode': '28',
        'elk.layered.spacing.nodeNodeBetweenLayers': '150',
        'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
        'elk.separateConnectedComponents': 'true',
        'elk.spacing.componentComponent': '60',
      },
      children: [
        ...graphNodes.map((n) => ({ id: n.id, ...(({ w, h }) => ({ width: w, height: h }))(sizeOf(n)) })),
        ...blocks.map((b) => ({ id: b.id, width: b.width, height: b.height })),
      ],
      edges,
    };
    const res = await elk.layout(g);
    const placed = (res.children ?? []).filter((c) => !out.has(c.id));
    const top = Math.min(...placed.map((c) => c.y ?? 0));
    const dy = hadAny ? maxY + 80 - top : 0;
    const dx = hadAny ? minX : 0;
    for (const c of placed) {
      const b = blocks.find((x) => x.id === c.id);
      if (!b) {
        out.set(c.id, { x: (c.x ?? 0) + (c.width ?? 0) / 2 + dx, y: (c.y ?? 0) + (c.height ?? 0) / 2 + dy });
        continue;
      }
      const sorted = [...b.leaves].sort((p, q) => p.label.localeCompare(q.label, undefined, { numeric: true }));
      sorted.forEach((n, i) => {
        out.set(n.id, { x: (c.x ?? 0) + dx + FAN_COL / 2 + (i % b.cols) * FAN_COL, y: (c.y ?? 0) + dy + FAN_ROW / 2 + Math.floor(i / b.cols) * FAN_ROW });
      });
    }
  }
  // Lone nodes (loopback-only namespaces, ones whose interfaces were not read) in rows below the rest.
  if (lone.length > 0) {
    maxY = -Infinity; minX = Infinity; maxX = 0;
    for (const n of model.nodes) {
      const p = out.get(n.id);
      if (!p) continue;
      const s = sizeOf(n);
      maxY = Math.max(maxY, p.y + s.h / 2);
      minX = Math.min(minX, p.x - s.w / 2);
      maxX = Math.max(maxX, p.x + s.w / 2);
    }
    if (!Number.isFinite(maxY)) { maxY = -60; minX = 0; maxX = 0; }
    const colW = Math.max(200, ...lone.map((n) => sizeOf(n).w + 16));
    const cols = Math.max(3, Math.min(12, Math.floor((maxX - minX) / colW) || Math.ceil(Math.sqrt(lone.length))));
    lone.forEach((n, i) => {
      out.set(n.id, { x: minX + colW / 2 + (i % cols) * colW, y: maxY + 90 + Math.floor(i / cols) * 64 });
    });
  }
  return out;
}

// ---- Rendering ----------------------------------------------------------------------------------

const nodeEls = new Map<string, SVGGElement>();
const edgeEls = new Map<string, { g: SVGGElement; lines: SVGPathElement[]; labels: SVGTextElement[] }>();
const nodeById = new Map<string, TopologyNode>();
const edgeById = new Map<string, TopologyEdge>();
const edgesOf = new Map<string, TopologyEdge[]>();

function nodeClass(n: TopologyNode): string {
  const holder = n.holders[0]?.kind ?? '';
  return ['node', `kind-${n.kind}`, n.isHost ? 'host' : '', holder ? `holder-${holder}` : '', n.isolated ? 'isolated' : ''].filter(Boolean).join(' ');
}

function render(): void {
  const m = state.model;
  if (!m) return;
  edgeLayer.replaceChildren();
  nodeLayer.replaceChildren();
  nodeEls.clear();
  edgeEls.clear();
  nodeById.clear();
  edgeById.clear();
  edgesOf.clear();
  for (const n of m.nodes) nodeById.set(n.id, n);
  for (const e of m.edges) edgeById.set(e.id, e);
  for (const e of m.edges) {
    for (const id of new Set([e.source, e.target])) {
      let l = edgesOf.get(id);
      if (!l) edgesOf.set(id, (l = []));
      l.push(e);
    }
  }
  for (const e of m.edges) {
    const g = svg('g', { 'data-id': e.id, 'data-source': e.source, 'data-target': e.target }, `edge kind-${e.kind}`);
    const hit = svg('path', {}, 'edge-hit');
    const line = svg('path', {}, 'edge-line');
    g.append(hit, line);
    const labels: SVGTextElement[] = [];
    for (const [end, at] of [[e.sourceEnd, e.source], [e.targetEnd, e.target]] as const) {
      // At a hub (a bridge with many ports) the labels of its ends would pile up: shown on hover only.
      const t = svg('text', {}, (edgesOf.get(at)?.length ?? 0) > CROWDED ? 'end-label crowded' : 'end-label');
      if (end) {
        const name = svg('tspan', { x: 0, dy: 0 }, 'end-name');
        name.textContent = displayText(end.name);
        t.append(name);
        const addr = end.addresses.filter((a) => !a.startsWith('fe80:'))[0] ?? end.addresses[0];
        if (addr) {
          const a = svg('tspan', { x: 0, dy: 13 }, 'end-addr');
          a.textContent = addr;
          t.append(a);
        }
      }
      labels.push(t);
      g.append(t);
    }
    g.addEventListener('pointerenter', (ev) => hover(e.id, ev));
    g.addEventListener('pointerleave', () => hover(undefined));
    g.addEventListener('contextmenu', (ev) => { ev.preventDefault(); ev.stopPropagation(); openEdgeMenu(e.id, ev.clientX, ev.clientY); });
    edgeLayer.append(g);
    edgeEls.set(e.id, { g, lines: [hit, line], labels });
  }
  for (const n of m.nodes) {
    const s = sizeOf(n);
    const g = svg('g', { 'data-id': n.id, 'data-label': n.label, tabindex: 0, role: 'button' }, nodeClass(n));
    g.setAttribute('aria-label', `${displayText(n.label)}, ${n.detail}`);
    if (n.kind === 'outside') g.append(svg('ellipse', { cx: 0, cy: 0, rx: s.w / 2, ry: s.h / 2 }, 'node-shape'));
    else g.append(svg('rect', { x: -s.w / 2, y: -s.h / 2, width: s.w, height: s.h, rx: n.kind === 'bridge' ? 16 : 5 }, 'node-shape'));
    if (n.kind === 'netns') g.append(svg('rect', { x: -s.w / 2, y: -s.h / 2, width: 5, height: s.h, rx: 2 }, 'node-stripe'));
    const label = svg('text', { x: n.kind === 'netns' ? -s.w / 2 + 13 : 0, y: n.kind === 'netns' ? -4 : 4 }, `node-label${n.kind === 'netns' ? '' : ' centred'}`);
    label.textContent = fitText(n.label, s.w);
    g.append(label);
    if (n.kind === 'netns') {
      const d = svg('text', { x: -s.w / 2 + 13, y: 13 }, 'node-detail');
      d.textContent = fitText(n.detail, s.w, DETAIL_W);
      g.append(d);
    }
    g.addEventListener('pointerenter', (ev) => hover(n.id, ev));
    g.addEventListener('pointerleave', () => hover(undefined));
    g.addEventListener('pointerdown', (ev) => startDrag(ev, n.id));
    g.addEventListener('contextmenu', (ev) => { ev.preventDefault(); ev.stopPropagation(); openMenu(n.id, ev.clientX, ev.clientY); });
    g.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(n.id, true); }
      else if (ev.key === 'ContextMenu' || (ev.shiftKey && ev.key === 'F10')) {
        ev.preventDefault();
        const r = g.getBoundingClientRect();
        openMenu(n.id, r.left + r.width / 2, r.bottom);
      }
    });
    g.addEventListener('focus', () => hover(n.id));
    g.addEventListener('blur', () => hover(undefined));
    nodeLayer.append(g);
    nodeEls.set(n.id, g);
  }
  placeAll();
  applySearch(false);
  applyClasses();
  empty.hidden = m.nodes.length > 0;
  empty.textContent = m.nodes.length ? '' : m.header;
}

function placeNode(id: string): void {
  const p = state.positions.get(id);
  const g = nodeEls.get(id);
  if (p && g) g.setAttribute('transform', `translate(${p.x.toFixed(1)},${p.y.toFixed(1)})`);
}

/** Where an edge meets a node's box, towards the other end (so lines start at the border, not inside). */
function borderPoint(n: TopologyNode, from: Pos, to: Pos): Pos {
  const s = sizeOf(n);
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  if (dx === 0 && dy === 0) return from;
  const t = Math.min(s.w / 2 / Math.abs(dx || 1e-9), s.h / 2 / Math.abs(dy || 1e-9));
  return { x: from.x + dx * Math.min(t, 1), y: from.y + dy * Math.min(t, 1) };
}

interface EdgeGeom { d: string; a: Pos; b: Pos; la: Pos; lb: Pos }
function edgeGeometry(e: TopologyEdge): EdgeGeom | undefined {
  const ps = state.positions.get(e.source);
  const pt = state.positions.get(e.target);
  const ns = nodeById.get(e.source);
  const nt = nodeById.get(e.target);
  if (!ps || !pt || !ns || !nt) return undefined;
  if (e.source === e.target) {
    // Both ends in one namespace: a loop above the node.
    const s = sizeOf(ns);
    const a = { x: ps.x - 20, y: ps.y - s.h / 2 };
    const b = { x: ps.x + 20, y: ps.y - s.h / 2 };
    return { d: `M${a.x},${a.y} C${a.x - 30},${a.y - 60} ${b.x + 30},${b.y - 60} ${b.x},${b.y}`, a, b, la: { x: a.x - 44, y: a.y - 44 }, lb: { x: b.x + 10, y: b.y - 44 } };
  }
  const a = borderPoint(ns, ps, pt);
  const b = borderPoint(nt, pt, ps);
  // Each end's label (name, address: two lines) sits just off its node, the source's above the line and
  // the target's below it, so the two never cover each other however short the edge.
  const len = Math.hypot(b.x - a.x, b.y - a.y) || 1;
  const ux = (b.x - a.x) / len;
  const uy = (b.y - a.y) / len;
  const off = Math.min(10, len / 4);
  // An end on a node's top or bottom border puts its label above or below, out of the node.
  const side = (p: Pos, c: Pos, n: TopologyNode): 'top' | 'bottom' | 'side' => {
    const h = sizeOf(n).h / 2;
    return p.y <= c.y - h + 0.5 ? 'top' : p.y >= c.y + h - 0.5 ? 'bottom' : 'side';
  };
  const above = -30;
  const below = 14;
  const sa = side(a, ps, ns);
  const sb = side(b, pt, nt);
  const la = { x: a.x + ux * off, y: a.y + uy * off + (sa === 'top' ? above : sa === 'bottom' ? below : uy < 0 ? -4 : above) };
  const lb = { x: b.x - ux * off, y: b.y - uy * off + (sb === 'top' ? above : sb === 'bottom' ? below : uy < 0 ? 30 : below) };
  return { d: `M${a.x.toFixed(1)},${a.y.toFixed(1)} L${b.x.toFixed(1)},${b.y.toFixed(1)}`, a, b, la, lb };
}

function placeEdge(e: TopologyEdge): void {
  const els = edgeEls.get(e.id);
  const geo = edgeGeometry(e);
  if (!els || !geo) return;
  for (const p of els.lines) p.setAttribute('d', geo.d);
  const [la, lb] = els.labels;
  const anchorOf = (pos: Pos, other: Pos) => (pos.x <= other.x ? 'start' : 'end');
  for (const [t, pos, other] of [[la!, geo.la, geo.lb], [lb!, geo.lb, geo.la]] as const) {
    t.setAttribute('transform', `translate(${pos.x.toFixed(1)},${pos.y.toFixed(1)})`);
    t.setAttribute('text-anchor', e.source === e.target ? 'start' : anchorOf(pos, other));
  }
}

function placeAll(): void {
  for (const id of nodeEls.keys()) placeNode(id);
  for (const e of state.model?.edges ?? []) placeEdge(e);
}

function applyView(): void {
  const { x, y, k } = state.view;
  viewport.setAttribute('transform', `translate(${x.toFixed(1)},${y.toFixed(1)}) scale(${k.toFixed(4)})`);
  root.classList.toggle('lod-low', k < 0.6);
  root.classList.toggle('lod-min', k < 0.3);
  saveState();
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  if (saveTimer) return;
  saveTimer = setTimeout(() => {
    saveTimer = undefined;
    const positions: Record<string, [number, number]> = {};
    for (const [id, p] of state.positions) positions[id] = [Math.round(p.x), Math.round(p.y)];
    vscode.setState({ hostId: state.hostId, positions, view: state.view, search: state.search });
  }, 300);
}

// ---- Highlight, search, selection ---------------------------------------------------------------

function neighbourhood(id: string): { nodes: Set<string>; edges: Set<string> } {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const e = edgeById.get(id);
  if (e) {
    edges.add(e.id);
    nodes.add(e.source);
    nodes.add(e.target);
    return { nodes, edges };
  }
  nodes.add(id);
  for (const x of edgesOf.get(id) ?? []) {
    edges.add(x.id);
    nodes.add(x.source);
    nodes.add(x.target);
  }
  return { nodes, edges };
}

function applyClasses(): void {
  const hl = state.hovered ? neighbourhood(state.hovered) : undefined;
  const searching = state.matches.length > 0 || state.search.trim() !== '';
  const matchSet = new Set(state.matches);
  root.classList.toggle('highlighting', hl !== undefined);
  root.classList.toggle('searching', searching && !hl);
  for (const [id, g] of nodeEls) {
    g.classList.toggle('hl', hl?.nodes.has(id) ?? false);
    g.classList.toggle('match', matchSet.has(id));
    g.classList.toggle('selected', state.selected === id);
  }
  for (const [id, { g }] of edgeEls) {
    g.classList.toggle('hl', hl?.edges.has(id) ?? false);
    const e = edgeById.get(id);
    g.classList.toggle('match', !!e && matchSet.has(e.source) && matchSet.has(e.target) && e.search.length > 0 && tokensMatch(e.search));
  }
}

function tokensMatch(text: string): boolean {
  const tokens = state.search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  return tokens.length > 0 && tokens.every((t) => text.includes(t));
}

function applySearch(centre: boolean): void {
  const m = state.model;
  const tokens = state.search.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!m || tokens.length === 0) {
    state.matches = [];
    count.textContent = m ? `${m.nodes.length} node${m.nodes.length === 1 ? '' : 's'}` : '';
  } else {
    const hits = new Set<string>();
    for (const n of m.nodes) if (tokensMatch(n.search)) hits.add(n.id);
    // An edge that matches (an interface name or address) brings both of its nodes.
    for (const e of m.edges) if (tokensMatch(e.search)) { hits.add(e.source); hits.add(e.target); }
    state.matches = m.nodes.filter((n) => hits.has(n.id)).map((n) => n.id);
    count.textContent = state.matches.length ? `${state.matches.length} match${state.matches.length === 1 ? '' : 'es'}` : 'No match';
    if (centre && state.matches.length) {
      state.matchCursor = (state.matchCursor + 1) % state.matches.length;
      centreOn(state.matches[state.matchCursor]!);
    }
  }
  applyClasses();
}

function hover(id: string | undefined, ev?: PointerEvent): void {
  if (drag) return;
  state.hovered = id;
  applyClasses();
  if (!id) { tooltip.hidden = true; return; }
  showTooltip(id, ev);
}

function showTooltip(id: string, ev?: PointerEvent): void {
  const n = nodeById.get(id);
  const e = n ? undefined : edgeById.get(id);
  tooltip.replaceChildren();
  if (n) {
    tooltip.append(el('div', 'tt-title', displayText(n.label)), el('div', 'tt-detail', n.detail));
    const ifs = n.interfaces.filter((i) => i.kind !== 'loopback');
    for (const i of ifs.slice(0, 12)) {
      tooltip.append(el('div', 'tt-line', `${displayText(i.name)} (${i.kind}${i.state ? `, ${i.state}` : ''})${i.master ? ` → ${displayText(i.master)}` : ''}${i.addresses.length ? `: ${i.addresses.join(', ')}` : ''}`));
    }
    if (ifs.length > 12) tooltip.append(el('div', 'tt-line', `… ${ifs.length - 12} more`));
    if (n.isolated) tooltip.append(el('div', 'tt-line', 'Only loopback: no network beyond itself.'));
    const sharing = n.isHost ? n.holders.filter((h) => h.kind === 'container') : [];
    if (sharing.length) tooltip.append(el('div', 'tt-line', `Shared with the host network: ${sharing.slice(0, 12).map((h) => displayText(h.name)).join(', ')}${sharing.length > 12 ? ` and ${sharing.length - 12} more` : ''}`));
  } else if (e) {
    tooltip.append(el('div', 'tt-title', displayText(e.label)), el('div', 'tt-detail', edgeKindText(e)));
    for (const end of [e.sourceEnd, e.targetEnd]) if (end) tooltip.append(el('div', 'tt-line', `${displayText(end.name)}${end.state ? ` (${end.state})` : ''}: ${end.addresses.join(', ') || 'no address'}`));
  }
  tooltip.hidden = false;
  const r = stage.getBoundingClientRect();
  let x = (ev?.clientX ?? r.left + r.width / 2) - r.left + 14;
  let y = (ev?.clientY ?? r.top + 40) - r.top + 14;
  const tw = tooltip.offsetWidth;
  const th = tooltip.offsetHeight;
  if (x + tw > r.width - 8) x = Math.max(8, x - tw - 28);
  if (y + th > r.height - 8) y = Math.max(8, y - th - 28);
  tooltip.style.left = `${x}px`;
  tooltip.style.top = `${y}px`;
}

function edgeKindText(e: TopologyEdge): string {
  switch (e.kind) {
    case 'veth': return 'veth pair';
    case 'port': return 'veth pair, a bridge port';
    case 'bridge': return 'bridge in its namespace';
    case 'lower': return 'lower device (macvlan, ipvlan, vlan, vxlan)';
    case 'uplink': return 'physical interface, to the outside';
  }
}

function select(id: string, reveal: boolean): void {
  state.selected = id;
  applyClasses();
  const n = nodeById.get(id);
  if (reveal && n && (n.kind === 'netns' || n.kind === 'bridge')) vscode.postMessage({ type: 'revealInSidebar', nodeId: id });
}

// ---- Context menu -------------------------------------------------------------------------------

function openMenu(id: string, clientX: number, clientY: number): void {
  const n = nodeById.get(id);
  if (!n) return;
  tooltip.hidden = true;
  state.selected = id;
  applyClasses();
  menu.replaceChildren();
  const actionable = n.kind === 'netns' || n.kind === 'bridge';
  const item = (label: string, ic: string, enabled: boolean, run: () => void): void => {
    const b = el('button', 'menu-item');
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.disabled = !enabled;
    b.append(icon(ic), el('span', undefined, label));
    b.addEventListener('click', () => { closeMenu(); run(); });
    menu.append(b);
  };
  item('Enter Namespace', 'terminal', actionable && n.enterable === true, () => vscode.postMessage({ type: 'enterNamespace', nodeId: id }));
  item('Ping from Namespace', 'radio-tower', actionable && n.enterable === true, () => vscode.postMessage({ type: 'pingFromNamespace', nodeId: id }));
  item('Capture Packets…', 'record', n.kind === 'netns' && n.enterable === true, () => vscode.postMessage({ type: 'capturePackets', nodeId: id }));
  item('Reveal in Sidebar', 'list-tree', actionable, () => vscode.postMessage({ type: 'revealInSidebar', nodeId: id }));
  menu.append(el('div', 'menu-separator'));
  if (n.inode !== undefined) item('Copy Inode', 'copy', true, () => vscode.postMessage({ type: 'copyText', text: String(n.inode) }));
  item('Copy Addresses', 'copy', n.addresses.length > 0, () => vscode.postMessage({ type: 'copyText', text: n.addresses.join('\n') }));
  menu.hidden = false;
  const r = stage.getBoundingClientRect();
  const x = Math.min(clientX - r.left, r.width - menu.offsetWidth - 4);
  const y = Math.min(clientY - r.top, r.height - menu.offsetHeight - 4);
  menu.style.left = `${Math.max(0, x)}px`;
  menu.style.top = `${Math.max(0, y)}px`;
  (menu.querySelector('button:not([disabled])') as HTMLButtonElement | null)?.focus();
}
/** An edge's menu: Capture Packets on either end that sits in a namespace one can enter. */
function openEdgeMenu(id: string, clientX: number, clientY: number): void {
  const e = edgeById.get(id);
  if (!e) return;
  tooltip.hidden = true;
  menu.replaceChildren();
  for (const [end, at, side] of [[e.sourceEnd, e.source, 'source'], [e.targetEnd, e.target, 'target']] as const) {
    const n = nodeById.get(at);
    if (!end) continue;
    const b = el('button', 'menu-item');
    b.type = 'button';
    b.setAttribute('role', 'menuitem');
    b.disabled = !(n && n.kind === 'netns' && n.enterable === true);
    b.append(icon('record'), el('span', undefined, `Capture Packets on ${displayText(end.name)} (${displayText(n?.label ?? at)})`));
    b.addEventListener('click', () => { closeMenu(); vscode.postMessage({ type: 'captureEdge', edgeId: id, end: side }); });
    menu.append(b);
  }
  if (menu.childElementCount === 0) return;
  menu.hidden = false;
  const r = stage.getBoundingClientRect();
  menu.style.left = `${Math.max(0, Math.min(clientX - r.left, r.width - menu.offsetWidth - 4))}px`;
  menu.style.top = `${Math.max(0, Math.min(clientY - r.top, r.height - menu.offsetHeight - 4))}px`;
}

function closeMenu(): void {
  if (menu.hidden) return;
  menu.hidden = true;
  nodeEls.get(state.selected ?? '')?.focus();
}
menu.addEventListener('keydown', (ev) => {
  const items = [...menu.querySelectorAll<HTMLButtonElement>('button:not([disabled])')];
  const i = items.indexOf(document.activeElement as HTMLButtonElement);
  if (ev.key === 'Escape') { ev.preventDefault(); closeMenu(); }
  else if (ev.key === 'ArrowDown') { ev.preventDefault(); items[(i + 1) % items.length]?.focus(); }
  else if (ev.key === 'ArrowUp') { ev.preventDefault(); items[(i - 1 + items.length) % items.length]?.focus(); }
});
document.addEventListener('pointerdown', (ev) => { if (!menu.hidden && !menu.contains(ev.target as Node)) menu.hidden = true; });

// ---- Zoom, pan, drag ----------------------------------------------------------------------------

function zoomAt(factor: number, cx: number, cy: number): void {
  const k = Math.min(4, Math.max(0.08, state.view.k * factor));
  const f = k / state.view.k;
  state.view = { k, x: cx - (cx - state.view.x) * f, y: cy - (cy - state.view.y) * f };
  applyView();
}
function zoomBy(factor: number): void {
  const r = root.getBoundingClientRect();
  zoomAt(factor, r.width / 2, r.height / 2);
}
function bounds(): { x0: number; y0: number; x1: number; y1: number } | undefined {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const n of state.model?.nodes ?? []) {
    const p = state.positions.get(n.id);
    if (!p) continue;
    const s = sizeOf(n);
    x0 = Math.min(x0, p.x - s.w / 2); y0 = Math.min(y0, p.y - s.h / 2 - 30);
    x1 = Math.max(x1, p.x + s.w / 2); y1 = Math.max(y1, p.y + s.h / 2);
  }
  return Number.isFinite(x0) ? { x0, y0, x1, y1 } : undefined;
}
function fit(): void {
  const b = bounds();
  const r = root.getBoundingClientRect();
  if (!b || r.width === 0) return;
  const k = Math.min(1.2, Math.max(0.08, Math.min((r.width - 40) / (b.x1 - b.x0), (r.height - 40) / (b.y1 - b.y0))));
  state.view = { k, x: (r.width - (b.x1 - b.x0) * k) / 2 - b.x0 * k, y: (r.height - (b.y1 - b.y0) * k) / 2 - b.y0 * k };
  applyView();
}
function centreOn(id: string): void {
  const p = state.positions.get(id);
  const r = root.getBoundingClientRect();
  if (!p) return;
  const k = Math.max(state.view.k, 0.8);
  state.view = { k, x: r.width / 2 - p.x * k, y: r.height / 2 - p.y * k };
  applyView();
}

root.addEventListener('wheel', (ev) => {
  ev.preventDefault();
  const r = root.getBoundingClientRect();
  zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.0015)), ev.clientX - r.left, ev.clientY - r.top);
}, { passive: false });

/** Keeps the pointer while dragging outside the graph; a pointer the browser does not know (synthetic) is fine too. */
function capture(pointerId: number): void {
  try { root.setPointerCapture(pointerId); } catch { /* not an active pointer */ }
}
let drag: { id?: string; startX: number; startY: number; origin: Pos; moved: boolean; pointer: number; pan?: Pos } | undefined;
function startDrag(ev: PointerEvent, id: string): void {
  if (ev.button !== 0) return;
  ev.stopPropagation();
  const p = state.positions.get(id);
  if (!p) return;
  drag = { id, startX: ev.clientX, startY: ev.clientY, origin: { ...p }, moved: false, pointer: ev.pointerId };
  capture(ev.pointerId);
}
root.addEventListener('pointerdown', (ev) => {
  if (ev.button !== 0) return;
  drag = { startX: ev.clientX, startY: ev.clientY, origin: { x: state.view.x, y: state.view.y }, moved: false, pointer: ev.pointerId };
  capture(ev.pointerId);
  root.classList.add('panning');
});
root.addEventListener('pointermove', (ev) => {
  if (!drag || ev.pointerId !== drag.pointer) return;
  const dx = ev.clientX - drag.startX;
  const dy = ev.clientY - drag.startY;
  if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
  drag.moved = true;
  tooltip.hidden = true;
  if (drag.id) {
    state.positions.set(drag.id, { x: drag.origin.x + dx / state.view.k, y: drag.origin.y + dy / state.view.k });
    placeNode(drag.id);
    for (const e of edgesOf.get(drag.id) ?? []) placeEdge(e);
    saveState();
  } else {
    // Panning moves the whole drawing as one composited layer; the view is committed on release.
    drag.pan = { x: dx, y: dy };
    root.style.transform = `translate(${dx}px, ${dy}px)`;
  }
});
const endDrag = (ev: PointerEvent): void => {
  if (!drag || ev.pointerId !== drag.pointer) return;
  const d = drag;
  drag = undefined;
  root.classList.remove('panning');
  if (d.pan) {
    root.style.transform = '';
    state.view = { ...state.view, x: d.origin.x + d.pan.x, y: d.origin.y + d.pan.y };
    applyView();
  }
  if (root.hasPointerCapture(ev.pointerId)) root.releasePointerCapture(ev.pointerId);
  if (!d.moved && d.id) select(d.id, true);
  else if (!d.moved && !d.id) { state.selected = undefined; applyClasses(); }
};
root.addEventListener('pointerup', endDrag);
root.addEventListener('pointercancel', endDrag);
root.addEventListener('keydown', (ev) => {
  if (ev.target !== root) return;
  const step = 40;
  const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
  const mv = moves[ev.key];
  if (mv) { ev.preventDefault(); state.view = { ...state.view, x: state.view.x + mv[0], y: state.view.y + mv[1] }; applyView(); }
  else if (ev.key === '+' || ev.key === '=') zoomBy(1.25);
  else if (ev.key === '-') zoomBy(0.8);
  else if (ev.key === '0') fit();
});

searchInput.addEventListener('input', () => {
  state.search = searchInput.value;
  state.matchCursor = -1;
  applySearch(false);
  saveState();
});
searchInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') { ev.preventDefault(); applySearch(true); }
  if (ev.key === 'Escape') { searchInput.value = ''; state.search = ''; applySearch(false); saveState(); }
});
window.addEventListener('keydown', (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && ev.key === 'f') { ev.preventDefault(); searchInput.focus(); searchInput.select(); }
});

// ---- Export -------------------------------------------------------------------------------------

interface Palette { bg: string; fg: string; muted: string; border: string; edge: string; host: string; netns: string; container: string; process: string; bridge: string; outside: string; nodeBg: string; font: string }
function palette(): Palette {
  const cs = getComputedStyle(document.body);
  const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
  return {
    bg: v('--vscode-editor-background', '#1e1e1e'),
    fg: v('--vscode-foreground', '#cccccc'),
    muted: v('--vscode-descriptionForeground', '#9d9d9d'),
    border: v('--vscode-panel-border', '#80808059'),
    edge: v('--vscode-editorLineNumber-foreground', '#858585'),
    host: v('--vscode-charts-blue', '#3794ff'),
    netns: v('--vscode-charts-green', '#89d185'),
    container: v('--vscode-charts-purple', '#b180d7'),
    process: v('--vscode-charts-orange', '#d18616'),
    bridge: v('--vscode-charts-yellow', '#cca700'),
    outside: v('--vscode-descriptionForeground', '#9d9d9d'),
    nodeBg: v('--vscode-editorWidget-background', '#252526'),
    font: v('--vscode-font-family', 'sans-serif'),
  };
}
function accent(n: TopologyNode, p: Palette): string {
  if (n.isHost) return p.host;
  if (n.kind === 'bridge') return p.bridge;
  if (n.kind === 'outside' || n.kind === 'unknown') return p.outside;
  const h = n.holders[0]?.kind;
  return h === 'container' ? p.container : h === 'process' ? p.process : p.netns;
}
const xml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);

/** The whole graph as a standalone SVG: theme colours resolved, every label as text (no fading, no LOD). */
function exportSvg(): string {
  const m = state.model;
  const b = bounds();
  if (!m || !b) return '<svg xmlns="http://www.w3.org/2000/svg"/>';
  const p = palette();
  const pad = 40;
  const w = Math.ceil(b.x1 - b.x0 + 2 * pad + 160);
  const h = Math.ceil(b.y1 - b.y0 + 2 * pad);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="${(b.x0 - pad).toFixed(0)} ${(b.y0 - pad).toFixed(0)} ${w} ${h}" font-family="${xml(p.font)}" font-size="12">`);
  out.push(`<title>${xml(displayText(`Network topology: ${state.hostLabel}`))}</title>`);
  out.push(`<rect x="${b.x0 - pad}" y="${b.y0 - pad}" width="${w}" height="${h}" fill="${xml(p.bg)}"/>`);
  for (const e of m.edges) {
    const g = edgeGeometry(e);
    if (!g) continue;
    const dash = e.kind === 'lower' ? ' stroke-dasharray="6 4"' : e.kind === 'bridge' ? ' stroke-dasharray="2 3"' : '';
    out.push(`<g><title>${xml(displayText(e.label))}</title><path d="${g.d}" fill="none" stroke="${xml(p.edge)}" stroke-width="1.5"${dash}/>`);
    for (const [end, pos, other] of [[e.sourceEnd, g.la, g.lb], [e.targetEnd, g.lb, g.la]] as const) {
      if (!end) continue;
      const anchor = pos.x <= other.x ? 'start' : 'end';
      const addr = end.addresses.filter((a) => !a.startsWith('fe80:'))[0] ?? end.addresses[0];
      out.push(`<text x="${pos.x.toFixed(1)}" y="${pos.y.toFixed(1)}" text-anchor="${anchor}" fill="${xml(p.fg)}" font-size="11">${xml(displayText(end.name))}${addr ? `<tspan x="${pos.x.toFixed(1)}" dy="13" fill="${xml(p.muted)}">${xml(addr)}</tspan>` : ''}</text>`);
    }
    out.push('</g>');
  }
  for (const n of m.nodes) {
    const pos = state.positions.get(n.id);
    if (!pos) continue;
    const s = sizeOf(n);
    const a = accent(n, p);
    const dash = n.isolated || n.kind === 'unknown' ? ' stroke-dasharray="4 3"' : '';
    out.push(`<g transform="translate(${pos.x.toFixed(1)},${pos.y.toFixed(1)})"><title>${xml(displayText(`${n.label} — ${n.detail}${n.addresses.length ? `\n${n.addresses.join(', ')}` : ''}`))}</title>`);
    if (n.kind === 'outside') out.push(`<ellipse rx="${s.w / 2}" ry="${s.h / 2}" fill="${xml(p.nodeBg)}" stroke="${xml(a)}" stroke-width="1.5"/>`);
    else out.push(`<rect x="${-s.w / 2}" y="${-s.h / 2}" width="${s.w}" height="${s.h}" rx="${n.kind === 'bridge' ? 16 : 5}" fill="${xml(p.nodeBg)}" stroke="${xml(a)}" stroke-width="1.5"${dash}/>`);
    if (n.kind === 'netns') {
      out.push(`<rect x="${-s.w / 2}" y="${-s.h / 2}" width="5" height="${s.h}" rx="2" fill="${xml(a)}"/>`);
      out.push(`<text x="${-s.w / 2 + 13}" y="-4" fill="${xml(p.fg)}" font-weight="600">${xml(fitText(n.label, s.w))}</text>`);
      out.push(`<text x="${-s.w / 2 + 13}" y="13" fill="${xml(p.muted)}" font-size="11">${xml(fitText(n.detail, s.w, DETAIL_W))}</text>`);
    } else {
      out.push(`<text y="4" text-anchor="middle" fill="${xml(p.fg)}" font-weight="600">${xml(fitText(n.label, s.w))}</text>`);
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}

/** The same drawing on a canvas (no image is loaded, so the CSP needs no data: or blob:), as PNG base64. */
function exportPng(): string | undefined {
  const m = state.model;
  const b = bounds();
  if (!m || !b) return undefined;
  const p = palette();
  const pad = 40;
  const w = b.x1 - b.x0 + 2 * pad + 160;
  const h = b.y1 - b.y0 + 2 * pad;
  const scale = Math.max(0.5, Math.min(2, 8192 / Math.max(w, h)));
  const canvas = document.createElement('canvas');
  canvas.width = Math.ceil(w * scale);
  canvas.height = Math.ceil(h * scale);
  const c = canvas.getContext('2d');
  if (!c) return undefined;
  c.scale(scale, scale);
  c.translate(pad - b.x0, pad - b.y0);
  c.fillStyle = p.bg;
  c.fillRect(b.x0 - pad, b.y0 - pad, w, h);
  const font = (size: number, weight = '') => `${weight} ${size}px ${p.font}`.trim();
  for (const e of m.edges) {
    const g = edgeGeometry(e);
    if (!g) continue;
    c.strokeStyle = p.edge;
    c.lineWidth = 1.5;
    c.setLineDash(e.kind === 'lower' ? [6, 4] : e.kind === 'bridge' ? [2, 3] : []);
    c.stroke(new Path2D(g.d));
    c.setLineDash([]);
    for (const [end, pos, other] of [[e.sourceEnd, g.la, g.lb], [e.targetEnd, g.lb, g.la]] as const) {
      if (!end) continue;
      c.textAlign = pos.x <= other.x ? 'left' : 'right';
      c.fillStyle = p.fg;
      c.font = font(11);
      c.fillText(displayText(end.name), pos.x, pos.y);
      const addr = end.addresses.filter((a) => !a.startsWith('fe80:'))[0] ?? end.addresses[0];
      if (addr) { c.fillStyle = p.muted; c.fillText(addr, pos.x, pos.y + 13); }
    }
  }
  for (const n of m.nodes) {
    const pos = state.positions.get(n.id);
    if (!pos) continue;
    const s = sizeOf(n);
    const a = accent(n, p);
    c.fillStyle = p.nodeBg;
    c.strokeStyle = a;
    c.lineWidth = 1.5;
    c.setLineDash(n.isolated || n.kind === 'unknown' ? [4, 3] : []);
    c.beginPath();
    if (n.kind === 'outside') c.ellipse(pos.x, pos.y, s.w / 2, s.h / 2, 0, 0, Math.PI * 2);
    else c.roundRect(pos.x - s.w / 2, pos.y - s.h / 2, s.w, s.h, n.kind === 'bridge' ? 16 : 5);
    c.fill();
    c.stroke();
    c.setLineDash([]);
    if (n.kind === 'netns') {
      c.fillStyle = a;
      c.fillRect(pos.x - s.w / 2, pos.y - s.h / 2, 5, s.h);
      c.textAlign = 'left';
      c.fillStyle = p.fg;
      c.font = font(12, '600');
      c.fillText(fitText(n.label, s.w), pos.x - s.w / 2 + 13, pos.y - 4);
      c.fillStyle = p.muted;
      c.font = font(11);
      c.fillText(fitText(n.detail, s.w, DETAIL_W), pos.x - s.w / 2 + 13, pos.y + 13);
    } else {
      c.textAlign = 'center';
      c.fillStyle = p.fg;
      c.font = font(12, '600');
      c.fillText(fitText(n.label, s.w), pos.x, pos.y + 4);
    }
  }
  return canvas.toDataURL('image/png').replace(/^data:image\/png;base64,/, '');
}

// ---- Messages -----------------------------------------------------------------------------------

function renderChrome(): void {
  const m = state.model;
  if (!m) return;
  titleText.textContent = `Network topology: ${displayText(m.title)}`;
  document.title = `Topology: ${displayText(m.title)}`;
  headerText.textContent = m.header;
  meta.replaceChildren();
  if (state.takenAt > 0) {
    const t = new Date(state.takenAt);
    const taken = el('span', 'meta-time', `snapshot ${t.toLocaleTimeString()}`);
    taken.title = t.toLocaleString();
    meta.append(taken);
  }
  warnings.replaceChildren(...m.warnings.map((w) => {
    const d = el('div', 'warning');
    d.append(icon('warning'), el('span', undefined, w));
    return d;
  }));
}

async function relayout(): Promise<void> {
  const m = state.model;
  if (!m) return;
  const gen = ++state.generation;
  const t0 = performance.now();
  const positions = await layoutNew(m);
  if (gen !== state.generation) return;
  state.positions = positions;
  render();
  if (!state.fitted) { state.fitted = true; fit(); } else applyView();
  const w = window as unknown as { __nsxTopology?: { renders: number; lastRenderMs: number; nodes: number } };
  w.__nsxTopology = { renders: (w.__nsxTopology?.renders ?? 0) + 1, lastRenderMs: performance.now() - t0, nodes: m.nodes.length };
  document.body.dataset.renders = String(w.__nsxTopology.renders);
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const msg = ev.data;
  if (!isTopologyExtensionMessage(msg)) return;
  state.hostId = msg.hostId;
  state.hostLabel = msg.hostLabel;
  state.takenAt = msg.takenAt;
  state.model = msg.model;
  renderChrome();
  void relayout();
  saveState();
});

// elkjs compiles its code on the first layout: a tiny one now, while the extension builds the model.
void elk.layout({ id: 'warm', children: [{ id: 'a', width: 10, height: 10 }, { id: 'b', width: 10, height: 10 }], edges: [{ id: 'e', sources: ['a'], targets: ['b'] }] }).catch(() => undefined);
vscode.postMessage({ type: 'ready' });
