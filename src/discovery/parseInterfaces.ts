/**
 * Interfaces of each network namespace from `ip -j -d addr` (or `ip -o` text, or /proc/net), and veth
 * peer resolution across namespaces. Pure.
 */
import { AddressInfo, InterfaceInfo } from '../model/snapshot';
import { Section } from './probeText';

/** An interface plus what peer resolution needs. */
export interface RawInterface {
  info: InterfaceInfo;
  /** The peer's ifindex in its own namespace (iflink / link_index / @ifN). */
  peerIndex?: number;
  /** The peer's namespace as this namespace numbers it; undefined when the peer is local. */
  peerNetnsid?: number;
  /** The peer's name when it lives in the same namespace. */
  peerName?: string;
  /**
   * The named network namespace (/run/netns/NAME) the kernel says the peer is in: `ip netns list-id`
   * in this namespace maps the peer's netnsid to that name.
   */
  peerNetnsName?: string;
  /** Text mode: the name had an `@` suffix (busybox prints a wrong local name for remote peers). */
  atSuffix?: boolean;
  /** Text mode only: `ip -o addr` lines for this namespace, merged into its interfaces later. */
  addrLines?: string[];
  /** A macvlan, ipvlan, vlan or vxlan: its lower device's ifindex, netnsid (another namespace) or name (this one). */
  parentIndex?: number;
  parentNetnsid?: number;
  parentName?: string;
}

/** Kinds whose `link` is the lower device they sit on, not a peer. */
export const LOWER_DEVICE_KINDS: ReadonlySet<string> = new Set(['macvlan', 'macvtap', 'ipvlan', 'ipvtap', 'vlan', 'vxlan']);

interface IpJsonLink {
  ifindex?: number;
  ifname?: string;
  link?: string | null;
  link_index?: number;
  link_netnsid?: number;
  link_type?: string;
  operstate?: string;
  address?: string;
  mtu?: number;
  master?: string;
  linkinfo?: { info_kind?: string; info_data?: { link?: string } };
  addr_info?: Array<{ family?: string; local?: string; prefixlen?: number; scope?: string }>;
}

export function parseNetnsSection(sec: Section, ipmode: string): RawInterface[] {
  const inode = Number(sec.args[0]);
  if (!Number.isFinite(inode)) {
    return [];
  }
  if (sec.name === 'netns' && ipmode === 'json') {
    return parseIpJson(inode, sec.lines.join('\n'));
  }
  if (sec.name === 'netns' && ipmode === 'text') {
    return parseIpLinkText(inode, sec.lines);
  }
  if (sec.name === 'netns-addr') {
    return [{ info: { ns: inode, ifindex: -1, name: '', kind: '', state: '', addresses: [] }, addrLines: sec.lines }];
  }
  if (sec.name === 'netns-dev') {
    return parseProcNet(inode, sec.lines);
  }
  return [];
}

/** Raw control characters (other than the newlines between JSON lines) as \u escapes. */
export function jsonControlsEscaped(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x09\x0b-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The JSON arrays of one namespace's section: `ip -j -d addr show` alone (one array), or `ip -batch` with
 * `addr show` and `netns list-id` (one array per line). The links are the first array of objects with an
 * ifindex; the netnsid names come from the array of `{nsid, name}`.
 */
function ipJsonArrays(text: string): { links: IpJsonLink[]; nsidNames: Map<number, string> } {
  const arrays: unknown[] = [];
  // iproute2 prints some control characters of interface names raw (a container may name its own
  // interfaces with ESC); JSON allows none inside strings, so they become \u escapes first.
  const parse = (t: string): unknown => {
    try {
      return JSON.parse(jsonControlsEscaped(t));
    } catch {
      return undefined;
    }
  };
  const whole = parse(text);
  if (Array.isArray(whole)) {
    arrays.push(whole);
  } else {
    for (const line of text.split('\n')) {
      const a = line.trim() ? parse(line) : undefined;
      if (Array.isArray(a)) arrays.push(a);
    }
  }
  const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;
  const links = (arrays.find((a) => Array.isArray(a) && a.length > 0 && (a as unknown[]).every((x) => isObj(x) && typeof x.ifindex === 'number')) ?? []) as IpJsonLink[];
  const nsidNames = new Map<number, string>();
  for (const a of arrays) {
    for (const x of a as unknown[]) {
      if (isObj(x) && typeof x.nsid === 'number' && typeof x.name === 'string' && Object.keys(x).every((k) => k === 'nsid' || k === 'name' || k === 'current-nsid')) {
        nsidNames.set(x.nsid, x.name);
      }
    }
  }
  return { links, nsidNames };
}

export function parseIpJson(inode: number, text: string): RawInterface[] {
  const { links, nsidNames } = ipJsonArrays(text);
  return links.map((l) => {
    const info: InterfaceInfo = {
      ns: inode,
      ifindex: l.ifindex ?? -1,
      name: l.ifname ?? '',
      kind: l.linkinfo?.info_kind ?? l.link_type ?? 'unknown',
      state: l.operstate ?? 'UNKNOWN',
      addresses: (l.addr_info ?? [])
        .filter((a) => (a.family === 'inet' || a.family === 'inet6') && a.local)
        .map((a): AddressInfo => ({ family: a.family as 'inet' | 'inet6', address: a.local ?? '', prefixLen: a.prefixlen ?? 0, ...(a.scope ? { scope: a.scope } : {}) })),
    };
    if (l.address && l.link_type !== 'loopback' && l.link_type !== 'none') {
      info.mac = l.address;
    }
    if (l.mtu !== undefined) {
      info.mtu = l.mtu;
    }
    if (l.master) {
      info.master = l.master;
    }
    const raw: RawInterface = { info };
    if (LOWER_DEVICE_KINDS.has(info.kind)) {
      // vxlan names its lower device in info_data ("if3"); its own link_index is itself.
      const vx = info.kind === 'vxlan' ? /^if(\d+)$/.exec(l.linkinfo?.info_data?.link ?? '') : null;
      if (vx) raw.parentIndex = Number(vx[1]);
      else if (l.link_index !== undefined && info.kind !== 'vxlan') raw.parentIndex = l.link_index;
      else if (typeof l.link === 'string') raw.parentName = l.link;
      if (raw.parentIndex !== undefined) raw.parentNetnsid = l.link_netnsid;
    } else if (l.link_index !== undefined) {
      raw.peerIndex = l.link_index;
      raw.peerNetnsid = l.link_netnsid;
      const named = l.link_netnsid !== undefined ? nsidNames.get(l.link_netnsid) : undefined;
      if (named !== undefined) raw.peerNetnsName = named;
    } else if (typeof l.link === 'string') {
      raw.peerName = l.link;
    }
    return raw;
  });
}

/** `ip -o [-d] link` lines: `6: name@if2: <FLAGS> mtu 1500 ... state UP ...\    link/ether MAC ... link-netnsid 0`. */
export function parseIpLinkText(inode: number, lines: string[]): RawInterface[] {
  const out: RawInterface[] = [];
  for (const line of lines) {
    const m = /^(\d+): ([^:@]+)(?:@([^:]+))?: <([^>]*)>(.*)$/.exec(line);
    if (!m) {
      continue;
    }
    const rest = m[5];
    const field = (re: RegExp): string | undefined => re.exec(rest)?.[1];
    const linkType = field(/link\/(\w+)/) ?? 'unknown';
    const detailKind = /\\\s+(veth|bridge|vlan|macvlan|ipvlan|vxlan|dummy|tun|wireguard|bond)\b/.exec(rest)?.[1];
    const peer = m[3];
    const peerIdx = peer && /^if(\d+)$/.test(peer) ? Number(peer.slice(2)) : undefined;
    const netnsid = field(/link-netnsid (\d+)/);
    const flags = m[4].split(',');
    const info: InterfaceInfo = {
      ns: inode,
      ifindex: Number(m[1]),
      name: m[2],
      kind: detailKind ?? (peerIdx !== undefined ? 'veth' : linkType),
      state: field(/ state (\S+)/) ?? (flags.includes('UP') ? 'UP' : 'DOWN'),
      addresses: [],
    };
    const mac = field(/link\/ether ([0-9a-f:]{17})/);
    if (mac) {
      info.mac = mac;
    }
    const mtu = field(/ mtu (\d+)/);
    if (mtu) {
      info.mtu = Number(mtu);
    }
    const master = field(/ master (\S+)/);
    if (master) {
      info.master = master;
    }
    const raw: RawInterface = { info, atSuffix: peer !== undefined };
    if (peerIdx !== undefined) {
      raw.peerIndex = peerIdx;
      raw.peerNetnsid = netnsid !== undefined ? Number(netnsid) : rest.includes('link-netns') ? -1 : undefined;
    } else if (peer && (detailKind === 'veth' || info.kind === 'veth')) {
      raw.peerName = peer;
    }
    out.push(raw);
  }
  return out;
}

/** `ip -o addr` lines: `4: eth0    inet 192.0.2.2/24 brd ... scope global eth0\ ...`. */
export function parseIpAddrText(lines: string[]): Array<{ ifindex: number; addr: AddressInfo }> {
  const out: Array<{ ifindex: number; addr: AddressInfo }> = [];
  for (const line of lines) {
    const m = /^(\d+):\s+\S+\s+(inet6?) ([0-9a-fA-F.:]+)\/(\d+)(.*)$/.exec(line);
    if (m) {
      const scope = / scope (\w+)/.exec(m[5])?.[1];
      out.push({ ifindex: Number(m[1]), addr: { family: m[2] as 'inet' | 'inet6', address: m[3], prefixLen: Number(m[4]), ...(scope ? { scope } : {}) } });
    }
  }
  return out;
}

/** /proc/net/dev then /proc/net/if_inet6, concatenated (no ip at all). */
export function parseProcNet(inode: number, lines: string[]): RawInterface[] {
  const byName = new Map<string, RawInterface>();
  for (const line of lines) {
    const dev = /^\s*([^\s:]+):\s+\d/.exec(line);
    if (dev) {
      byName.set(dev[1], { info: { ns: inode, ifindex: -1, name: dev[1], kind: dev[1] === 'lo' ? 'loopback' : 'unknown', state: 'UNKNOWN', addresses: [] } });
      continue;
    }
    const v6 = /^([0-9a-f]{32}) ([0-9a-f]+) ([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+\s+(\S+)$/.exec(line);
    if (v6) {
      const r = byName.get(v6[5]);
      if (r) {
        r.info.ifindex = parseInt(v6[2], 16);
        const scopeNum = parseInt(v6[4], 16);
        r.info.addresses.push({
          family: 'inet6',
          address: v6[1].replace(/(.{4})(?!$)/g, '$1:').replace(/\b0+(?=[0-9a-f])/g, ''),
          prefixLen: parseInt(v6[3], 16),
          scope: scopeNum === 0x10 ? 'host' : scopeNum === 0x20 ? 'link' : 'global',
        });
      }
    }
  }
  return [...byName.values()];
}

/**
 * Merges text-mode address sections into their interfaces, then pairs veth ends.
 * 1. From the kernel: an end whose peer's netnsid `ip netns list-id` names (a named namespace B, whose
 *    inode `netnsByName` gives) pairs with the veth of that peer index in B, when that one points back.
 * 2. Otherwise by indexes: an end in namespace A with peer index p matches the veth with ifindex p in
 *    another namespace whose own peer index is A's ifindex, only when each is the other's only candidate
 *    (ifindexes repeat across namespaces: a choice between several is no answer). Where that still leaves
 *    several, the netnsid each namespace uses for the other, learnt from the pairs above, decides.
 * An end none of these settles has no peer ("unknown"), never a guess.
 */
export function resolveVethPeers(raws: RawInterface[], netnsByName: ReadonlyMap<string, number> = new Map()): InterfaceInfo[] {
  const ifaces: RawInterface[] = [];
  for (const r of raws) {
    if (r.addrLines) {
      for (const a of parseIpAddrText(r.addrLines)) {
        const target = ifaces.find((x) => x.info.ns === r.info.ns && x.info.ifindex === a.ifindex);
        target?.info.addresses.push(a.addr);
      }
    } else {
      ifaces.push(r);
    }
  }
  const key = (ns: number, idx: number): string => `${ns}/${idx}`;
  const byKey = new Map(ifaces.map((r) => [key(r.info.ns, r.info.ifindex), r]));
  for (const r of ifaces) {
    if (r.peerName !== undefined) {
      const peer = ifaces.find((x) => x.info.ns === r.info.ns && x.info.name === r.peerName);
      if (peer) {
        r.info.peer = { ns: peer.info.ns, ifindex: peer.info.ifindex };
      }
    }
  }
  const nsidMap = new Map<string, number>();
  for (const r of ifaces) {
    if (r.info.peer || r.peerIndex === undefined || r.peerNetnsName === undefined) {
      continue;
    }
    const ns = netnsByName.get(r.peerNetnsName);
    const peer = ns !== undefined ? byKey.get(key(ns, r.peerIndex)) : undefined;
    if (ns !== undefined && peer && peer.peerIndex === r.info.ifindex && peer !== r) {
      r.info.peer = { ns, ifindex: peer.info.ifindex };
      // A veth's peer's peer is the veth itself.
      peer.info.peer ??= { ns: r.info.ns, ifindex: r.info.ifindex };
      if (r.peerNetnsid !== undefined && r.peerNetnsid >= 0) {
        nsidMap.set(key(r.info.ns, r.peerNetnsid), ns);
      }
    }
  }
  const pointsAt = (x: RawInterface, r: RawInterface): boolean => !x.info.peer || (x.info.peer.ns === r.info.ns && x.info.peer.ifindex === r.info.ifindex);
  const candidatesOf = (r: RawInterface): RawInterface[] =>
    ifaces.filter(
      (x) =>
        x !== r &&
        x.peerIndex === r.info.ifindex &&
        x.info.ifindex === r.peerIndex &&
        // A local peer is reported by name; an index with a netnsid means another namespace.
        (r.peerNetnsid === undefined || x.info.ns !== r.info.ns) &&
        // An end the kernel already paired with another is no candidate.
        pointsAt(x, r),
    );
  const pending: RawInterface[] = [];
  for (const r of ifaces) {
    if (r.peerIndex === undefined || r.info.peer) {
      continue;
    }
    const c = candidatesOf(r);
    if (c.length === 1 && candidatesOf(c[0]).length === 1) {
      r.info.peer = { ns: c[0].info.ns, ifindex: c[0].info.ifindex };
      if (r.peerNetnsid !== undefined && r.peerNetnsid >= 0) {
        nsidMap.set(key(r.info.ns, r.peerNetnsid), c[0].info.ns);
      }
    } else if (c.length >= 1) {
      pending.push(r);
    }
  }
  for (const r of pending) {
    if (r.info.peer) continue;
    const ns = r.peerNetnsid !== undefined ? nsidMap.get(key(r.info.ns, r.peerNetnsid)) : undefined;
    const peer = ns !== undefined ? byKey.get(key(ns, r.peerIndex ?? -1)) : undefined;
    if (peer && peer.peerIndex === r.info.ifindex && pointsAt(peer, r)) {
      r.info.peer = { ns: peer.info.ns, ifindex: peer.info.ifindex };
    }
  }
  // Text mode leftovers: busybox names a remote peer by whatever local interface has its index, so only
  // one end knows the index; accept a unique candidate that has a peer suffix but no index of its own.
  for (const r of ifaces) {
    if (r.peerIndex === undefined || r.info.peer) {
      continue;
    }
    const c = ifaces.filter((x) => x.info.ns !== r.info.ns && x.info.ifindex === r.peerIndex && !x.info.peer && x.peerIndex === undefined && x.atSuffix);
    if (c.length === 1) {
      r.info.peer = { ns: c[0].info.ns, ifindex: c[0].info.ifindex };
      c[0].info.peer = { ns: r.info.ns, ifindex: r.info.ifindex };
    }
  }
  for (const r of ifaces) {
    if (r.info.peer && r.info.kind !== 'veth' && (r.atSuffix || r.info.kind === 'ether')) {
      r.info.kind = 'veth';
    }
  }
  return ifaces.map((r) => r.info);
}

/**
 * Sets `link` (the lower device) of macvlan, ipvlan, vlan and vxlan interfaces. A lower device in the same
 * namespace is named; one in another namespace is an ifindex there, found through the netnsids that the
 * resolved veth pairs taught (namespace A calls namespace B by id N), else the only interface with that
 * ifindex in another namespace. Run after resolveVethPeers, on the same raws.
 */
export function resolveLinkParents(raws: readonly RawInterface[]): void {
  const ifaces = raws.filter((r) => !r.addrLines);
  const key = (ns: number, x: number | string): string => `${ns}/${x}`;
  const byIndex = new Map(ifaces.map((r) => [key(r.info.ns, r.info.ifindex), r.info]));
  const byName = new Map(ifaces.map((r) => [key(r.info.ns, r.info.name), r.info]));
  const nsids = new Map<string, number>();
  for (const r of ifaces) {
    if (r.info.peer && r.peerNetnsid !== undefined && r.peerNetnsid >= 0 && r.info.peer.ns !== r.info.ns) nsids.set(key(r.info.ns, r.peerNetnsid), r.info.peer.ns);
  }
  for (const r of ifaces) {
    let parent: InterfaceInfo | undefined;
    if (r.parentName !== undefined) parent = byName.get(key(r.info.ns, r.parentName));
    else if (r.parentIndex !== undefined && r.parentNetnsid === undefined) parent = byIndex.get(key(r.info.ns, r.parentIndex));
    else if (r.parentIndex !== undefined) {
      const ns = nsids.get(key(r.info.ns, r.parentNetnsid ?? -1));
      if (ns !== undefined) parent = byIndex.get(key(ns, r.parentIndex));
      else {
        const c = ifaces.filter((x) => x.info.ns !== r.info.ns && x.info.ifindex === r.parentIndex);
        if (c.length === 1) parent = c[0].info;
      }
    }
    if (parent && parent !== r.info) r.info.link = { ns: parent.ns, ifindex: parent.ifindex };
  }
}
