/**
 * PID mapping webview: a virtualised, sortable, filterable grid of host PIDs beside the PIDs seen in every
 * nested PID namespace. Plain DOM; only the rows in view exist in the document, so 5,000 rows scroll as
 * smoothly as 50.
 */
import { el, icon } from '../shared/dom';
import {
  isPidMapExtensionMessage,
  type PidMapModel,
  type PidMapPayload,
  type PidMapRow,
  type PidMapScope,
  type PidMapViewState,
  type PidMapWebviewMessage,
} from '../../src/protocol/pidMap';

interface VsCodeApi {
  postMessage(message: PidMapWebviewMessage): void;
  getState(): unknown;
  setState(state: PidMapViewState & { scrollTop?: number }): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const ROW_HEIGHT = 22;
const OVERSCAN = 12;

type SortKey = string; // 'hostPid' | `level:${n}` | 'ppid' | 'user' | 'state' | 'cmd'
type Item = { kind: 'group'; group: number; shown: number } | { kind: 'row'; row: number };

interface Column {
  key: SortKey;
  label: string;
  title: string;
  sub?: string;
  width: string;
  numeric?: boolean;
}

const saved = vscode.getState() as (Partial<PidMapViewState> & { scrollTop?: number }) | undefined;

const state = {
  hostId: '',
  hostLabel: '',
  takenAt: 0,
  model: undefined as PidMapModel | undefined,
  sort: saved?.sort ?? { key: 'hostPid', dir: 'asc' as 'asc' | 'desc' },
  filter: saved?.filter ?? '',
  grouped: saved?.grouped ?? true,
  collapsed: new Set<number | null>(saved?.collapsed ?? []),
  selectedPid: saved?.selectedPid,
  items: [] as Item[],
  columns: [] as Column[],
  /** Bumped whenever rendered rows must be refilled. */
  generation: 0,
  /** Bumped when the columns change and row elements must be rebuilt. */
  layout: 0,
};

// ---- DOM skeleton -------------------------------------------------------------------------------

function iconButton(name: string, title: string, action: string): HTMLButtonElement {
  const b = el('button', 'icon-button');
  b.type = 'button';
  b.title = title;
  b.setAttribute('aria-label', title);
  b.dataset.action = action;
  b.append(icon(name));
  return b;
}

const app = document.getElementById('app') ?? document.body;
const toolbar = el('header', 'toolbar');
const titleRow = el('div', 'title-row');
const titleIcon = icon('symbol-namespace');
const titleText = el('h1', 'title');
const headerText = el('p', 'header-sentence');
const meta = el('div', 'meta');
titleRow.append(titleIcon, titleText, meta);
const controls = el('div', 'controls');
const filterBox = el('div', 'filter');
const filterInput = el('input');
filterInput.type = 'search';
filterInput.placeholder = 'Filter by PID, command or user';
filterInput.setAttribute('aria-label', 'Filter processes by PID, command or user');
filterInput.spellcheck = false;
filterInput.value = state.filter;
filterBox.append(icon('filter'), filterInput);
const count = el('span', 'count');
count.setAttribute('aria-live', 'polite');
const groupButton = iconButton('list-tree', 'Group by PID namespace', 'toggleGroup');
const hostButton = iconButton('vm', 'Show the whole host', 'scopeHost');
controls.append(filterBox, count, groupButton, hostButton);
toolbar.append(titleRow, headerText, controls);
const warnings = el('div', 'warnings');
warnings.setAttribute('role', 'status');

const grid = el('div', 'grid');
grid.setAttribute('role', 'grid');
grid.setAttribute('aria-label', 'PID mapping');
grid.tabIndex = 0;
const head = el('div', 'grid-head');
head.setAttribute('role', 'rowgroup');
const headRow = el('div', 'grid-row head-row');
headRow.setAttribute('role', 'row');
headRow.setAttribute('aria-rowindex', '1');
head.append(headRow);
const body = el('div', 'grid-body');
body.setAttribute('role', 'rowgroup');
grid.append(head, body);
const empty = el('div', 'empty');
app.append(toolbar, warnings, grid, empty);

// ---- Model -> items -----------------------------------------------------------------------------

function userText(r: PidMapRow): string {
  if (r.uidInside !== undefined) return `${r.uid} → ${r.uidInside}`;
  if (r.uidUnmapped) return `${r.uid} → nobody`;
  return String(r.uid);
}

function buildColumns(m: PidMapModel): Column[] {
  const cols: Column[] = [{ key: 'hostPid', label: 'Host PID', title: 'PID in the host\'s PID namespace', width: '96px', numeric: true }];
  for (const l of m.levels.slice(1)) {
    const sub = l.inode !== undefined ? String(l.inode) : 'mixed';
    cols.push({ key: `level:${l.level}`, label: l.label, sub, title: `PID inside ${l.inode !== undefined ? `${l.label}, pid:[${l.inode}]` : `the PID namespace at nesting level ${l.level} (rows here sit in different ones)`}`, width: '136px', numeric: true });
  }
  cols.push(
    { key: 'ppid', label: 'PPID', title: 'Parent PID on the host', width: '80px', numeric: true },
    { key: 'user', label: 'User', title: 'uid on the host → uid inside the process\'s user namespace', width: '124px' },
    { key: 'state', label: 'State', title: 'Process state (R running, S sleeping, D disk wait, Z zombie, T stopped, I idle)', width: '76px' },
    { key: 'cmd', label: 'Command', title: 'Command line', width: 'minmax(240px, 1fr)' },
  );
  return cols;
}

function sortValue(r: PidMapRow, key: SortKey): number | string | null {
  if (key === 'hostPid') return r.hostPid;
  if (key.startsWith('level:')) return r.pids[Number(key.slice(6))] ?? null;
  if (key === 'ppid') return r.ppid;
  if (key === 'user') return r.uid;
  if (key === 'state') return r.vanished ? '~' : r.state ?? null;
  return (r.cmdline || `[${r.comm}]`).toLowerCase();
}

/** Numeric tokens match any PID in the chain by prefix or the uid exactly; words match command or state. */
function matcher(query: string): ((r: PidMapRow) => boolean) | undefined {
  const tokens = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (tokens.length === 0) return undefined;
  return (r) => tokens.every((t) => {
    if (/^\d+$/.test(t)) {
      return r.pids.some((p) => p !== null && String(p).startsWith(t)) || String(r.uid) === t || (r.uidInside !== undefined && String(r.uidInside) === t);
    }
    return r.cmdline.toLowerCase().includes(t) || r.comm.toLowerCase().includes(t) || userText(r).includes(t) || (r.state ?? '').toLowerCase() === t;
  });
}

function rebuildItems(): void {
  const m = state.model;
  state.items = [];
  if (!m) return;
  const match = matcher(state.filter);
  const { key, dir } = state.sort;
  const sign = dir === 'asc' ? 1 : -1;
  const cmp = (a: number, b: number): number => {
    const va = sortValue(m.rows[a]!, key);
    const vb = sortValue(m.rows[b]!, key);
    if (va === vb) return m.rows[a]!.hostPid - m.rows[b]!.hostPid;
    if (va === null) return 1; // missing values last in both directions
    if (vb === null) return -1;
    return (va < vb ? -1 : 1) * sign;
  };
  if (state.grouped) {
    m.groups.forEach((g, gi) => {
      const idx: number[] = [];
      for (let i = g.firstRow; i < g.firstRow + g.rowCount; i++) if (!match || match(m.rows[i]!)) idx.push(i);
      if (idx.length === 0 && match) return;
      state.items.push({ kind: 'group', group: gi, shown: idx.length });
      if (state.collapsed.has(g.inode)) return;
      idx.sort(cmp);
      for (const i of idx) state.items.push({ kind: 'row', row: i });
    });
  } else {
    const idx: number[] = [];
    m.rows.forEach((r, i) => { if (!match || match(r)) idx.push(i); });
    idx.sort(cmp);
    for (const i of idx) state.items.push({ kind: 'row', row: i });
  }
}

function itemKey(it: Item): string {
  if (it.kind === 'row') return `r${state.model!.rows[it.row]!.hostPid}`;
  return `g${state.model!.groups[it.group]!.inode ?? 'none'}`;
}

// ---- Rendering ----------------------------------------------------------------------------------

function renderChrome(): void {
  const m = state.model;
  if (!m) return;
  titleText.textContent = m.title;
  document.title = `PID Map: ${m.title}`;
  headerText.textContent = m.header;
  meta.replaceChildren();
  const host = el('span', 'meta-host');
  host.append(icon('server'), document.createTextNode(` ${state.hostLabel}`));
  meta.append(host);
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
  groupButton.setAttribute('aria-pressed', String(state.grouped));
  groupButton.classList.toggle('checked', state.grouped);
  hostButton.hidden = m.scope.kind === 'host';

  const columns = buildColumns(m);
  const signature = (cols: Column[]) => cols.map((c) => `${c.key}\u0000${c.label}\u0000${c.sub ?? ''}`).join('\u0001');
  if (signature(columns) !== signature(state.columns)) state.layout++;
  state.columns = columns;
  grid.style.setProperty('--pm-columns', `${state.columns.map((c) => c.width).join(' ')} 84px`);
  const fixed = state.columns.reduce((sum, c) => sum + (parseInt(c.width.replace(/^minmax\(/, ''), 10) || 0), 84);
  grid.style.setProperty('--pm-min-width', `${fixed}px`);
  grid.setAttribute('aria-colcount', String(state.columns.length + 1));
  headRow.replaceChildren();
  state.columns.forEach((c, i) => {
    const cell = el('div', `cell head-cell${c.numeric ? ' numeric' : ''}`);
    cell.setAttribute('role', 'columnheader');
    cell.setAttribute('aria-colindex', String(i + 1));
    const sorted = state.sort.key === c.key;
    cell.setAttribute('aria-sort', sorted ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    const b = el('button', 'sort-button');
    b.type = 'button';
    b.title = `${c.title}. Click to sort.`;
    b.dataset.sort = c.key;
    const labels = el('span', 'head-labels');
    labels.append(el('span', 'head-label', c.label));
    if (c.sub) labels.append(el('span', 'head-sub', c.sub));
    b.append(labels);
    const arrow = icon(sorted ? (state.sort.dir === 'asc' ? 'arrow-up' : 'arrow-down') : 'arrow-up');
    arrow.classList.add('sort-indicator');
    if (!sorted) arrow.classList.add('inactive');
    b.append(arrow);
    cell.append(b);
    headRow.append(cell);
  });
  const actionsHead = el('div', 'cell head-cell actions-cell');
  actionsHead.setAttribute('role', 'columnheader');
  actionsHead.setAttribute('aria-colindex', String(state.columns.length + 1));
  actionsHead.append(el('span', 'visually-hidden', 'Actions'));
  headRow.append(actionsHead);
}

const HOLDER_ICONS: Record<string, string> = { host: 'vm', container: 'package', process: 'terminal', unknown: 'question' };

function renderGroup(e: HTMLElement, it: Extract<Item, { kind: 'group' }>): void {
  const m = state.model!;
  const g = m.groups[it.group]!;
  const collapsed = state.collapsed.has(g.inode);
  e.className = 'grid-row group-row';
  e.setAttribute('aria-expanded', String(!collapsed));
  e.dataset.group = String(it.group);
  const cell = el('div', 'cell group-cell');
  cell.setAttribute('role', 'gridcell');
  cell.setAttribute('aria-colspan', String(state.columns.length + 1));
  const indent = el('span', 'indent');
  indent.style.width = `${g.depth * 16}px`;
  for (let d = 0; d < g.depth; d++) indent.append(el('span', 'guide'));
  const twistie = icon(collapsed ? 'chevron-right' : 'chevron-down');
  twistie.classList.add('twistie');
  const label = el('span', 'group-label', g.label);
  const inode = el('span', 'group-inode', g.inode !== null ? `pid:[${g.inode}]` : '');
  const depth = el('span', 'group-depth', g.inode !== null ? (g.depth === 0 ? 'host namespace' : `depth ${g.depth}`) : '');
  const badge = el('span', 'badge', it.shown === g.rowCount ? String(g.rowCount) : `${it.shown} of ${g.rowCount}`);
  badge.title = `${g.rowCount} process${g.rowCount === 1 ? '' : 'es'}`;
  cell.append(indent, twistie, icon(HOLDER_ICONS[g.holderKind] ?? 'question'), label, inode, depth, badge);
  if (g.inode !== null && !(m.scope.kind === 'pidns' && m.scope.inode === g.inode)) {
    const narrow = iconButton('zoom-in', `Show only ${g.label} and the namespaces it nests`, 'narrow');
    narrow.dataset.inode = String(g.inode);
    narrow.tabIndex = -1;
    const actions = el('span', 'group-actions');
    actions.append(narrow);
    cell.append(actions);
  }
  e.append(cell);
}

interface RowParts {
  cells: HTMLElement[];
  enter: HTMLButtonElement;
}
const rowParts = new WeakMap<HTMLElement, RowParts>();

/** A process row's fixed structure for the current columns; filled (and refilled on reuse) by fillRow. */
function createRow(): HTMLElement {
  const e = el('div');
  e.setAttribute('role', 'row');
  const cells: HTMLElement[] = [];
  const count = state.columns.length;
  for (let i = 0; i < count; i++) {
    const c = el('div', 'cell');
    c.setAttribute('role', 'gridcell');
    c.setAttribute('aria-colindex', String(i + 1));
    cells.push(c);
  }
  const actions = el('div', 'cell actions-cell');
  actions.setAttribute('role', 'gridcell');
  actions.setAttribute('aria-colindex', String(count + 1));
  const enter = iconButton('terminal', 'Enter Namespace (Enter)', 'enterNamespace');
  const reveal = iconButton('go-to-file', 'Reveal in Sidebar', 'revealInSidebar');
  const copy = iconButton('copy', 'Copy PID (C)', 'copyPid');
  for (const b of [enter, reveal, copy]) b.tabIndex = -1;
  actions.append(enter, reveal, copy);
  e.append(...cells, actions);
  rowParts.set(e, { cells, enter });
  return e;
}

function setCell(c: HTMLElement, text: string, cls: string, title?: string): void {
  if (c.textContent !== text) c.textContent = text;
  const className = `cell ${cls}`;
  if (c.className !== className) c.className = className;
  if (title) c.title = title;
  else if (c.title) c.removeAttribute('title');
}

function fillRow(e: HTMLElement, r: PidMapRow, ariaIndex: number): void {
  const m = state.model!;
  const parts = rowParts.get(e)!;
  const selected = r.hostPid === state.selectedPid;
  e.className = `grid-row process-row${r.vanished ? ' vanished' : ''}${r.kernelThread ? ' kthread' : ''}${selected ? ' selected' : ''}`;
  e.id = `pid-${r.hostPid}`;
  e.dataset.pid = String(r.hostPid);
  e.setAttribute('aria-rowindex', String(ariaIndex));
  e.setAttribute('aria-selected', String(selected));
  const c = parts.cells;
  let i = 0;
  setCell(c[i++]!, String(r.hostPid), 'numeric pid host-pid');
  for (let l = 1; l < m.levels.length; l++) {
    const p = r.pids[l];
    const cell = c[i++]!;
    if (p !== null && p !== undefined) {
      const own = l === r.depth;
      setCell(cell, String(p), `numeric pid${own ? ' own' : ''}`, own ? `PID ${p} in its own namespace${p === 1 ? ' (the namespace\'s init)' : ''}` : undefined);
    } else if (l <= r.depth && (r.vanished || r.chainIncomplete)) {
      setCell(cell, '?', 'numeric unknown', r.vanished ? 'The process exited while the host was probed' : 'The kernel did not report NSpid');
    } else {
      setCell(cell, '', 'numeric none');
    }
  }
  setCell(c[i++]!, String(r.ppid), 'numeric');
  setCell(c[i++]!, userText(r), 'user', r.uidInside !== undefined ? `uid ${r.uid} on the host is uid ${r.uidInside} inside its user namespace` : r.uidUnmapped ? `uid ${r.uid} is not mapped in the process's user namespace` : undefined);
  setCell(c[i++]!, r.vanished ? 'exited' : r.state ?? '', 'state');
  const text = r.cmdline || `[${r.comm}]`;
  setCell(c[i++]!, text, 'cmd', text);
  parts.enter.disabled = !!r.vanished;
}

interface Rendered {
  el: HTMLElement;
  index: number;
  generation: number;
}
const rendered = new Map<string, Rendered>();
/** Process rows out of view, kept for reuse: refilling a row is far cheaper than building one. */
const spare: HTMLElement[] = [];
let renderedLayout = -1;
let renderQueued = false;

function headHeight(): number {
  return head.offsetHeight;
}

function render(): void {
  renderQueued = false;
  if (renderedLayout !== state.layout) {
    // Columns changed: every row's structure is stale.
    body.replaceChildren();
    rendered.clear();
    spare.length = 0;
    renderedLayout = state.layout;
  }
  const total = state.items.length;
  body.style.height = `${total * ROW_HEIGHT}px`;
  const top = Math.max(0, grid.scrollTop);
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(total, Math.ceil((top + grid.clientHeight) / ROW_HEIGHT) + OVERSCAN);
  const wanted = new Set<string>();
  for (let i = first; i < last; i++) wanted.add(itemKey(state.items[i]!));
  for (const [key, r] of rendered) {
    if (wanted.has(key)) continue;
    rendered.delete(key);
    if (r.el.classList.contains('process-row')) {
      r.el.hidden = true;
      spare.push(r.el);
    } else {
      r.el.remove();
    }
  }
  for (let i = first; i < last; i++) {
    const it = state.items[i]!;
    const key = itemKey(it);
    const have = rendered.get(key);
    if (have && have.generation === state.generation && have.index === i) continue;
    let e: HTMLElement;
    if (it.kind === 'row') {
      e = have?.el ?? spare.pop() ?? body.appendChild(createRow());
      fillRow(e, state.model!.rows[it.row]!, i + 2);
      e.hidden = false;
    } else {
      e = have?.el ?? body.appendChild(el('div'));
      e.replaceChildren();
      e.setAttribute('role', 'row');
      e.setAttribute('aria-rowindex', String(i + 2));
      renderGroup(e, it);
    }
    e.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
    rendered.set(key, { el: e, index: i, generation: state.generation });
  }
  grid.setAttribute('aria-rowcount', String(total + 1));
  const active = state.selectedPid !== undefined ? rendered.get(`r${state.selectedPid}`) : undefined;
  if (active) grid.setAttribute('aria-activedescendant', active.el.id);
  else grid.removeAttribute('aria-activedescendant');
}

function scheduleRender(): void {
  if (!renderQueued) {
    renderQueued = true;
    requestAnimationFrame(render);
  }
}

interface Anchor {
  key: string;
  offset: number;
}

/** The first visible item and how far it is scrolled; taken before the model or items change. */
function captureAnchor(): Anchor | undefined {
  if (!state.model || state.items.length === 0) return undefined;
  const i = Math.min(state.items.length - 1, Math.floor(grid.scrollTop / ROW_HEIGHT));
  return { key: itemKey(state.items[i]!), offset: grid.scrollTop - i * ROW_HEIGHT };
}

/** Rebuilds items and redraws everything, keeping the anchor item in place when it survives. */
function refresh(anchor: Anchor | undefined): void {
  const before = grid.scrollTop;
  rebuildItems();
  state.generation++;
  const m = state.model;
  const total = m?.rows.length ?? 0;
  const shown = state.items.filter((i) => i.kind === 'row').length;
  count.textContent = state.filter.trim() ? `${shown} of ${total} processes` : `${total} process${total === 1 ? '' : 'es'}`;
  empty.textContent = !m ? 'Waiting for the host…' : total === 0 ? m.header : shown === 0 && !state.grouped ? 'No process matches the filter.' : state.items.length === 0 ? 'No process matches the filter.' : '';
  empty.hidden = empty.textContent === '';
  body.style.height = `${state.items.length * ROW_HEIGHT}px`;
  if (anchor) {
    const ni = state.items.findIndex((it) => itemKey(it) === anchor.key);
    grid.scrollTop = ni >= 0 ? ni * ROW_HEIGHT + anchor.offset : before;
  }
  render();
}

function persist(): void {
  if (!state.model) return;
  vscode.setState({
    hostId: state.hostId,
    scope: state.model.scope,
    sort: state.sort,
    filter: state.filter,
    grouped: state.grouped,
    collapsed: [...state.collapsed],
    ...(state.selectedPid !== undefined ? { selectedPid: state.selectedPid } : {}),
    scrollTop: grid.scrollTop,
  });
}

// ---- Selection and keyboard -------------------------------------------------------------------

function rowIndexOfPid(pid: number | undefined): number {
  if (pid === undefined) return -1;
  const m = state.model;
  if (!m) return -1;
  return state.items.findIndex((it) => it.kind === 'row' && m.rows[it.row]!.hostPid === pid);
}

function reveal(index: number): void {
  const y = index * ROW_HEIGHT;
  const viewTop = grid.scrollTop;
  const viewBottom = viewTop + grid.clientHeight - headHeight();
  if (y < viewTop) grid.scrollTop = y;
  else if (y + ROW_HEIGHT > viewBottom) grid.scrollTop = y + ROW_HEIGHT - (grid.clientHeight - headHeight());
}

function select(pid: number | undefined, scroll = true): void {
  state.selectedPid = pid;
  for (const [, r] of rendered) {
    const on = r.el.dataset.pid !== undefined && Number(r.el.dataset.pid) === pid;
    r.el.classList.toggle('selected', on);
    if (r.el.classList.contains('process-row')) r.el.setAttribute('aria-selected', String(on));
  }
  if (scroll) {
    const i = rowIndexOfPid(pid);
    if (i >= 0) reveal(i);
  }
  render();
  persist();
}

function moveSelection(delta: number): void {
  const m = state.model;
  if (!m || state.items.length === 0) return;
  let i = rowIndexOfPid(state.selectedPid);
  if (i < 0) i = delta > 0 ? -1 : state.items.length;
  const step = delta > 0 ? 1 : -1;
  let target = -1;
  let remaining = Math.abs(delta);
  for (let j = i + step; j >= 0 && j < state.items.length; j += step) {
    if (state.items[j]!.kind === 'row') {
      target = j;
      if (--remaining === 0) break;
    }
  }
  if (target < 0) return;
  const it = state.items[target]!;
  if (it.kind === 'row') select(m.rows[it.row]!.hostPid);
}

function send(action: 'enterNamespace' | 'revealInSidebar' | 'copyPid', pid: number | undefined): void {
  if (pid === undefined) return;
  const r = state.model?.rows.find((x) => x.hostPid === pid);
  if (action === 'enterNamespace' && r?.vanished) return;
  vscode.postMessage({ type: action, pid });
  if (action === 'copyPid') flash(pid);
}

function flash(pid: number): void {
  const e = rendered.get(`r${pid}`)?.el;
  if (!e) return;
  e.classList.remove('copied');
  void e.offsetWidth; // restart the animation
  e.classList.add('copied');
}

function setScope(scope: PidMapScope): void {
  vscode.postMessage({ type: 'setScope', scope });
}

grid.addEventListener('keydown', (ev) => {
  if (ev.target !== grid) return;
  const page = Math.max(1, Math.floor((grid.clientHeight - headHeight()) / ROW_HEIGHT) - 1);
  switch (ev.key) {
    case 'ArrowDown': moveSelection(1); break;
    case 'ArrowUp': moveSelection(-1); break;
    case 'PageDown': moveSelection(page); break;
    case 'PageUp': moveSelection(-page); break;
    case 'Home': moveSelection(-state.items.length); break;
    case 'End': moveSelection(state.items.length); break;
    case 'Enter': send('enterNamespace', state.selectedPid); break;
    case 'c':
    case 'C':
      if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
      send('copyPid', state.selectedPid);
      break;
    default: return;
  }
  ev.preventDefault();
});

grid.addEventListener('focus', () => {
  // Keyboard users land on a row; without scrolling, so a mouse click still picks its own row.
  if (state.selectedPid !== undefined && rowIndexOfPid(state.selectedPid) >= 0) return;
  const m = state.model;
  const firstVisible = Math.floor(grid.scrollTop / ROW_HEIGHT);
  const it = state.items.slice(firstVisible).find((x) => x.kind === 'row');
  if (m && it?.kind === 'row') select(m.rows[it.row]!.hostPid, false);
});

head.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest<HTMLElement>('[data-sort]');
  if (!b) return;
  const key = b.dataset.sort!;
  state.sort = state.sort.key === key ? { key, dir: state.sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: 'asc' };
  renderChrome();
  refresh(undefined);
  const i = rowIndexOfPid(state.selectedPid);
  if (i >= 0) reveal(i);
  persist();
});

body.addEventListener('click', (ev) => {
  const target = ev.target as HTMLElement;
  const button = target.closest<HTMLButtonElement>('button[data-action]');
  const rowEl = target.closest<HTMLElement>('.grid-row');
  if (!rowEl) return;
  if (rowEl.classList.contains('group-row')) {
    const g = state.model?.groups[Number(rowEl.dataset.group)];
    if (!g) return;
    if (button?.dataset.action === 'narrow') {
      setScope({ kind: 'pidns', inode: Number(button.dataset.inode) });
      return;
    }
    if (state.collapsed.has(g.inode)) state.collapsed.delete(g.inode);
    else state.collapsed.add(g.inode);
    refresh(captureAnchor());
    persist();
    return;
  }
  const pid = Number(rowEl.dataset.pid);
  select(pid, false);
  if (button) send(button.dataset.action as 'enterNamespace' | 'revealInSidebar' | 'copyPid', pid);
  else grid.focus({ preventScroll: true });
});

toolbar.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest<HTMLButtonElement>('button[data-action]');
  if (b?.dataset.action === 'toggleGroup') {
    state.grouped = !state.grouped;
    renderChrome();
    refresh(undefined);
    const i = rowIndexOfPid(state.selectedPid);
    if (i >= 0) reveal(i);
    persist();
  } else if (b?.dataset.action === 'scopeHost') {
    setScope({ kind: 'host' });
  }
});

let filterTimer: ReturnType<typeof setTimeout> | undefined;
filterInput.addEventListener('input', () => {
  clearTimeout(filterTimer);
  filterTimer = setTimeout(() => {
    state.filter = filterInput.value;
    grid.scrollTop = 0;
    refresh(undefined);
    const i = rowIndexOfPid(state.selectedPid);
    if (i >= 0) reveal(i);
    persist();
  }, 80);
});
filterInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'ArrowDown') {
    ev.preventDefault();
    grid.focus();
  } else if (ev.key === 'Escape' && filterInput.value) {
    ev.preventDefault();
    filterInput.value = '';
    filterInput.dispatchEvent(new Event('input'));
  }
});

let persistTimer: ReturnType<typeof setTimeout> | undefined;
grid.addEventListener('scroll', () => {
  scheduleRender();
  clearTimeout(persistTimer);
  persistTimer = setTimeout(persist, 250);
}, { passive: true });
new ResizeObserver(() => scheduleRender()).observe(grid);

// ---- Messages -----------------------------------------------------------------------------------

let restoredScroll = saved?.scrollTop;

function apply(msg: PidMapPayload, kind: 'init' | 'update'): void {
  const previous = state.model;
  const anchor = captureAnchor();
  const sameScope = previous !== undefined && JSON.stringify(previous.scope) === JSON.stringify(msg.model.scope);
  const savedMatches = saved?.hostId === msg.hostId && JSON.stringify(saved.scope) === JSON.stringify(msg.model.scope);
  state.hostId = msg.hostId;
  state.hostLabel = msg.hostLabel;
  state.takenAt = msg.takenAt;
  state.model = msg.model;
  if (!sameScope && !(kind === 'init' && savedMatches && previous === undefined)) {
    // A new scope: start at its focus, keep the user's sort and grouping.
    state.selectedPid = msg.model.focusPid;
    state.collapsed.clear();
    restoredScroll = undefined;
    grid.scrollTop = 0;
  }
  if (state.selectedPid !== undefined && !msg.model.rows.some((r) => r.hostPid === state.selectedPid)) state.selectedPid = undefined;
  if (state.selectedPid === undefined && !sameScope) state.selectedPid = msg.model.focusPid;
  renderChrome();
  refresh(sameScope ? anchor : undefined);
  if (restoredScroll !== undefined) {
    grid.scrollTop = restoredScroll;
    restoredScroll = undefined;
    render();
  } else if (!sameScope) {
    const i = rowIndexOfPid(state.selectedPid);
    if (i >= 0) reveal(i);
    render();
  }
  persist();
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const msg = ev.data;
  if (!isPidMapExtensionMessage(msg)) return;
  apply(msg, msg.type);
});

empty.hidden = false;
empty.textContent = 'Waiting for the host…';
vscode.postMessage({ type: 'ready' });
