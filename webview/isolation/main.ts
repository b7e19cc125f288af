/**
 * Isolation report webview: one row per container, sortable by any column, filterable by text and by
 * the worst severity, each row expanding to its findings; Export opens the rows shown as Markdown.
 */
import { el, icon } from '../shared/dom';
import { displayText } from '../../src/model/displayText';
import {
  isIsolationExtensionMessage,
  type IsolationReport,
  type IsolationRow,
  type IsolationViewState,
  type IsolationWebviewMessage,
  type NamespaceSharing,
  type Severity,
} from '../../src/protocol/isolation';

interface VsCodeApi {
  postMessage(message: IsolationWebviewMessage): void;
  getState(): unknown;
  setState(state: IsolationViewState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;
const vscode = acquireVsCodeApi();
const saved = vscode.getState() as Partial<IsolationViewState> | undefined;

const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low', 'info'];
const state = {
  hostId: saved?.hostId ?? '',
  refs: saved?.refs,
  hostLabel: '',
  takenAt: 0,
  report: undefined as IsolationReport | undefined,
  sort: saved?.sort ?? { key: 'worst', dir: 'asc' as 'asc' | 'desc' },
  filter: saved?.filter ?? '',
  minSeverity: (saved?.minSeverity ?? 'info') as Severity,
  expanded: new Set<string>(saved?.expanded ?? []),
  shown: [] as IsolationRow[],
};

const app = document.getElementById('app') ?? document.body;
const toolbar = el('header', 'toolbar');
const titleRow = el('div', 'title-row');
const titleText = el('h1', 'title');
const meta = el('div', 'meta');
titleRow.append(icon('shield'), titleText, meta);
const summary = el('div', 'summary');
summary.setAttribute('role', 'status');
const controls = el('div', 'controls');
const filterBox = el('div', 'filter');
const filterInput = el('input');
filterInput.type = 'search';
filterInput.placeholder = 'Filter by container, engine or finding';
filterInput.setAttribute('aria-label', 'Filter containers by name, engine or finding');
filterInput.value = state.filter;
filterBox.append(icon('filter'), filterInput);
const severitySelect = el('select', 'severity-select');
severitySelect.setAttribute('aria-label', 'Show containers whose worst finding is at least');
for (const s of SEVERITIES) {
  const o = el('option', undefined, s === 'info' ? 'All containers' : `${s[0]!.toUpperCase()}${s.slice(1)} or worse`);
  o.value = s;
  severitySelect.append(o);
}
severitySelect.value = state.minSeverity;
const count = el('span', 'count');
count.setAttribute('aria-live', 'polite');
const exportButton = el('button', 'text-button');
exportButton.type = 'button';
exportButton.append(icon('markdown'), el('span', undefined, 'Export Markdown'));
exportButton.title = 'Open the rows shown as a Markdown document';
controls.append(filterBox, severitySelect, count, exportButton);
toolbar.append(titleRow, summary, controls);
const warnings = el('div', 'warnings');
const tableWrap = el('div', 'table-wrap');
const table = el('table', 'report');
const thead = el('thead');
const tbody = el('tbody');
table.append(thead, tbody);
tableWrap.append(table);
const empty = el('div', 'empty');
app.append(toolbar, warnings, tableWrap, empty);

interface Column { key: string; label: string; title: string; value(r: IsolationRow): string | number; cell(r: IsolationRow, td: HTMLTableCellElement): void }

const nsMark = (n: NamespaceSharing): string => (n.state === 'isolated' ? '●' : n.state === 'host' ? 'H' : n.state === 'shared' ? 'S' : '?');
const nsTitle = (n: NamespaceSharing): string =>
  n.state === 'isolated' ? `${n.type}: isolated` : n.state === 'host' ? `${n.type}: shared with the host` : n.state === 'shared' ? `${n.type}: shared with ${n.with.map(displayText).join(', ')}` : `${n.type}: unknown`;
const rootText = (r: IsolationRow): string => (r.user?.rootUid === undefined ? (r.user?.own ? 'unmapped' : '?') : r.user.rootUid === 0 ? '0 (host root)' : String(r.user.rootUid));
const capsText = (r: IsolationRow): string => (!r.capabilities ? '?' : r.capabilities.full ? 'all' : r.capabilities.added.length ? `+${r.capabilities.added.join(', +')}` : r.capabilities.dropped.length ? `default −${r.capabilities.dropped.length}` : 'default');
const yesNo = (v: boolean | undefined): string => (v === undefined ? '?' : v ? 'yes' : 'no');

const COLUMNS: Column[] = [
  { key: 'name', label: 'Container', title: 'Container name', value: (r) => r.name.toLowerCase(), cell: (r, td) => {
    const b = el('button', 'link-button', displayText(r.name));
    b.type = 'button';
    b.title = `Reveal ${displayText(r.name)} in the Namespaces sidebar`;
    b.addEventListener('click', (ev) => { ev.stopPropagation(); vscode.postMessage({ type: 'revealContainer', ref: r.ref }); });
    td.append(b);
  } },
  { key: 'engine', label: 'Engine', title: 'Container engine and OCI runtime', value: (r) => r.engine, cell: (r, td) => { td.textContent = r.runtime ? `${r.engine} · ${displayText(r.runtime)}` : r.engine; } },
  { key: 'class', label: 'Class', title: 'Namespaced, privileged, VM-sandboxed (kata, gVisor) or stopped', value: (r) => r.isolationClass, cell: (r, td) => { td.append(el('span', `badge class-${r.isolationClass}`, r.isolationClass)); } },
  { key: 'worst', label: 'Worst', title: 'The worst finding', value: (r) => SEVERITIES.indexOf(r.worst), cell: (r, td) => { td.append(el('span', `badge sev-${r.worst}`, r.findings.length ? r.worst : 'none')); } },
  { key: 'ns', label: 'Namespaces', title: '● isolated · H shared with the host · S shared with other containers (net pid mnt uts ipc user cgroup time)', value: (r) => r.namespaces.filter((n) => n.state !== 'isolated').length, cell: (r, td) => {
    const box = el('span', 'ns-marks');
    for (const n of r.namespaces) {
      // Sharing the host's user, cgroup or time namespace is the engines' default (the Root column says
      // what the user namespace means); the others are the risky ones.
      const quiet = n.state === 'host' && (n.type === 'user' || n.type === 'cgroup' || n.type === 'time');
      const m = el('span', `ns-mark ns-${n.state}${quiet ? ' ns-quiet' : ''}`, `${n.type} ${nsMark(n)}`);
      m.title = nsTitle(n);
      box.append(m);
    }
    td.append(box);
  } },
  { key: 'root', label: 'Root →', title: 'The host uid that root inside maps to (uid_map)', value: (r) => r.user?.rootUid ?? -1, cell: (r, td) => { td.textContent = rootText(r); td.classList.toggle('risk', r.user?.rootUid === 0); } },
  { key: 'caps', label: 'Capabilities', title: 'Bounding set against the engine\'s default set (hover for the effective set)', value: (r) => (r.capabilities?.full ? 100 : r.capabilities?.added.length ?? -1), cell: (r, td) => {
    td.textContent = capsText(r);
    if (r.capabilities) td.title = `Effective: ${r.capabilities.effective.join(', ') || 'none'}\nBounding: ${r.capabilities.bounding.join(', ') || 'none'}${r.capabilities.dropped.length ? `\nDropped from the default: ${r.capabilities.dropped.join(', ')}` : ''}`;
    td.classList.toggle('risk', !!r.capabilities && (r.capabilities.full || r.capabilities.added.length > 0));
  } },
  { key: 'seccomp', label: 'Seccomp', title: 'Seccomp mode and filter count (/proc/PID/status)', value: (r) => r.seccomp?.mode ?? '', cell: (r, td) => { td.textContent = r.seccomp ? `${r.seccomp.mode}${r.seccomp.filters ? ` (${r.seccomp.filters})` : ''}` : '?'; td.classList.toggle('risk', r.seccomp?.mode === 'disabled'); } },
  { key: 'nnp', label: 'NoNewPrivs', title: 'no-new-privileges', value: (r) => String(r.noNewPrivs), cell: (r, td) => { td.textContent = yesNo(r.noNewPrivs); } },
  { key: 'lsm', label: 'LSM', title: 'AppArmor profile or SELinux context (/proc/PID/attr/current)', value: (r) => r.lsmLabel ?? '', cell: (r, td) => { td.textContent = r.lsmLabel ? displayText(r.lsmLabel) : r.unconfined === undefined ? '?' : 'none'; } },
  { key: 'ro', label: 'RO root', title: 'Root filesystem mounted read-only', value: (r) => String(r.mounts?.readOnlyRoot), cell: (r, td) => { td.textContent = yesNo(r.mounts?.readOnlyRoot); } },
];

function renderHead(): void {
  const tr = el('tr');
  tr.append(el('th', 'expander-head'));
  for (const c of COLUMNS) {
    const th = el('th');
    th.scope = 'col';
    const sorted = state.sort.key === c.key;
    th.setAttribute('aria-sort', sorted ? (state.sort.dir === 'asc' ? 'ascending' : 'descending') : 'none');
    const b = el('button', 'sort-button', c.label);
    b.type = 'button';
    b.title = c.title;
    if (sorted) b.append(icon(state.sort.dir === 'asc' ? 'arrow-up' : 'arrow-down'));
    b.addEventListener('click', () => {
      state.sort = { key: c.key, dir: sorted && state.sort.dir === 'asc' ? 'desc' : 'asc' };
      save();
      render();
    });
    th.append(b);
    tr.append(th);
  }
  thead.replaceChildren(tr);
}

function matches(r: IsolationRow): boolean {
  if (SEVERITIES.indexOf(r.worst) > SEVERITIES.indexOf(state.minSeverity) || (state.minSeverity !== 'info' && r.findings.length === 0)) return false;
  const tokens = state.filter.trim().toLowerCase().split(/\s+/).filter(Boolean);
  if (!tokens.length) return true;
  const text = [r.name, r.engine, r.runtime ?? '', r.isolationClass, r.lsmLabel ?? '', ...r.findings.flatMap((f) => [f.title, f.severity, f.cis ? `cis ${f.cis}` : ''])].join(' ').toLowerCase();
  return tokens.every((t) => text.includes(t));
}

function render(): void {
  const r = state.report;
  if (!r) return;
  titleText.textContent = `Isolation report: ${displayText(r.title)}`;
  document.title = titleText.textContent;
  summary.replaceChildren(...r.summary.map((s) => el('p', undefined, displayText(s))));
  meta.replaceChildren();
  if (state.takenAt > 0) {
    const t = new Date(state.takenAt);
    const span = el('span', 'meta-time', `snapshot ${t.toLocaleTimeString()}`);
    span.title = t.toLocaleString();
    meta.append(span);
  }
  warnings.replaceChildren(...r.warnings.map((w) => {
    const d = el('div', 'warning');
    d.append(icon('warning'), el('span', undefined, w));
    return d;
  }));
  renderHead();
  const col = COLUMNS.find((c) => c.key === state.sort.key) ?? COLUMNS[3]!;
  const sign = state.sort.dir === 'asc' ? 1 : -1;
  state.shown = r.rows.filter(matches).sort((a, b) => {
    const va = col.value(a);
    const vb = col.value(b);
    return va === vb ? a.name.localeCompare(b.name) : (va < vb ? -1 : 1) * sign;
  });
  tbody.replaceChildren();
  for (const row of state.shown) {
    const tr = el('tr', `row sev-row-${row.worst}`);
    tr.dataset.ref = row.ref;
    tr.dataset.name = row.name;
    const open = state.expanded.has(row.ref);
    const exp = el('td', 'expander');
    const toggle = el('button', 'icon-button');
    toggle.type = 'button';
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', `${open ? 'Hide' : 'Show'} the findings of ${displayText(row.name)}`);
    toggle.append(icon(open ? 'chevron-down' : 'chevron-right'));
    exp.append(toggle);
    tr.append(exp);
    for (const c of COLUMNS) {
      const td = el('td', `col-${c.key}`);
      c.cell(row, td);
      tr.append(td);
    }
    const flip = () => {
      if (state.expanded.has(row.ref)) state.expanded.delete(row.ref);
      else state.expanded.add(row.ref);
      save();
      render();
    };
    toggle.addEventListener('click', (ev) => { ev.stopPropagation(); flip(); });
    tr.addEventListener('click', flip);
    tbody.append(tr);
    if (open) {
      const dtr = el('tr', 'details');
      const td = el('td');
      td.colSpan = COLUMNS.length + 1;
      if (row.note) td.append(el('p', 'note', displayText(row.note)));
      if (!row.findings.length && !row.note) td.append(el('p', 'note', 'No findings.'));
      const ul = el('ul', 'findings');
      for (const f of row.findings) {
        const li = el('li', 'finding');
        li.append(el('span', `badge sev-${f.severity}`, f.severity), el('strong', undefined, ` ${displayText(f.title)}`), el('span', undefined, `: ${displayText(f.risk)}`));
        if (f.cis) {
          const cis = el('span', 'cis', ` CIS Docker Benchmark ${f.cis}`);
          li.append(cis);
        }
        ul.append(li);
      }
      td.append(ul);
      if (row.user && row.user.uidMap.length) td.append(el('p', 'note', `uid_map: ${row.user.uidMap.map((m) => `${m.inside} → ${m.outside} (${m.count})`).join(', ')}${row.user.gidMap.length ? ` · gid_map: ${row.user.gidMap.map((m) => `${m.inside} → ${m.outside} (${m.count})`).join(', ')}` : ''}`));
      dtr.append(td);
      tbody.append(dtr);
    }
  }
  count.textContent = `${state.shown.length} of ${r.rows.length} container${r.rows.length === 1 ? '' : 's'}`;
  empty.hidden = state.shown.length > 0;
  empty.textContent = r.rows.length ? 'No container matches the filter.' : 'No containers on this host.';
}

function save(): void {
  vscode.setState({ hostId: state.hostId, ...(state.refs ? { refs: state.refs } : {}), sort: state.sort, filter: state.filter, minSeverity: state.minSeverity, expanded: [...state.expanded] });
}

filterInput.addEventListener('input', () => { state.filter = filterInput.value; save(); render(); });
severitySelect.addEventListener('change', () => { state.minSeverity = severitySelect.value as Severity; save(); render(); });
exportButton.addEventListener('click', () => vscode.postMessage({ type: 'exportMarkdown', refs: state.shown.map((r) => r.ref) }));

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const m = ev.data;
  if (!isIsolationExtensionMessage(m)) return;
  state.hostId = m.hostId;
  state.refs = m.refs;
  state.hostLabel = m.hostLabel;
  state.takenAt = m.takenAt;
  state.report = m.report;
  save();
  render();
  document.body.dataset.renders = String(Number(document.body.dataset.renders ?? 0) + 1);
});

vscode.postMessage({ type: 'ready' });
