/**
 * Lookups over one Snapshot, built once per snapshot so the tree's lazy children cost O(1) each:
 * namespaces by type and inode, processes by pid and by namespace, interfaces by namespace, and human
 * labels for namespaces. Containers are found by `resolveContainer` (below), the one resolver of
 * container references.
 */
import { ContainerEngine, ContainerInfo, InterfaceInfo, NamespaceInfo, NetnsInfo, NS_TYPES, NsType, ProcessInfo, Snapshot } from './snapshot';

export class SnapshotIndex {
  readonly byPid = new Map<number, ProcessInfo>();
  private readonly nsByKey = new Map<string, NamespaceInfo>();
  private readonly procsByNs = new Map<string, ProcessInfo[]>();
  private readonly ifacesByNs = new Map<number, InterfaceInfo[]>();
  readonly netnsByName = new Map<string, NetnsInfo>();
  /** The host's initial namespace inode per type (those of PID 1). */
  readonly initial: Partial<Record<NsType, number>> = {};

  constructor(readonly snapshot: Snapshot) {
    for (const p of snapshot.processes) {
      this.byPid.set(p.pid, p);
      for (const t of NS_TYPES) {
        const inode = p.ns[t];
        if (inode !== undefined) {
          const key = `${t}:${inode}`;
          let list = this.procsByNs.get(key);
          if (!list) {
            this.procsByNs.set(key, (list = []));
          }
          list.push(p);
        }
      }
    }
    for (const n of snapshot.namespaces) {
      this.nsByKey.set(`${n.type}:${n.inode}`, n);
      if (n.initial) {
        this.initial[n.type] = n.inode;
      }
    }
    const init = this.byPid.get(1);
    for (const t of NS_TYPES) {
      if (this.initial[t] === undefined && init?.ns[t] !== undefined) {
        this.initial[t] = init.ns[t];
      }
    }
    for (const i of snapshot.interfaces) {
      let list = this.ifacesByNs.get(i.ns);
      if (!list) {
        this.ifacesByNs.set(i.ns, (list = []));
      }
      list.push(i);
    }
    for (const list of this.ifacesByNs.values()) {
      list.sort((a, b) => a.ifindex - b.ifindex);
    }
    for (const n of snapshot.netns) {
      this.netnsByName.set(n.name, n);
    }
  }

  namespace(type: NsType, inode: number): NamespaceInfo | undefined {
    return this.nsByKey.get(`${type}:${inode}`);
  }

  namespacesOfType(type: NsType): NamespaceInfo[] {
    return this.snapshot.namespaces.filter((n) => n.type === type);
  }

  processesIn(type: NsType, inode: number): ProcessInfo[] {
    return this.procsByNs.get(`${type}:${inode}`) ?? [];
  }

  /**
   * Whether a namespace can be entered: a process is in it (nsenter -t), a bind mount keeps it (nsenter
   * --TYPE=PATH), or, for a network namespace, it has a name (ip netns exec). One rule for the tree's
   * menus, the topology's and the commands.
   */
  canEnter(type: NsType, inode: number): boolean {
    return (
      this.processesIn(type, inode).length > 0 ||
      (this.namespace(type, inode)?.nsfsPaths.length ?? 0) > 0 ||
      (type === 'net' && this.snapshot.netns.some((n) => n.inode === inode))
    );
  }

  interfacesIn(netInode: number): InterfaceInfo[] {
    return this.ifacesByNs.get(netInode) ?? [];
  }

  interface(netInode: number, ifindex: number): InterfaceInfo | undefined {
    return this.interfacesIn(netInode).find((i) => i.ifindex === ifindex);
  }

  isInitial(type: NsType, inode: number | undefined): boolean {
    return inode !== undefined && this.initial[type] === inode;
  }

  /** A short human label for a namespace: its holders, else "host", else the first process. */
  label(type: NsType, inode: number): string {
    const ns = this.namespace(type, inode);
    if (this.isInitial(type, inode)) {
      return 'host';
    }
    const named = [...new Set(ns?.holders.filter((h) => h.kind !== 'process').map((h) => h.name) ?? [])].sort();
    if (named.length > 0) {
      return named.join(', ');
    }
    const first = ns?.holders[0]?.name ?? this.processesIn(type, inode)[0]?.comm;
    return first ?? `${type}:[${inode}]`;
  }

  /** Processes of a container: those in its PID and mount namespaces, else its init's descendants. */
  containerProcesses(c: ContainerInfo): ProcessInfo[] {
    if (c.pid === undefined) {
      return [];
    }
    const init = this.byPid.get(c.pid);
    if (!init) {
      return [];
    }
    if (init.ns.pid !== undefined && !this.isInitial('pid', init.ns.pid)) {
      return this.processesIn('pid', init.ns.pid).filter((p) => p.ns.mnt === init.ns.mnt);
    }
    return this.descendants(c.pid);
  }

  descendants(pid: number): ProcessInfo[] {
    const children = new Map<number, ProcessInfo[]>();
    for (const p of this.snapshot.processes) {
      let l = children.get(p.ppid);
      if (!l) {
        children.set(p.ppid, (l = []));
      }
      l.push(p);
    }
    const out: ProcessInfo[] = [];
    const start = this.byPid.get(pid);
    const stack = start ? [start] : [];
    const seen = new Set<number>();
    while (stack.length > 0 && out.length < this.snapshot.processes.length) {
      const p = stack.pop()!;
      if (seen.has(p.pid)) {
        continue;
      }
      seen.add(p.pid);
      out.push(p);
      stack.push(...(children.get(p.pid) ?? []));
    }
    return out;
  }

  /** The holder names that the user knows a network namespace by. */
  netLabel(inode: number): string {
    return this.label('net', inode);
  }

  /** The innermost PID namespace's holder for a process, for "host PID X → PID Y in Z". */
  innerPidLabel(p: ProcessInfo): string | undefined {
    if (p.nspid.length < 2 || p.ns.pid === undefined) {
      return undefined;
    }
    return this.label('pid', p.ns.pid);
  }
}

// ---- container references ------------------------------------------------------------------------------

const ENGINES: readonly ContainerEngine[] = ['docker', 'podman', 'containerd', 'cri', 'nspawn', 'lxc'];

/** The shortest id prefix a reference may use; prefixes are of hex ids only, and must be unambiguous. */
export const MIN_ID_PREFIX = 6;

/** The reference the tree, the commands and the CLI carry: `engine:id`, never the name. */
export function containerRef(c: Pick<ContainerInfo, 'engine' | 'id'>): string {
  return `${c.engine}:${c.id}`;
}

/** How a container is named in messages that must tell it from others: engine, short id, name. */
export function describeContainer(c: ContainerInfo): string {
  const ns = c.engineNamespace ? ` in ${c.engineNamespace}` : '';
  return `${c.engine} ${c.id.slice(0, 12)} "${c.name}"${ns}`;
}

export class ContainerRefError extends Error {
  constructor(
    message: string,
    readonly reason: 'unknown' | 'ambiguous',
    readonly ref: string,
    /** The containers an ambiguous reference matches. */
    readonly matches: readonly ContainerInfo[] = [],
  ) {
    super(message);
  }
}

const isHex = (s: string) => /^[0-9a-f]+$/.test(s);
const prefixOf = (ref: string, c: ContainerInfo) => ref.length >= MIN_ID_PREFIX && isHex(ref) && isHex(c.id) && c.id.startsWith(ref);

/**
 * Every container a reference could mean. `engine:ID` is that engine's container with exactly that id,
 * else those whose hex id starts with ID; it never matches a name. Any other reference matches every
 * container with that exact id, that exact name, or (hex, at least MIN_ID_PREFIX characters) an id that
 * starts with it, all together: a name someone chose that looks like another container's id is not
 * preferred over it, nor the other way round.
 */
export function matchContainers(containers: readonly ContainerInfo[], ref: string): ContainerInfo[] {
  const colon = ref.indexOf(':');
  const engine = colon > 0 ? (ref.slice(0, colon) as ContainerEngine) : undefined;
  if (engine && ENGINES.includes(engine)) {
    const id = ref.slice(colon + 1);
    const ofEngine = containers.filter((c) => c.engine === engine);
    const exact = ofEngine.filter((c) => c.id === id);
    return exact.length > 0 ? exact : ofEngine.filter((c) => prefixOf(id, c));
  }
  return containers.filter((c) => c.id === ref || c.name === ref || prefixOf(ref, c));
}

/**
 * The one container `ref` names: `engine:id`, a full id, an unambiguous hex id prefix of at least
 * MIN_ID_PREFIX characters, or an exact name. Throws ContainerRefError when none matches, or when several
 * do (the message lists them by engine, short id and name, and says how to name one).
 */
export function resolveContainer(snapshot: Pick<Snapshot, 'containers'>, ref: string): ContainerInfo {
  const r = tryResolveContainer(snapshot, ref);
  if ('error' in r) throw r.error;
  return r.container;
}

/** resolveContainer without throwing, for views that show "gone" rather than an error. */
export function tryResolveContainer(snapshot: Pick<Snapshot, 'containers'>, ref: string): { container: ContainerInfo } | { error: ContainerRefError } {
  const matches = matchContainers(snapshot.containers, ref);
  if (matches.length === 1) {
    return { container: matches[0] };
  }
  const shownRef = JSON.stringify(ref);
  if (matches.length === 0) {
    return {
      error: new ContainerRefError(
        `No container ${shownRef} on this host (give its name, its id, an id prefix of at least ${MIN_ID_PREFIX} characters, or ENGINE:ID).`,
        'unknown',
        ref,
      ),
    };
  }
  const list = matches.map(describeContainer).join(', ');
  return {
    error: new ContainerRefError(
      `${shownRef} matches ${matches.length} containers: ${list}. Name one as ENGINE:ID, e.g. ${containerRef(matches[0])}.`,
      'ambiguous',
      ref,
      matches,
    ),
  };
}
