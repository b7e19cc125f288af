/**
 * The PID mapping of a scope (a container, a PID namespace, a process, or the whole host): each process's
 * PID as seen from the host and from every nested PID namespace down to its own, grouped by namespace.
 * Pure and JSON-serialisable: the panel posts it to the webview as is.
 */
import type { NamespaceInfo, ProcessInfo, Snapshot } from './snapshot';
import { tryResolveContainer } from './snapshotIndex';

export type PidMapScope =
  | { kind: 'host' }
  /** `id`: a container reference as resolveContainer takes it; the commands give `engine:id`. */
  | { kind: 'container'; id: string }
  | { kind: 'pidns'; inode: number }
  /** The PID namespace a process lives in, with that process focused. */
  | { kind: 'pid'; pid: number };

export type HolderKind = 'host' | 'container' | 'process' | 'unknown';

/** One PID column: the PID namespace at that nesting level (0 = the host's). */
export interface PidLevel {
  level: number;
  /** Column heading: the holder's name, or "level N" when rows at this level sit in different namespaces. */
  label: string;
  holderKind: HolderKind;
  /** Set when every row with a PID at this level shares one namespace. */
  inode?: number;
}

export interface PidMapGroup {
  /** PID namespace inode; null for processes whose namespace could not be read. */
  inode: number | null;
  /** Nesting depth: 0 for the host's PID namespace. */
  depth: number;
  label: string;
  holderKind: HolderKind;
  /** Parent PID namespace inode, when known. */
  parent?: number;
  /** Index of the first row of this group in `rows`, and how many rows follow. */
  firstRow: number;
  rowCount: number;
}

export interface PidMapRow {
  hostPid: number;
  /** PID at each level of `levels`; null where the process has no PID (it lives in a shallower namespace). */
  pids: Array<number | null>;
  /** Level of the process's own PID namespace (its innermost PID). */
  depth: number;
  /** Index into `groups`. */
  group: number;
  ppid: number;
  /** uid on the host. */
  uid: number;
  /** uid inside the process's user namespace, when it has a non-identity uid_map that maps the uid. */
  uidInside?: number;
  /** The user namespace has a uid_map that does not map this uid (it shows as the overflow uid inside). */
  uidUnmapped?: boolean;
  state?: string;
  comm: string;
  cmdline: string;
  kernelThread?: boolean;
  /** The process exited while the host was probed: its NSpid chain could not be read. */
  vanished?: boolean;
  /** The NSpid chain is shorter than the namespace's depth (kernel without NSpid): inner PIDs unknown. */
  chainIncomplete?: boolean;
}

export interface PidMapModel {
  scope: PidMapScope;
  /** Short name of the scope, for the panel title. */
  title: string;
  /** One sentence describing the scope, e.g. "host PID 24691 is PID 1 inside lab-c1". */
  header: string;
  levels: PidLevel[];
  groups: PidMapGroup[];
  /** Grouped: each group's rows are contiguous (see PidMapGroup.firstRow), sorted by host PID. */
  rows: PidMapRow[];
  /** Host PID the view should select first (the container's init or the scoped process). */
  focusPid?: number;
  /** What the map could not show, in words. */
  warnings: string[];
}

export function scopeKey(scope: PidMapScope): string {
  switch (scope.kind) {
    case 'host': return 'host';
    case 'container': return `container:${scope.id}`;
    case 'pidns': return `pidns:${scope.inode}`;
    case 'pid': return `pid:${scope.pid}`;
  }
}

export function sameScope(a: PidMapScope, b: PidMapScope): boolean {
  return scopeKey(a) === scopeKey(b);
}

/** Maps a host uid through a user namespace's uid_map (outside -> inside). */
export function uidInside(uid: number, uidMap: ProcessInfo['uidMap']): number | undefined {
  if (!uidMap) return undefined;
  for (const r of uidMap) {
    if (uid >= r.outside && uid < r.outside + r.count) return uid - r.outside + r.inside;
  }
  return undefined;
}

interface PidNsTree {
  /** Every PID namespace inode seen, with its depth and parent. */
  depth: Map<number, number>;
  parent: Map<number, number>;
  children: Map<number, number[]>;
  info: Map<number, NamespaceInfo>;
  members: Map<number, ProcessInfo[]>;
  initial?: number;
}

/**
 * Depth and parent of every PID namespace. The probe's declared parent wins; otherwise the depth comes from
 * the members' NSpid length and the parent from a member whose parent process sits one level up (a
 * container's init is the child of a shim in the enclosing namespace).
 */
function pidNamespaceTree(snapshot: Snapshot): PidNsTree {
  const info = new Map<number, NamespaceInfo>();
  for (const ns of snapshot.namespaces) if (ns.type === 'pid') info.set(ns.inode, ns);
  const members = new Map<number, ProcessInfo[]>();
  const byPid = new Map<number, ProcessInfo>();
  for (const p of snapshot.processes) {
    byPid.set(p.pid, p);
    const inode = p.ns.pid;
    if (inode === undefined) continue;
    let list = members.get(inode);
    if (!list) members.set(inode, (list = []));
    list.push(p);
    if (!info.has(inode)) info.set(inode, { type: 'pid', inode, holders: [], pids: [], nsfsPaths: [], initial: false });
  }
  const parent = new Map<number, number>();
  let initial: number | undefined;
  for (const ns of info.values()) {
    if (ns.initial) initial = ns.inode;
    if (ns.parent !== undefined && ns.parent !== ns.inode) parent.set(ns.inode, ns.parent);
  }
  const chainDepth = (inode: number): number | undefined => {
    let best: number | undefined;
    for (const p of members.get(inode) ?? []) {
      if (p.nspid.length > 0) best = Math.max(best ?? 0, p.nspid.length - 1);
    }
    return best;
  };
  if (initial === undefined) {
    for (const inode of info.keys()) if (chainDepth(inode) === 0) { initial = inode; break; }
  }
  for (const inode of info.keys()) {
    if (inode === initial || parent.has(inode)) continue;
    const d = chainDepth(inode);
    for (const p of members.get(inode) ?? []) {
      const pp = byPid.get(p.ppid);
      const ppNs = pp?.ns.pid;
      if (pp && ppNs !== undefined && ppNs !== inode && (d === undefined || pp.nspid.length - 1 === d - 1)) {
        parent.set(inode, ppNs);
        break;
      }
    }
    if (!parent.has(inode) && d === 1 && initial !== undefined) parent.set(inode, initial);
  }
  // Depth from the parent chain, guarding against cycles in inconsistent data.
  const depth = new Map<number, number>();
  const depthOf = (inode: number, seen: Set<number>): number => {
    const known = depth.get(inode);
    if (known !== undefined) return known;
    let d: number;
    const par = parent.get(inode);
    if (inode === initial) d = 0;
    else if (par !== undefined && !seen.has(par)) d = depthOf(par, seen.add(inode)) + 1;
    else d = chainDepth(inode) ?? 0;
    depth.set(inode, d);
    return d;
  };
  for (const inode of info.keys()) depthOf(inode, new Set());
  const children = new Map<number, number[]>();
  for (const [child, par] of parent) {
    let list = children.get(par);
    if (!list) children.set(par, (list = []));
    list.push(child);
  }
  return { depth, parent, children, info, members, initial };
}

interface Holder {
  name: string;
  kind: HolderKind;
}

function holderOf(snapshot: Snapshot, tree: PidNsTree, inode: number): Holder {
  if (inode === tree.initial) return { name: 'host', kind: 'host' };
  const ns = tree.info.get(inode);
  const container = snapshot.containers.find((c) => c.ns.pid === inode && !c.sharedWithHost.includes('pid'));
  if (container) return { name: container.name, kind: 'container' };
  const held = ns?.holders.find((h) => h.kind === 'container') ?? ns?.holders.find((h) => h.kind === 'host');
  if (held) return { name: held.name, kind: held.kind === 'host' ? 'host' : 'container' };
  const first = [...(tree.members.get(inode) ?? [])].sort((a, b) => a.pid - b.pid)[0];
  if (first) return { name: first.comm, kind: 'process' };
  const proc = ns?.holders.find((h) => h.kind === 'process');
  if (proc) return { name: proc.name, kind: 'process' };
  return { name: `pid:[${inode}]`, kind: 'unknown' };
}

/** The namespace and its descendants, depth first; siblings by holder name, then inode. */
function subtree(tree: PidNsTree, root: number, label: (inode: number) => string): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  const visit = (inode: number) => {
    if (seen.has(inode)) return;
    seen.add(inode);
    out.push(inode);
    const kids = [...(tree.children.get(inode) ?? [])].sort(
      (a, b) => label(a).localeCompare(label(b)) || a - b,
    );
    for (const k of kids) visit(k);
  };
  visit(root);
  return out;
}

/** Ancestors of a PID namespace from the host's down to it (inclusive). */
function ancestry(tree: PidNsTree, inode: number): number[] {
  const chain = [inode];
  const seen = new Set(chain);
  let cur = tree.parent.get(inode);
  while (cur !== undefined && !seen.has(cur)) {
    chain.unshift(cur);
    seen.add(cur);
    cur = tree.parent.get(cur);
  }
  return chain;
}

function describeChain(nspid: number[], names: string[]): string {
  const inner = nspid.slice(1).map((pid, i) => `PID ${pid} inside ${names[i + 1] ?? `level ${i + 1}`}`);
  if (inner.length === 0) return `host PID ${nspid[0]} is in the host's PID namespace`;
  const last = inner.pop()!;
  return `host PID ${nspid[0]} is ${inner.length ? `${inner.join(', ')} and ${last}` : last}`;
}

function emptyModel(scope: PidMapScope, title: string, header: string, warnings: string[] = []): PidMapModel {
  return { scope, title, header, levels: [hostLevel()], groups: [], rows: [], warnings };
}

function hostLevel(): PidLevel {
  return { level: 0, label: 'host', holderKind: 'host' };
}

/** A model with no rows, for a host with no snapshot yet. */
export function unavailablePidMap(scope: PidMapScope, why: string): PidMapModel {
  return emptyModel(scope, scopeTitleFallback(scope), why);
}

function scopeTitleFallback(scope: PidMapScope): string {
  switch (scope.kind) {
    case 'host': return 'host';
    case 'container': {
      // `engine:` and a full id make a long title; the engine and 12 characters of the id say enough.
      const colon = scope.id.indexOf(':');
      return colon > 0 ? `${scope.id.slice(0, colon)}:${scope.id.slice(colon + 1, colon + 13)}` : scope.id.slice(0, 12);
    }
    case 'pidns': return `pid:[${scope.inode}]`;
    case 'pid': return `PID ${scope.pid}`;
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : /(s|ss|x)$/.test(word) ? 'es' : 's'}`;

export function buildPidMap(snapshot: Snapshot, scope: PidMapScope): PidMapModel {
  const tree = pidNamespaceTree(snapshot);
  const holders = new Map<number, Holder>();
  const holder = (inode: number): Holder => {
    let h = holders.get(inode);
    if (!h) holders.set(inode, (h = holderOf(snapshot, tree, inode)));
    return h;
  };
  const label = (inode: number) => holder(inode).name;
  const warnings: string[] = [];

  // Resolve the scope to a root namespace (undefined = whole host, including unreadable ones).
  let root: number | undefined;
  let title: string;
  let header: string | undefined;
  let focusPid: number | undefined;
  switch (scope.kind) {
    case 'host': {
      root = undefined;
      title = snapshot.host.hostname || 'host';
      break;
    }
    case 'container': {
      const found = tryResolveContainer(snapshot, scope.id);
      if ('error' in found) {
        const why = found.error.reason === 'ambiguous' ? found.error.message : `Container ${scopeTitleFallback(scope)} is no longer on this host.`;
        return emptyModel(scope, scopeTitleFallback(scope), why);
      }
      const c = found.container;
      title = c.name;
      if (c.sandboxed) {
        return emptyModel(scope, title, `${c.name} runs in a VM sandbox${c.runtime ? ` (${c.runtime})` : ''}: its processes are not visible on the host.`);
      }
      const init = c.pid !== undefined ? snapshot.processes.find((p) => p.pid === c.pid) : undefined;
      root = c.ns.pid ?? init?.ns.pid;
      if (c.pid === undefined || root === undefined) {
        return emptyModel(scope, title, `${c.name} is ${c.state === 'running' ? 'running but its PID namespace could not be read' : c.state}: no processes to map.`);
      }
      if (c.sharedWithHost.includes('pid')) warnings.push(`${c.name} shares the host's PID namespace: its PIDs are host PIDs.`);
      focusPid = c.pid;
      break;
    }
    case 'pidns': {
      if (!tree.info.has(scope.inode)) return emptyModel(scope, scopeTitleFallback(scope), `PID namespace ${scope.inode} is gone: no process lives in it any more.`);
      root = scope.inode;
      title = `${label(root)} pid:[${root}]`;
      break;
    }
    case 'pid': {
      const p = snapshot.processes.find((x) => x.pid === scope.pid);
      if (!p) return emptyModel(scope, scopeTitleFallback(scope), `PID ${scope.pid} is no longer running.`);
      title = `${p.comm} (${p.pid})`;
      focusPid = p.pid;
      root = p.ns.pid;
      if (root === undefined) {
        warnings.push(`The PID namespace of PID ${p.pid} could not be read; showing the whole host.`);
      }
      break;
    }
  }

  // Namespaces in scope, in group order.
  const order: number[] = [];
  if (root !== undefined) {
    order.push(...subtree(tree, root, label));
  } else {
    const tops = [...tree.info.keys()].filter((i) => !tree.parent.has(i) || !tree.info.has(tree.parent.get(i)!));
    tops.sort((a, b) => (tree.depth.get(a)! - tree.depth.get(b)!) || (a === tree.initial ? -1 : b === tree.initial ? 1 : label(a).localeCompare(label(b)) || a - b));
    const seen = new Set<number>();
    for (const t of tops) for (const i of subtree(tree, t, label)) if (!seen.has(i)) { seen.add(i); order.push(i); }
  }

  const groups: PidMapGroup[] = [];
  const rows: PidMapRow[] = [];
  const rowOf = (p: ProcessInfo, group: number, nsDepth: number | undefined): PidMapRow => {
    const vanished = p.nspid.length === 0;
    const ownDepth = vanished ? (nsDepth ?? 0) : Math.max(p.nspid.length - 1, nsDepth ?? 0);
    const inside = p.uidMap ? uidInside(p.uid, p.uidMap) : undefined;
    const row: PidMapRow = {
      hostPid: vanished ? p.pid : p.nspid[0]!,
      pids: [],
      depth: ownDepth,
      group,
      ppid: p.ppid,
      uid: p.uid,
      comm: p.comm,
      cmdline: p.cmdline,
    };
    if (p.state) row.state = p.state;
    if (inside !== undefined && inside !== p.uid) row.uidInside = inside;
    if (p.uidMap && inside === undefined) row.uidUnmapped = true;
    if (p.kernelThread) row.kernelThread = true;
    if (vanished) row.vanished = true;
    else if (nsDepth !== undefined && p.nspid.length - 1 < nsDepth) row.chainIncomplete = true;
    return row;
  };

  const addGroup = (inode: number | null, procs: ProcessInfo[]) => {
    const depth = inode === null ? 0 : tree.depth.get(inode) ?? 0;
    const h = inode === null ? { name: 'PID namespace unreadable', kind: 'unknown' as const } : holder(inode);
    const g: PidMapGroup = { inode, depth, label: h.name, holderKind: h.kind, firstRow: rows.length, rowCount: 0 };
    const par = inode === null ? undefined : tree.parent.get(inode);
    if (par !== undefined) g.parent = par;
    const index = groups.length;
    const sorted = [...procs].sort((a, b) => a.pid - b.pid);
    for (const p of sorted) rows.push(rowOf(p, index, inode === null ? undefined : depth));
    g.rowCount = sorted.length;
    groups.push(g);
  };
  for (const inode of order) {
    const procs = tree.members.get(inode) ?? [];
    if (procs.length > 0) addGroup(inode, procs);
  }
  if (root === undefined) {
    const lost = snapshot.processes.filter((p) => p.ns.pid === undefined);
    if (lost.length > 0) addGroup(null, lost);
  }

  // One column per level, as deep as the deepest row.
  const maxDepth = rows.reduce((m, r) => Math.max(m, r.depth), root !== undefined ? tree.depth.get(root) ?? 0 : 0);
  const rootChain = root !== undefined ? ancestry(tree, root) : [];
  const levelNs: Array<Set<number>> = Array.from({ length: maxDepth + 1 }, () => new Set<number>());
  for (const g of groups) {
    if (g.inode === null) continue;
    const chain = ancestry(tree, g.inode);
    chain.forEach((inode, i) => {
      const level = g.depth - (chain.length - 1 - i);
      if (level >= 0 && level <= maxDepth) levelNs[level]!.add(inode);
    });
  }
  rootChain.forEach((inode, i) => {
    const level = (tree.depth.get(root!) ?? 0) - (rootChain.length - 1 - i);
    if (level >= 0 && level <= maxDepth) levelNs[level]!.add(inode);
  });
  const levels: PidLevel[] = levelNs.map((set, level) => {
    if (level === 0) return hostLevel();
    if (set.size === 1) {
      const inode = [...set][0]!;
      const h = holder(inode);
      return { level, label: h.name, holderKind: h.kind, inode };
    }
    return { level, label: `Level ${level}`, holderKind: 'unknown' };
  });
  // Fill PIDs from each process's chain (host first). A short chain leaves inner levels unknown (null).
  const byPid = new Map(snapshot.processes.map((p) => [p.pid, p] as const));
  for (const r of rows) {
    const p = byPid.get(r.hostPid);
    r.pids = levels.map(() => null);
    if (!p || r.vanished) {
      r.pids[0] = r.hostPid;
      continue;
    }
    p.nspid.forEach((pid, level) => {
      if (level < r.pids.length) r.pids[level] = pid;
    });
  }

  if (!header) {
    if (scope.kind === 'container' || scope.kind === 'pid') {
      const p = byPid.get(focusPid!);
      const names = levels.map((l) => l.label);
      if (p && p.nspid.length > 0) {
        const chainNames = p.ns.pid !== undefined ? ancestry(tree, p.ns.pid).map(label) : names;
        // ancestry starts at the host's namespace; align it with the chain's levels.
        const aligned = chainNames.length === p.nspid.length ? chainNames : names;
        header = describeChain(p.nspid, aligned);
        if (scope.kind === 'pid') header = header.replace(/^host PID (\d+)/, `host PID $1 (${p.comm})`);
      } else {
        header = `PID ${focusPid} exited while the host was probed.`;
      }
    } else if (scope.kind === 'pidns' && root !== undefined) {
      const nested = order.length - 1;
      header = `PID namespace ${root} (${label(root)}) at nesting depth ${tree.depth.get(root) ?? 0}: ${plural(rows.length, 'process')}${nested ? ` in it and ${nested} nested namespace${nested === 1 ? '' : 's'}` : ''}.`;
    } else {
      const count = groups.filter((g) => g.inode !== null).length;
      header = `${plural(rows.length, 'process')} in ${count} PID namespace${count === 1 ? '' : 's'}, nested up to ${maxDepth} level${maxDepth === 1 ? '' : 's'} below the host.`;
    }
  }
  const vanished = rows.filter((r) => r.vanished).length;
  if (vanished) warnings.push(`${plural(vanished, 'process')} exited while the host was probed; their inner PIDs are unknown.`);
  const incomplete = rows.filter((r) => r.chainIncomplete).length;
  if (incomplete) warnings.push(`The kernel did not report NSpid for ${plural(incomplete, 'process')}: their inner PIDs are unknown.`);

  const model: PidMapModel = { scope, title, header, levels, groups, rows, warnings };
  if (focusPid !== undefined) model.focusPid = focusPid;
  return model;
}
