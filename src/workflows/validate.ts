/**
 * Input validation for netns and veth workflows. Everything a user types is checked here before any
 * plan is built, so a plan only ever carries values that are safe as single argv elements and that the
 * kernel and iproute2 will read the way the preview shows them.
 */

import * as ipaddr from 'ipaddr.js';
import type { AddressInfo, Snapshot } from '../model/snapshot';

export type WorkflowErrorCode =
  | 'bad-netns-name'
  | 'bad-interface-name'
  | 'interface-name-taken'
  | 'interface-missing'
  | 'bad-cidr'
  | 'bad-address'
  | 'address-overlap'
  | 'no-free-subnet'
  | 'bad-endpoint'
  | 'unknown-endpoint'
  | 'container-not-running'
  | 'same-namespace'
  | 'netns-exists'
  | 'netns-busy'
  | 'missing-tool'
  | 'bad-option';

/** A rejected input: nothing has run. `message` is written for the user (CLI exit code 2). */
export class WorkflowError extends Error {
  constructor(
    readonly code: WorkflowErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'WorkflowError';
  }
}

/** Tools the host has, as probed; a tool known to be missing rejects the workflows that need it. */
export interface HostCapabilities {
  ip: boolean;
  nsenter: boolean;
  ping: boolean;
  /** busybox provides `ping` when iputils is missing. */
  busybox: boolean;
}

const NETNS_NAME_MAX = 64;
const IFNAMSIZ = 16;
// ip(8) reads its own keywords after `dev`/`name`, so a leading '-' could still be taken as an option by
// other tools (nsenter, ping); refusing it costs nothing.
const NETNS_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** Describe a string for an error message without echoing control characters back to a terminal. */
export function shown(value: string): string {
  const json = JSON.stringify(value.length > 80 ? value.slice(0, 80) + '…' : value);
  // JSON escapes control characters; also escape the invisible ones that reorder or hide text.
  return json.replace(/[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Network namespace names become files under /run/netns; keep them to a portable, unambiguous set. */
export function validateNetnsName(name: string): string {
  if (name.length === 0) {
    throw new WorkflowError('bad-netns-name', 'The network namespace name is empty.');
  }
  if (Buffer.byteLength(name, 'utf8') > NETNS_NAME_MAX) {
    throw new WorkflowError(
      'bad-netns-name',
      `The network namespace name ${shown(name)} is longer than ${NETNS_NAME_MAX} bytes.`,
    );
  }
  if (name === '.' || name === '..' || name.includes('/')) {
    throw new WorkflowError(
      'bad-netns-name',
      `The network namespace name ${shown(name)} would be a path, not a name under /run/netns: drop "/", "." and "..".`,
    );
  }
  if (!NETNS_NAME_RE.test(name)) {
    throw new WorkflowError(
      'bad-netns-name',
      `The network namespace name ${shown(name)} may only contain letters, digits, "_", "-" and ".", and must start with a letter, digit or "_".`,
    );
  }
  return name;
}

/** Interface names follow the kernel's dev_valid_name(), plus no control characters and no leading '-'. */
export function validateInterfaceName(name: string): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0) {
    throw new WorkflowError('bad-interface-name', 'The interface name is empty.');
  }
  if (bytes >= IFNAMSIZ) {
    throw new WorkflowError(
      'bad-interface-name',
      `The interface name ${shown(name)} is ${bytes} bytes; Linux allows at most ${IFNAMSIZ - 1}.`,
    );
  }
  if (name === '.' || name === '..') {
    throw new WorkflowError('bad-interface-name', `The interface name ${shown(name)} is reserved.`);
  }
  if (/[/:\s]/u.test(name) || CONTROL_RE.test(name)) {
    throw new WorkflowError(
      'bad-interface-name',
      `The interface name ${shown(name)} contains "/", ":", whitespace or a control character, which Linux does not allow.`,
    );
  }
  if (name.startsWith('-')) {
    throw new WorkflowError('bad-interface-name', `The interface name ${shown(name)} starts with "-", which tools read as an option.`);
  }
  if (name.includes('\ufffd') || !isWellFormed(name)) {
    throw new WorkflowError('bad-interface-name', `The interface name ${shown(name)} is not valid text.`);
  }
  return name;
}

function isWellFormed(s: string): boolean {
  // Lone surrogates would not survive UTF-8 encoding unchanged.
  return Buffer.from(s, 'utf8').toString('utf8') === s;
}

/** Interface names present in the network namespace with this inode, per the snapshot. */
export function interfaceNamesIn(snapshot: Snapshot, nsInode: number): Set<string> {
  return new Set(snapshot.interfaces.filter((i) => i.ns === nsInode).map((i) => i.name));
}

export function requireFreeInterfaceName(snapshot: Snapshot, nsInode: number, name: string, where: string): void {
  if (interfaceNamesIn(snapshot, nsInode).has(name)) {
    throw new WorkflowError(
      'interface-name-taken',
      `An interface named ${shown(name)} already exists in ${where}; choose another name.`,
    );
  }
}

export function requireInterface(snapshot: Snapshot, nsInode: number, name: string, where: string): void {
  if (!interfaceNamesIn(snapshot, nsInode).has(name)) {
    throw new WorkflowError('interface-missing', `There is no interface named ${shown(name)} in ${where}.`);
  }
}

export function requireTools(caps: Partial<HostCapabilities> | undefined, tools: Array<keyof HostCapabilities>): void {
  for (const tool of tools) {
    if (caps?.[tool] === false) {
      throw new WorkflowError(
        'missing-tool',
        `The host has no \`${tool}\` command; install ${tool === 'ip' ? 'iproute2' : tool === 'nsenter' ? 'util-linux' : 'iputils-ping'} there and refresh.`,
      );
    }
  }
}

// ---- addresses ---------------------------------------------------------------------------------------

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

export interface Cidr {
  address: IpAddress;
  prefixLen: number;
}

const V4_STRICT = /^(0|[1-9]\d{0,2})(\.(0|[1-9]\d{0,2})){3}$/;
const V6_CHARS = /^[0-9A-Fa-f:.]+$/;

/** Parse one address in the plain notation ip(8) prints: dotted quad or RFC 4291 text, no zone id. */
export function parseAddress(text: string): IpAddress {
  const ok =
    (V4_STRICT.test(text) && ipaddr.IPv4.isValidFourPartDecimal(text)) ||
    (text.includes(':') && V6_CHARS.test(text) && ipaddr.IPv6.isValid(text));
  if (!ok) {
    throw new WorkflowError('bad-address', `${shown(text)} is not an IPv4 or IPv6 address.`);
  }
  return ipaddr.parse(text);
}

/** Parse `address/prefix` with ipaddr.parseCIDR after a strict syntax check. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const addrPart = slash < 0 ? text : text.slice(0, slash);
  const lenPart = slash < 0 ? '' : text.slice(slash + 1);
  if (slash < 0 || !/^(0|[1-9]\d{0,2})$/.test(lenPart)) {
    throw new WorkflowError('bad-cidr', `${shown(text)} is not in address/prefix form, e.g. 10.200.1.0/24.`);
  }
  try {
    parseAddress(addrPart);
  } catch {
    throw new WorkflowError('bad-cidr', `${shown(text)} does not start with an IPv4 or IPv6 address.`);
  }
  let parsed: [IpAddress, number];
  try {
    parsed = ipaddr.parseCIDR(text);
  } catch {
    throw new WorkflowError('bad-cidr', `${shown(text)} has a prefix length out of range.`);
  }
  return { address: parsed[0], prefixLen: parsed[1] };
}

export function bitsOf(address: IpAddress): number {
  return address.kind() === 'ipv4' ? 32 : 128;
}

export function toBigInt(address: IpAddress): bigint {
  let n = 0n;
  for (const b of address.toByteArray()) {
    n = (n << 8n) | BigInt(b);
  }
  return n;
}

export function fromBigInt(n: bigint, kind: 'ipv4' | 'ipv6'): IpAddress {
  const len = kind === 'ipv4' ? 4 : 16;
  const bytes = new Array<number>(len);
  for (let i = len - 1; i >= 0; i--) {
    bytes[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return ipaddr.fromByteArray(bytes);
}

function networkOf(c: Cidr): bigint {
  const bits = BigInt(bitsOf(c.address));
  const host = bits - BigInt(c.prefixLen);
  return (toBigInt(c.address) >> host) << host;
}

export function cidrString(c: Cidr): string {
  return `${c.address.toString()}/${c.prefixLen}`;
}

/** Two prefixes overlap when one contains the other's network address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.address.kind() !== b.address.kind()) {
    return false;
  }
  const shorter = Math.min(a.prefixLen, b.prefixLen);
  const host = BigInt(bitsOf(a.address) - shorter);
  return toBigInt(a.address) >> host === toBigInt(b.address) >> host;
}

/** A subnet given for a link must be the network address and leave room for two hosts. */
export function validateSubnet(text: string): Cidr {
  const c = parseCidr(text);
  const net = networkOf(c);
  if (net !== toBigInt(c.address)) {
    const suggestion = cidrString({ address: fromBigInt(net, c.address.kind()), prefixLen: c.prefixLen });
    throw new WorkflowError('bad-cidr', `${shown(text)} has host bits set; did you mean ${suggestion}?`);
  }
  const maxPrefix = bitsOf(c.address) - 2;
  if (c.prefixLen > maxPrefix) {
    throw new WorkflowError('bad-cidr', `${shown(text)} is too small for two endpoints; use a /${maxPrefix} or larger.`);
  }
  return c;
}

export interface AddressUse {
  cidr: Cidr;
  /** Where it lives, for messages: `eth0 in netns:blue`. */
  where: string;
}

/** Every address the snapshot knows of, with the interface and namespace holding it. */
export function snapshotAddresses(snapshot: Snapshot, nsLabel: (inode: number) => string): AddressUse[] {
  const out: AddressUse[] = [];
  for (const iface of snapshot.interfaces) {
    for (const a of iface.addresses) {
      const cidr = tryAddressCidr(a);
      if (cidr) {
        out.push({ cidr, where: `${iface.name} in ${nsLabel(iface.ns)}` });
      }
    }
  }
  return out;
}

function tryAddressCidr(a: AddressInfo): Cidr | undefined {
  try {
    const address = ipaddr.parse(a.address.split('%')[0]);
    const max = bitsOf(address);
    if (!Number.isInteger(a.prefixLen) || a.prefixLen < 0 || a.prefixLen > max) {
      return undefined;
    }
    return { address, prefixLen: a.prefixLen };
  } catch {
    return undefined;
  }
}

/** Refuse a subnet that overlaps any address already configured anywhere on the host. */
export function requireNoOverlap(subnet: Cidr, used: readonly AddressUse[]): void {
  const hit = used.find((u) => cidrsOverlap(subnet, u.cidr));
  if (hit) {
    throw new WorkflowError(
      'address-overlap',
      `${cidrString(subnet)} overlaps ${cidrString(hit.cidr)} on ${hit.where}; pick a free subnet or leave it out to get one.`,
    );
  }
}

/** The first and second usable host addresses of a subnet, as address/prefix. */
export function hostAddresses(subnet: Cidr): [Cidr, Cidr] {
  const net = networkOf(subnet);
  const kind = subnet.address.kind();
  return [
    { address: fromBigInt(net + 1n, kind), prefixLen: subnet.prefixLen },
    { address: fromBigInt(net + 2n, kind), prefixLen: subnet.prefixLen },
  ];
}

const MAX_SUBNET_CANDIDATES = 65536;

/** The first subnet of the given size inside `range` that overlaps nothing in use. */
export function findFreeSubnet(range: Cidr, prefixLen: number, used: readonly AddressUse[]): Cidr {
  const kind = range.address.kind();
  const bits = bitsOf(range.address);
  if (!Number.isInteger(prefixLen) || prefixLen < range.prefixLen || prefixLen > bits - 2) {
    throw new WorkflowError(
      'bad-option',
      `A /${prefixLen} subnet cannot be carved from ${cidrString(range)}; use a prefix between ${range.prefixLen} and ${bits - 2}.`,
    );
  }
  const start = networkOf(range);
  const step = 1n << BigInt(bits - prefixLen);
  const available = 1n << BigInt(prefixLen - range.prefixLen);
  const limit = available < BigInt(MAX_SUBNET_CANDIDATES) ? Number(available) : MAX_SUBNET_CANDIDATES;
  for (let i = 0; i < limit; i++) {
    const candidate: Cidr = { address: fromBigInt(start + BigInt(i) * step, kind), prefixLen };
    if (!used.some((u) => cidrsOverlap(candidate, u.cidr))) {
      return candidate;
    }
  }
  throw new WorkflowError('no-free-subnet', `Every /${prefixLen} in ${cidrString(range)} is in use; give a subnet or another range.`);
}
