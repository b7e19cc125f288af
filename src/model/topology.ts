/**
 * The network topology of one host as a graph, built from a Snapshot alone: nodes are network namespaces
 * (labelled by what holds them), bridges and "outside"; edges are veth pairs, bridge ports, lower-device
 * links (macvlan, ipvlan, vlan, vxlan) and physical NICs. Pure: the topology panel posts this to its
 * webview, the bench builds it from synthetic snapshots, unit tests check it.
 */
import type { AddressInfo, InterfaceInfo, NamespaceHolder } from './snapshot';
import { SnapshotIndex } from './snapshotIndex';

export type TopologyNodeKind = 'netns' | 'bridge' | 'outside' | 'unknown';
export type TopologyEdgeKind = 'veth' | 'port' | 'lower' | 'uplink' | 'bridge';

/** One end of an edge: the interface and its addresses as `ADDR/LEN`. */
export interface TopologyEnd {
  name: string;
  addresses: string[];
  state?: string;
}

export interface TopologyInterface {
  ifindex: number;
  name: string;
  kind: string;
  state: string;
  addresses: string[];
  master?: string;
}

export interface TopologyNode {
  /** Stable across refreshes: `net:INODE`, `br:INODE:NAME`, `outside`, `peer:INODE:IFINDEX`. */
  id: string;
  kind: TopologyNodeKind;
  /** What holds it (host, netns names, containers together, else a process), or the bridge's name. */
  label: string;
  /** A second line: `net:[INODE]`, `bridge in host`, ... */
  detail: string;
  /** The network namespace it is (netns) or lives in (bridge). */
  inode?: number;
  holders: NamespaceHolder[];
  /** Addresses of its interfaces but loopback's (a bridge: its own). */
  addresses: string[];
  interfaces: TopologyInterface[];
  isHost?: boolean;
  /** Only a loopback interface (`--network none`): drawn all the same, as an isolated node. */
  isolated?: boolean;
  /** A namespace one can enter (a process, a /run/netns name or an nsfs mount holds it). */
  enterable?: boolean;
  /** Lower-cased text search matches: names, holders, addresses, inode. */
  search: string;
}

export interface TopologyEdge {
  /** Stable across refreshes. */
  id: string;
  kind: TopologyEdgeKind;
  source: string;
  target: string;
  /** The interface at the source side and at the target side (a port: the port; lower: the upper device). */
  sourceEnd?: TopologyEnd;
  targetEnd?: TopologyEnd;
  /** One line for the edge: `nsxa0 ↔ nsxb0`. */
  label: string;
  search: string;
}

export interface TopologyModel {
  title: string;
  /** One sentence under the title: what is drawn. */
  header: string;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
  warnings: string[];
}

export const OUTSIDE_ID = 'outside';

const netId = (inode: number): string => `net:${inode}`;
const bridgeId = (inode: number, name: string): string => `br:${inode}:${name}`;
const ifKey = (ns: number, ifindex: number): string => `${ns}/${ifindex}`;

export function cidr(a: AddressInfo): string {
  return `${a.address}/${a.prefixLen}`;
}

/** Addresses a user reads: global and site scope first, link-local ones last. */
function addressesOf(i: InterfaceInfo): string[] {
  return [...i.addresses].sort((a, b) => Number(a.scope === 'link') - Number(b.scope === 'link')).map(cidr);
}

function endOf(i: InterfaceInfo): TopologyEnd {
  return { name: i.name, addresses: addressesOf(i), state: i.state };
}

/** A physical NIC (or the VM's virtual one): an Ethernet device with no link kind, in the host's netns. */
function isUplink(i: InterfaceInfo, hostInode: number | undefined): boolean {
  return i.ns === hostInode && (i.kind === 'ether' || i.kind === 'infiniband') && !i.peer && !i.master;
}

export function unavailableTopology(message: string): TopologyModel {
  return { title: 'Network topology', header: message, nodes: [], edges: [], warnings: [] };
}

export function buildTopology(index: SnapshotIndex, hostLabel = index.snapshot.host.hostname): TopologyModel {
  const s = index.snapshot;
  const hostInode = index.initial.net;
  const nodes = new Map<string, TopologyNode>();
  const edges: TopologyEdge[] = [];
  const edgeIds = new Set<string>();
  const addEdge = (e: TopologyEdge): void => {
    if (edgeIds.has(e.id)) return;
    edgeIds.add(e.id);
    edges.push(e);
  };
  const ifaceByKey = new Map(s.interfaces.map((i) => [ifKey(i.ns, i.ifindex), i]));

  const inodes = new Set<number>(index.namespacesOfType('net').map((n) => n.inode));
  for (const n of s.netns) inodes.add(n.inode);
  for (const i of s.interfaces) inodes.add(i.ns);

  for (const inode of inodes) {
    const ifaces = index.interfacesIn(inode);
    const isHost = index.isInitial('net', inode);
    const named = s.netns.filter((n) => n.inode === inode).map((n) => n.name).sort();
    const containers = s.containers.filter((c) => c.ns.net === inode).sort((a, b) => a.name.localeCompare(b.name));
    const procs = index.processesIn('net', inode);
    const holders: NamespaceHolder[] = isHost
      ? [{ kind: 'host', name: 'host' }, ...containers.map((c): NamespaceHolder => ({ kind: 'container', name: c.name, ref: `${c.engine}:${c.id}` }))]
      : [
          ...named.map((name): NamespaceHolder => ({ kind: 'netns', name, ref: `/run/netns/${name}` })),
          ...containers.map((c): NamespaceHolder => ({ kind: 'container', name: c.name, ref: `${c.engine}:${c.id}` })),
        ];
    if (holders.length === 0) {
      const first = [...procs].sort((a, b) => a.pid - b.pid)[0];
      if (first) holders.push({ kind: 'process', name: first.comm, ref: String(first.pid) });
    }
    const label = isHost ? 'host' : holders.map((h) => (h.kind === 'process' ? `${h.name} (${h.ref})` : h.name)).join(', ') || `net:[${inode}]`;
    const nonLoop = ifaces.filter((i) => i.kind !== 'loopback');
    const addresses = nonLoop.flatMap(addressesOf);
    const kindWord = isHost ? 'host' : named.length ? 'netns' : containers.length ? (containers.length > 1 ? `${containers.length} containers` : 'container') : 'process';
    const node: TopologyNode = {
      id: netId(inode),
      kind: 'netns',
      label,
      detail: `${isHost && hostLabel ? hostLabel : kindWord} · net:[${inode}]`,
      inode,
      holders,
      addresses,
      interfaces: ifaces.map((i) => ({ ifindex: i.ifindex, name: i.name, kind: i.kind, state: i.state, addresses: addressesOf(i), ...(i.master ? { master: i.master } : {}) })),
      enterable: index.canEnter('net', inode),
      search: [label, `net:[${inode}]`, String(inode), ...holders.map((h) => h.name), ...ifaces.map((i) => i.name), ...ifaces.flatMap(addressesOf)].join(' ').toLowerCase(),
    };
    if (isHost) node.isHost = true;
    // Only loopback (or nothing we could read): drawn as an isolated node. A namespace whose interfaces the
    // probe did not read (a tree-scope snapshot) is not called isolated.
    if (nonLoop.length === 0 && ifaces.length > 0) node.isolated = true;
    nodes.set(node.id, node);
  }

  // Bridges: a node each, tied to the namespace they live in.
  for (const i of s.interfaces) {
    if (i.kind !== 'bridge') continue;
    const ns = nodes.get(netId(i.ns));
    const id = bridgeId(i.ns, i.name);
    const addresses = addressesOf(i);
    nodes.set(id, {
      id,
      kind: 'bridge',
      label: i.name,
      detail: `bridge in ${ns?.label ?? `net:[${i.ns}]`}`,
      inode: i.ns,
      holders: [],
      addresses,
      interfaces: [{ ifindex: i.ifindex, name: i.name, kind: i.kind, state: i.state, addresses }],
      enterable: ns?.enterable,
      search: [i.name, String(i.ns), ...addresses].join(' ').toLowerCase(),
    });
    addEdge({
      id: `bridge:${i.ns}:${i.name}`,
      kind: 'bridge',
      source: netId(i.ns),
      target: id,
      targetEnd: endOf(i),
      label: addresses.length ? `${i.name} ${addresses[0]}` : i.name,
      search: [i.name, ...addresses].join(' ').toLowerCase(),
    });
  }

  /** Where an interface attaches: its bridge when it is a port, else its namespace. */
  const attach = (i: InterfaceInfo): string => {
    if (i.master) {
      const br = bridgeId(i.ns, i.master);
      if (nodes.has(br)) return br;
    }
    return netId(i.ns);
  };

  for (const i of s.interfaces) {
    if (i.kind === 'veth') {
      const peer = i.peer ? ifaceByKey.get(ifKey(i.peer.ns, i.peer.ifindex)) : undefined;
      if (peer) {
        // One edge per pair, whichever end is met first; its id sorts the two ends so both agree.
        const [a, b] = ifKey(i.ns, i.ifindex) < ifKey(peer.ns, peer.ifindex) ? [i, peer] : [peer, i];
        addEdge({
          id: `veth:${ifKey(a.ns, a.ifindex)}:${ifKey(b.ns, b.ifindex)}`,
          kind: a.master || b.master ? 'port' : 'veth',
          source: attach(a),
          target: attach(b),
          sourceEnd: endOf(a),
          targetEnd: endOf(b),
          label: `${a.name} ↔ ${b.name}`,
          search: [a.name, b.name, ...addressesOf(a), ...addressesOf(b)].join(' ').toLowerCase(),
        });
      } else {
        // The other end is in a namespace the probe could not see (or not resolved): a stub node.
        const id = `peer:${i.ns}:${i.ifindex}`;
        nodes.set(id, { id, kind: 'unknown', label: 'peer not found', detail: `the other end of ${i.name}`, holders: [], addresses: [], interfaces: [], search: '' });
        addEdge({ id: `veth:${ifKey(i.ns, i.ifindex)}:?`, kind: i.master ? 'port' : 'veth', source: attach(i), target: id, sourceEnd: endOf(i), label: `${i.name} ↔ ?`, search: [i.name, ...addressesOf(i)].join(' ').toLowerCase() });
      }
      continue;
    }
    if (i.master && i.kind !== 'bridge') {
      // A port that is not a veth (a tap, a physical NIC enslaved to a bridge).
      const br = bridgeId(i.ns, i.master);
      if (nodes.has(br)) {
        const toOutside = isUplink({ ...i, master: undefined }, hostInode);
        if (toOutside) ensureOutside(nodes);
        addEdge({ id: `port:${ifKey(i.ns, i.ifindex)}`, kind: 'port', source: br, target: toOutside ? OUTSIDE_ID : br, sourceEnd: endOf(i), label: i.name, search: [i.name, ...addressesOf(i)].join(' ').toLowerCase() });
      }
      continue;
    }
    if (i.link) {
      const parent = ifaceByKey.get(ifKey(i.link.ns, i.link.ifindex));
      if (parent) {
        addEdge({
          id: `lower:${ifKey(i.ns, i.ifindex)}`,
          kind: 'lower',
          source: attach(parent),
          target: netId(i.ns),
          sourceEnd: endOf(parent),
          targetEnd: endOf(i),
          label: `${i.name} (${i.kind}) on ${parent.name}`,
          search: [i.name, parent.name, i.kind, ...addressesOf(i)].join(' ').toLowerCase(),
        });
      }
      continue;
    }
    if (isUplink(i, hostInode)) {
      ensureOutside(nodes);
      addEdge({ id: `uplink:${ifKey(i.ns, i.ifindex)}`, kind: 'uplink', source: netId(i.ns), target: OUTSIDE_ID, sourceEnd: endOf(i), label: i.name, search: [i.name, ...addressesOf(i)].join(' ').toLowerCase() });
    }
  }

  const list = [...nodes.values()].sort((a, b) => rank(a) - rank(b) || a.label.localeCompare(b.label, undefined, { numeric: true }) || a.id.localeCompare(b.id));
  const netCount = list.filter((n) => n.kind === 'netns').length;
  const isolated = list.filter((n) => n.isolated).length;
  const pairs = edges.filter((e) => e.kind === 'veth' || e.kind === 'port').length;
  const warnings: string[] = [];
  if (s.host.scope === 'tree') warnings.push('This snapshot has no interfaces yet (the tree part of a refresh): edges appear when the refresh completes.');
  if (s.interfaces.length === 0 && s.host.scope !== 'tree') warnings.push('The probe read no interfaces on this host (no `ip`, or not root): only the namespaces are drawn.');
  return {
    title: hostLabel || 'host',
    header: `${netCount} network namespace${netCount === 1 ? '' : 's'}, ${pairs} veth pair${pairs === 1 ? '' : 's'}, ${list.filter((n) => n.kind === 'bridge').length} bridge${list.filter((n) => n.kind === 'bridge').length === 1 ? '' : 's'}${isolated ? `, ${isolated} isolated (loopback only)` : ''}.`,
    nodes: list,
    edges,
    warnings,
  };
}

function rank(n: TopologyNode): number {
  if (n.kind === 'outside') return 0;
  if (n.isHost) return 1;
  if (n.kind === 'bridge') return 2;
  if (n.kind === 'netns') return n.holders[0]?.kind === 'netns' ? 3 : n.holders[0]?.kind === 'container' ? 4 : 5;
  return 6;
}

function ensureOutside(nodes: Map<string, TopologyNode>): void {
  if (nodes.has(OUTSIDE_ID)) return;
  nodes.set(OUTSIDE_ID, { id: OUTSIDE_ID, kind: 'outside', label: 'outside', detail: "the host's physical network", holders: [], addresses: [], interfaces: [], search: 'outside' });
}
