/**
 * Lookups over a Snapshot that views, panels and workflows share. Pure; each is linear in the snapshot
 * or better, so callers may use them per tree item.
 */
import { ContainerInfo, InterfaceInfo, NamespaceInfo, NsType, ProcessInfo, Snapshot } from './snapshot';
import { tryResolveContainer } from './snapshotIndex';

export function namespaceByInode(s: Snapshot, inode: number, type?: NsType): NamespaceInfo | undefined {
  return s.namespaces.find((n) => n.inode === inode && (type === undefined || n.type === type));
}

export function processByPid(s: Snapshot, pid: number): ProcessInfo | undefined {
  return s.processes.find((p) => p.pid === pid);
}

/** The process and its ancestors up to PID 1 (or as far as the snapshot knows), process first. */
export function processChain(s: Snapshot, pid: number): ProcessInfo[] {
  const byPid = new Map(s.processes.map((p) => [p.pid, p]));
  const chain: ProcessInfo[] = [];
  const seen = new Set<number>();
  for (let p = byPid.get(pid); p && !seen.has(p.pid); p = byPid.get(p.ppid)) {
    seen.add(p.pid);
    chain.push(p);
  }
  return chain;
}

export function processesInNamespace(s: Snapshot, type: NsType, inode: number): ProcessInfo[] {
  return s.processes.filter((p) => p.ns[type] === inode);
}

/** The PID a process has inside the namespace at `depth` (0 = host), from NSpid. */
export function pidAtDepth(p: ProcessInfo, depth: number): number | undefined {
  return p.nspid[depth];
}

export function interfacesInNetns(s: Snapshot, netInode: number): InterfaceInfo[] {
  return s.interfaces.filter((i) => i.ns === netInode);
}

/** The other end of a veth, when the probe resolved it. */
export function vethPeer(s: Snapshot, iface: InterfaceInfo): InterfaceInfo | undefined {
  const peer = iface.peer;
  return peer ? s.interfaces.find((i) => i.ns === peer.ns && i.ifindex === peer.ifindex) : undefined;
}

/** The container a reference names (see resolveContainer), or undefined when none or several match. */
export function containerByRef(s: Snapshot, ref: string): ContainerInfo | undefined {
  const r = tryResolveContainer(s, ref);
  return 'container' in r ? r.container : undefined;
}

/** Containers whose namespace of this type is the given one (several when they share it). */
export function containersInNamespace(s: Snapshot, type: NsType, inode: number): ContainerInfo[] {
  return s.containers.filter((c) => c.ns[type] === inode);
}

/** Type -> other containers sharing that namespace with c (the host's initial namespaces excluded). */
export function containerShares(s: Snapshot, c: ContainerInfo): Partial<Record<NsType, ContainerInfo[]>> {
  const out: Partial<Record<NsType, ContainerInfo[]>> = {};
  for (const [type, names] of Object.entries(c.sharedWith ?? {}) as Array<[NsType, string[]]>) {
    out[type] = s.containers.filter((o) => o !== c && names.includes(o.name));
  }
  return out;
}

/** The label the UI shows for a namespace: its first holder, else type and inode. */
export function namespaceLabel(n: NamespaceInfo): string {
  return n.holders[0]?.name ?? `${n.type}:[${n.inode}]`;
}

/** A path that nsenter accepts for this namespace: an nsfs mount, else /proc/PID/ns/TYPE. */
export function namespaceEnterPath(n: NamespaceInfo): string | undefined {
  return n.nsfsPaths[0] ?? (n.pids.length ? `/proc/${n.pids[0]}/ns/${n.type}` : undefined);
}

/** The namespace's child namespaces (pid and user namespaces form trees through `parent`). */
export function childNamespaces(s: Snapshot, n: NamespaceInfo): NamespaceInfo[] {
  return s.namespaces.filter((c) => c.type === n.type && c.parent === n.inode);
}
