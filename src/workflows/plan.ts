/**
 * netns and veth workflows as data: ordered steps, each an argv with the argv that undoes it. Planners
 * validate every input against a Snapshot first and throw WorkflowError when anything is off, so a plan
 * that exists is one that can be shown and run as is.
 */

import { displayCommand, IDENTITY_CHECK_NAME, IDENTITY_CHECK_NOTE } from '../host/commandLine';
import type { Snapshot } from '../model/snapshot';
import {
  boundToIdentity,
  type Endpoint,
  type EndpointSpec,
  hostNetInode,
  ipIn,
  netnsTarget,
  nsLabeler,
  parseEndpoint,
  requireUnambiguousTargets,
  resolveEndpoint,
  runIn,
} from './endpoint';
import { PING_COUNT_MAX, PING_TIMEOUT_MAX } from './ping';
import {
  type Cidr,
  cidrString,
  findFreeSubnet,
  type HostCapabilities,
  hostAddresses,
  interfaceNamesIn,
  parseAddress,
  parseCidr,
  requireFreeInterfaceName,
  requireInterface,
  requireNoOverlap,
  requireTools,
  shown,
  snapshotAddresses,
  validateInterfaceName,
  validateNetnsName,
  validateSubnet,
  WorkflowError,
} from './validate';

export interface Step {
  description: string;
  /**
   * Exactly what runs. An argv that names a PID (nsenter -t PID, ip's `netns PID`) starts with the host-side
   * check that the PID is still the planned process (withIdentityCheck), so does its inverse.
   */
  argv: string[];
  /** The argv that undoes this step once it has succeeded; absent when it cannot be undone. */
  inverse?: string[];
  needsRoot: boolean;
}

/** A command run after all steps to confirm the result; it has no inverse and never triggers rollback. */
export interface PostCheck {
  kind: 'ping';
  description: string;
  argv: string[];
  needsRoot: boolean;
  timeoutMs: number;
}

export interface Workflow {
  title: string;
  steps: Step[];
  postCheck?: PostCheck;
  /** Things the user should know before running it (what a deletion takes with it, ...). */
  notes?: string[];
}

export interface PlanOptions {
  capabilities?: Partial<HostCapabilities>;
}

type EndpointInput = EndpointSpec | string;

function toEndpoint(input: EndpointInput, snapshot: Snapshot): Endpoint {
  return resolveEndpoint(typeof input === 'string' ? parseEndpoint(input) : input, snapshot);
}

function toolsFor(...eps: Endpoint[]): Array<keyof HostCapabilities> {
  return eps.some((e) => e.kind === 'container') ? ['ip', 'nsenter'] : ['ip'];
}

// ---- step builders: no validation, callers have done it ----------------------------------------------

function addVethStep(a: string, b: string): Step {
  return {
    description: `Create the veth pair ${a} ↔ ${b} on the host`,
    argv: ['ip', 'link', 'add', 'name', a, 'type', 'veth', 'peer', 'name', b],
    inverse: ['ip', 'link', 'del', 'dev', a],
    needsRoot: true,
  };
}

function moveStep(iface: string, from: Endpoint, to: Endpoint): Step {
  return {
    description: `Move ${iface} from ${from.label} into ${to.label}`,
    argv: boundToIdentity([...ipIn(from), 'link', 'set', 'dev', iface, 'netns', netnsTarget(to)], from, to),
    inverse: boundToIdentity([...ipIn(to), 'link', 'set', 'dev', iface, 'netns', netnsTarget(from)], to, from),
    needsRoot: true,
  };
}

function addrArgs(c: Cidr): string[] {
  // Skipping duplicate address detection makes a fresh IPv6 address usable at once.
  return c.address.kind() === 'ipv6' ? [cidrString(c), 'nodad'] : [cidrString(c)];
}

function addressStep(ep: Endpoint, iface: string, c: Cidr): Step {
  return {
    description: `Assign ${cidrString(c)} to ${iface} in ${ep.label}`,
    argv: boundToIdentity([...ipIn(ep), 'addr', 'add', ...addrArgs(c), 'dev', iface], ep),
    inverse: boundToIdentity([...ipIn(ep), 'addr', 'del', cidrString(c), 'dev', iface], ep),
    needsRoot: true,
  };
}

function linkStep(ep: Endpoint, iface: string, state: 'up' | 'down'): Step {
  return {
    description: `Bring ${iface} ${state} in ${ep.label}`,
    argv: boundToIdentity([...ipIn(ep), 'link', 'set', 'dev', iface, state], ep),
    inverse: boundToIdentity([...ipIn(ep), 'link', 'set', 'dev', iface, state === 'up' ? 'down' : 'up'], ep),
    needsRoot: true,
  };
}

function pingProgram(caps: Partial<HostCapabilities> | undefined): string[] | undefined {
  if (caps?.ping !== false) return ['ping'];
  if (caps.busybox) return ['busybox', 'ping'];
  return undefined;
}

function pingCheck(from: Endpoint, address: string, count: number, timeoutSec: number, program: string[]): PostCheck {
  return {
    kind: 'ping',
    description: `Ping ${address} from ${from.label}`,
    argv: boundToIdentity(runIn(from, [...program, '-c', String(count), '-W', String(timeoutSec), address]), from),
    needsRoot: from.kind !== 'host',
    // Replies come one a second; allow each its timeout and a margin for the connection.
    timeoutMs: (count + timeoutSec) * 1000 + 5000,
  };
}

// ---- planners ----------------------------------------------------------------------------------------

export interface CreateNetnsOptions extends PlanOptions {
  /** Also bring `lo` up inside, so the namespace can reach itself (default true). */
  loopbackUp?: boolean;
}

export function planCreateNetns(snapshot: Snapshot, name: string, opts: CreateNetnsOptions = {}): Workflow {
  validateNetnsName(name);
  requireTools(opts.capabilities, ['ip']);
  if (snapshot.netns.some((n) => n.name === name)) {
    throw new WorkflowError('netns-exists', `A network namespace named ${shown(name)} already exists.`);
  }
  const steps: Step[] = [
    {
      description: `Create network namespace ${name}`,
      argv: ['ip', 'netns', 'add', name],
      inverse: ['ip', 'netns', 'del', name],
      needsRoot: true,
    },
  ];
  if (opts.loopbackUp !== false) {
    steps.push({
      description: `Bring lo up in netns:${name}`,
      argv: ['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'dev', 'lo', 'up'],
      inverse: ['ip', 'netns', 'exec', name, 'ip', 'link', 'set', 'dev', 'lo', 'down'],
      needsRoot: true,
    });
  }
  return { title: `Create network namespace ${name}`, steps };
}

export interface DeleteNetnsOptions extends PlanOptions {
  /** Delete even though processes still run inside (they keep the namespace alive, unnamed). */
  force?: boolean;
}

export interface NetnsContents {
  interfaces: string[];
  pids: Array<{ pid: number; comm: string }>;
  containers: string[];
}

export function netnsContents(snapshot: Snapshot, inode: number): NetnsContents {
  const pids = snapshot.processes.filter((p) => p.ns.net === inode).map((p) => ({ pid: p.pid, comm: p.comm }));
  const nsPids = snapshot.namespaces.find((n) => n.type === 'net' && n.inode === inode)?.pids ?? [];
  for (const pid of nsPids) {
    if (!pids.some((p) => p.pid === pid)) pids.push({ pid, comm: '?' });
  }
  return {
    interfaces: snapshot.interfaces.filter((i) => i.ns === inode).map((i) => i.name),
    pids: pids.sort((a, b) => a.pid - b.pid),
    containers: snapshot.containers.filter((c) => c.ns.net === inode).map((c) => c.name),
  };
}

function describeContents(c: NetnsContents): string[] {
  const lines: string[] = [];
  const ifaces = c.interfaces.filter((i) => i !== 'lo');
  lines.push(ifaces.length > 0 ? `Interfaces inside: ${ifaces.join(', ')} (veth ends are destroyed, physical ones return to the host).` : 'No interfaces inside besides lo.');
  if (c.pids.length > 0) {
    const shownPids = c.pids.slice(0, 10).map((p) => `${p.pid} (${p.comm})`).join(', ');
    lines.push(`Processes inside: ${shownPids}${c.pids.length > 10 ? `, and ${c.pids.length - 10} more` : ''}.`);
  }
  if (c.containers.length > 0) {
    lines.push(`Containers using it: ${c.containers.join(', ')}.`);
  }
  return lines;
}

export function planDeleteNetns(snapshot: Snapshot, name: string, opts: DeleteNetnsOptions = {}): Workflow {
  validateNetnsName(name);
  requireTools(opts.capabilities, ['ip']);
  const ns = snapshot.netns.find((n) => n.name === name);
  if (!ns) {
    throw new WorkflowError('unknown-endpoint', `There is no network namespace named ${shown(name)}.`);
  }
  const contents = netnsContents(snapshot, ns.inode);
  const notes = describeContents(contents);
  if (contents.pids.length > 0 && !opts.force) {
    throw new WorkflowError(
      'netns-busy',
      [`Network namespace ${name} still has processes inside; stop them or delete with force.`, ...notes].join('\n'),
    );
  }
  if (contents.pids.length > 0) {
    notes.push('Those processes keep the namespace alive after its name is removed.');
  }
  notes.push('This cannot be undone.');
  return {
    title: `Delete network namespace ${name}`,
    steps: [{ description: `Delete network namespace ${name}`, argv: ['ip', 'netns', 'del', name], needsRoot: true }],
    notes,
  };
}

export interface VethEnd {
  name: string;
  endpoint: EndpointInput;
}

/** The names a new veth pair may take: free on the host, where it is created, and at each destination. */
function requireVethNames(snapshot: Snapshot, host: number, a: string, epA: Endpoint, b: string, epB: Endpoint): void {
  validateInterfaceName(a);
  validateInterfaceName(b);
  if (a === b) {
    throw new WorkflowError('interface-name-taken', `Both ends are named ${shown(a)}; a veth pair needs two names.`);
  }
  requireFreeInterfaceName(snapshot, host, a, 'host');
  requireFreeInterfaceName(snapshot, host, b, 'host');
  requireFreeInterfaceName(snapshot, epA.nsInode, a, epA.label);
  requireFreeInterfaceName(snapshot, epB.nsInode, b, epB.label);
}

function vethSteps(host: Endpoint, a: string, epA: Endpoint, b: string, epB: Endpoint): Step[] {
  const steps = [addVethStep(a, b)];
  if (epA.kind !== 'host') steps.push(moveStep(a, host, epA));
  if (epB.kind !== 'host') steps.push(moveStep(b, host, epB));
  return steps;
}

export function planCreateVethPair(snapshot: Snapshot, endA: VethEnd, endB: VethEnd, opts: PlanOptions = {}): Workflow {
  const epA = toEndpoint(endA.endpoint, snapshot);
  const epB = toEndpoint(endB.endpoint, snapshot);
  requireTools(opts.capabilities, toolsFor(epA, epB));
  const host = toEndpoint({ kind: 'host' }, snapshot);
  requireVethNames(snapshot, host.nsInode, endA.name, epA, endB.name, epB);
  requireUnambiguousTargets(snapshot, [host, epA, epB]);
  return {
    title: `Create veth pair ${endA.name} (${epA.label}) ↔ ${endB.name} (${epB.label})`,
    steps: vethSteps(host, endA.name, epA, endB.name, epB),
  };
}

export function planMoveInterface(snapshot: Snapshot, iface: string, from: EndpointInput, to: EndpointInput, opts: PlanOptions = {}): Workflow {
  validateInterfaceName(iface);
  const src = toEndpoint(from, snapshot);
  const dst = toEndpoint(to, snapshot);
  requireTools(opts.capabilities, toolsFor(src, dst));
  if (src.nsInode === dst.nsInode) {
    throw new WorkflowError('same-namespace', `${src.label} and ${dst.label} are the same network namespace.`);
  }
  requireInterface(snapshot, src.nsInode, iface, src.label);
  if (iface === 'lo') {
    throw new WorkflowError('bad-interface-name', 'The loopback interface cannot leave its namespace.');
  }
  requireFreeInterfaceName(snapshot, dst.nsInode, iface, dst.label);
  requireUnambiguousTargets(snapshot, [src, dst]);
  return { title: `Move ${iface} from ${src.label} into ${dst.label}`, steps: [moveStep(iface, src, dst)] };
}

export function planAssignAddress(snapshot: Snapshot, endpoint: EndpointInput, iface: string, address: string, opts: PlanOptions = {}): Workflow {
  validateInterfaceName(iface);
  const ep = toEndpoint(endpoint, snapshot);
  requireTools(opts.capabilities, toolsFor(ep));
  const cidr = parseCidr(address);
  requireInterface(snapshot, ep.nsInode, iface, ep.label);
  requireNoOverlap(cidr, snapshotAddresses(snapshot, nsLabeler(snapshot)));
  return { title: `Assign ${cidrString(cidr)} to ${iface} in ${ep.label}`, steps: [addressStep(ep, iface, cidr)] };
}

export function planSetLink(snapshot: Snapshot, endpoint: EndpointInput, iface: string, state: 'up' | 'down', opts: PlanOptions = {}): Workflow {
  validateInterfaceName(iface);
  const ep = toEndpoint(endpoint, snapshot);
  requireTools(opts.capabilities, toolsFor(ep));
  requireInterface(snapshot, ep.nsInode, iface, ep.label);
  return { title: `Bring ${iface} ${state} in ${ep.label}`, steps: [linkStep(ep, iface, state)] };
}

export interface PingOptions extends PlanOptions {
  count?: number;
  timeoutSec?: number;
}

export function planPing(snapshot: Snapshot, from: EndpointInput, address: string, opts: PingOptions = {}): PostCheck {
  const ep = toEndpoint(from, snapshot);
  requireTools(opts.capabilities, ep.kind === 'container' ? ['nsenter'] : []);
  const target = parseAddress(address).toString();
  const count = opts.count ?? 3;
  const timeoutSec = opts.timeoutSec ?? 2;
  if (!Number.isInteger(count) || count < 1 || count > PING_COUNT_MAX) {
    throw new WorkflowError('bad-option', `The ping count must be a whole number from 1 to ${PING_COUNT_MAX}.`);
  }
  if (!Number.isInteger(timeoutSec) || timeoutSec < 1 || timeoutSec > PING_TIMEOUT_MAX) {
    throw new WorkflowError('bad-option', `The ping timeout must be a whole number of seconds from 1 to ${PING_TIMEOUT_MAX}.`);
  }
  const program = pingProgram(opts.capabilities);
  if (!program) {
    requireTools(opts.capabilities, ['ping']);
  }
  return pingCheck(ep, target, count, timeoutSec, program ?? ['ping']);
}

export interface ConnectOptions extends PlanOptions {
  /** The link's subnet, e.g. 10.200.7.0/24; by default the first free one in `range`. */
  subnet?: string;
  /** Interface names for the A and B ends; by default `veth-<peer>` made unique. */
  names?: { a: string; b: string };
  /** Where to look for a free subnet (default 10.200.0.0/16). */
  range?: string;
  /** Size of the subnet taken from `range` (default /24 for IPv4, /64 for IPv6). */
  prefixLen?: number;
  /** Ping count of the post-check (default 3; 0 skips it). */
  pingCount?: number;
}

export interface ConnectPlan extends Workflow {
  names: { a: string; b: string };
  subnet: string;
  addresses: { a: string; b: string };
}

export const DEFAULT_RANGE = '10.200.0.0/16';
const MAX_NAME_ATTEMPTS = 1000;

function shortTag(ep: Endpoint): string {
  const raw = ep.kind === 'host' ? 'host' : ep.name;
  return raw.replace(/[^A-Za-z0-9]/g, '').slice(0, 8) || 'ns';
}

/** `veth-<peer tag>`, with a number when taken; ASCII only, at most 15 bytes. */
export function proposeInterfaceName(peerTag: string, taken: ReadonlySet<string>): string {
  for (let i = 0; i < MAX_NAME_ATTEMPTS; i++) {
    const suffix = i === 0 ? '' : String(i);
    const candidate = `veth-${peerTag.slice(0, 15 - 5 - suffix.length)}${suffix}`;
    if (!taken.has(candidate)) return candidate;
  }
  throw new WorkflowError('interface-name-taken', `Could not find a free interface name for ${shown(peerTag)}; give names explicitly.`);
}

export function planConnect(snapshot: Snapshot, a: EndpointInput, b: EndpointInput, opts: ConnectOptions = {}): ConnectPlan {
  const epA = toEndpoint(a, snapshot);
  const epB = toEndpoint(b, snapshot);
  requireTools(opts.capabilities, toolsFor(epA, epB));
  if (epA.nsInode === epB.nsInode) {
    throw new WorkflowError('same-namespace', `${epA.label} and ${epB.label} are the same network namespace; connect two different ones.`);
  }
  const host = toEndpoint({ kind: 'host' }, snapshot);

  let names: { a: string; b: string };
  if (opts.names) {
    names = { a: opts.names.a, b: opts.names.b };
  } else {
    const taken = new Set([
      ...interfaceNamesIn(snapshot, hostNetInode(snapshot)),
      ...interfaceNamesIn(snapshot, epA.nsInode),
      ...interfaceNamesIn(snapshot, epB.nsInode),
    ]);
    const nameA = proposeInterfaceName(shortTag(epB), taken);
    taken.add(nameA);
    names = { a: nameA, b: proposeInterfaceName(shortTag(epA), taken) };
  }
  requireVethNames(snapshot, host.nsInode, names.a, epA, names.b, epB);
  requireUnambiguousTargets(snapshot, [host, epA, epB]);

  const used = snapshotAddresses(snapshot, nsLabeler(snapshot));
  let subnet: Cidr;
  if (opts.subnet !== undefined) {
    subnet = validateSubnet(opts.subnet);
    requireNoOverlap(subnet, used);
  } else {
    const range = validateSubnet(opts.range ?? DEFAULT_RANGE);
    const prefixLen = opts.prefixLen ?? (range.address.kind() === 'ipv4' ? Math.max(24, range.prefixLen) : Math.max(64, range.prefixLen));
    subnet = findFreeSubnet(range, prefixLen, used);
  }
  const [addrA, addrB] = hostAddresses(subnet);

  const steps = [
    ...vethSteps(host, names.a, epA, names.b, epB),
    addressStep(epA, names.a, addrA),
    addressStep(epB, names.b, addrB),
    linkStep(epA, names.a, 'up'),
    linkStep(epB, names.b, 'up'),
  ];
  const pingCount = opts.pingCount ?? 3;
  const program = pingProgram(opts.capabilities);
  const notes: string[] = [];
  let postCheck: PostCheck | undefined;
  if (pingCount > 0 && program) {
    postCheck = pingCheck(epA, addrB.address.toString(), Math.min(pingCount, PING_COUNT_MAX), 2, program);
  } else if (pingCount > 0) {
    notes.push('The host has no ping, so the link is not checked afterwards.');
  }
  return {
    title: `Connect ${epA.label} ↔ ${epB.label} over ${cidrString(subnet)}`,
    steps,
    postCheck,
    notes,
    names,
    subnet: cidrString(subnet),
    addresses: { a: cidrString(addrA), b: cidrString(addrB) },
  };
}

// ---- preview -----------------------------------------------------------------------------------------

/**
 * The exact command lines a workflow runs; `#` marks a root command, `$` one run as the user. The
 * host-side identity check is shown as `nsx-check PID START TYPE:INODE… --` before the command it guards,
 * and explained below the steps.
 */
export function renderPreview(wf: Workflow): string {
  const prompt = (root: boolean) => (root ? '#' : '$');
  const lines = [wf.title];
  const shownLines: string[] = [];
  const show = (argv: string[]) => {
    const text = displayCommand(argv);
    shownLines.push(text);
    return text;
  };
  wf.steps.forEach((s, i) => {
    lines.push(`  ${i + 1}. ${s.description}`);
    lines.push(`     ${prompt(s.needsRoot)} ${show(s.argv)}`);
    lines.push(s.inverse ? `       undo: ${show(s.inverse)}` : '       undo: (none, cannot be undone)');
  });
  if (wf.postCheck) {
    lines.push(`  then check: ${wf.postCheck.description}`);
    lines.push(`     ${prompt(wf.postCheck.needsRoot)} ${show(wf.postCheck.argv)}`);
  }
  for (const note of wf.notes ?? []) {
    lines.push(`  note: ${note}`);
  }
  lines.push('  (# runs as root, $ runs as your user)');
  if (shownLines.some((l) => l.startsWith(`${IDENTITY_CHECK_NAME} `))) {
    lines.push(`  (${IDENTITY_CHECK_NOTE})`);
  }
  return lines.join('\n');
}


// ---- the lesson: two new namespaces and a cable ---------------------------------------------------------

export interface LessonOptions extends PlanOptions {
  /** The lesson's names: net_test1, net_test2, veth0, veth1. */
  netns?: { a: string; b: string };
  veth?: { a: string; b: string };
  /** Where the link's /24 (or /64) comes from: nsExplorer.workflows.subnetRange. */
  range?: string;
}

/** What a step of the lesson changes, so the tree can show it before the next step runs. */
export interface StepFocus {
  /** `host` or a netns name. */
  netns: string;
  iface?: string;
}

export interface LessonPlan extends Workflow {
  netns: { a: string; b: string };
  names: { a: string; b: string };
  subnet: string;
  addresses: { a: string; b: string };
  /** One per step, in order. */
  focus: StepFocus[];
  /** The address the first namespace pings to check the link. */
  pingTarget: string;
}

/** The classic lesson's example subnet, shown beside the one actually used. */
export const LESSON_EXAMPLE_SUBNET = '10.1.1.0/24';

/**
 * `ip netns add net_test1` and `net_test2`, `ip link add veth0 type veth peer name veth1`, each end moved
 * into its namespace, an address on each from a free subnet of `range`, both links up: each a step with
 * its inverse, so it can run one step at a time and be undone.
 */
export function planLesson(snapshot: Snapshot, opts: LessonOptions = {}): LessonPlan {
  const ns = opts.netns ?? { a: 'net_test1', b: 'net_test2' };
  const names = opts.veth ?? { a: 'veth0', b: 'veth1' };
  requireTools(opts.capabilities, ['ip']);
  validateNetnsName(ns.a);
  validateNetnsName(ns.b);
  if (ns.a === ns.b) {
    throw new WorkflowError('netns-exists', `Both namespaces are named ${shown(ns.a)}; the lesson needs two.`);
  }
  for (const n of [ns.a, ns.b]) {
    if (snapshot.netns.some((x) => x.name === n)) {
      throw new WorkflowError('netns-exists', `A network namespace named ${shown(n)} already exists; delete it (or Undo Last Workflow) first.`);
    }
  }
  const host = toEndpoint({ kind: 'host' }, snapshot);
  validateInterfaceName(names.a);
  validateInterfaceName(names.b);
  if (names.a === names.b) {
    throw new WorkflowError('interface-name-taken', `Both ends are named ${shown(names.a)}; a veth pair needs two names.`);
  }
  requireFreeInterfaceName(snapshot, host.nsInode, names.a, 'host');
  requireFreeInterfaceName(snapshot, host.nsInode, names.b, 'host');
  const range = validateSubnet(opts.range ?? DEFAULT_RANGE);
  const prefixLen = range.address.kind() === 'ipv4' ? Math.max(24, range.prefixLen) : Math.max(64, range.prefixLen);
  const subnet = findFreeSubnet(range, prefixLen, snapshotAddresses(snapshot, nsLabeler(snapshot)));
  const [addrA, addrB] = hostAddresses(subnet);
  // Namespaces that do not exist yet: nothing is inside them, and they are reached by name and path.
  const epA: Endpoint = { kind: 'netns', label: `netns:${ns.a}`, nsInode: 0, name: ns.a, path: `/run/netns/${ns.a}` };
  const epB: Endpoint = { kind: 'netns', label: `netns:${ns.b}`, nsInode: 0, name: ns.b, path: `/run/netns/${ns.b}` };
  const create = (name: string): Step => ({
    description: `Create network namespace ${name}`,
    argv: ['ip', 'netns', 'add', name],
    inverse: ['ip', 'netns', 'del', name],
    needsRoot: true,
  });
  const steps: Step[] = [
    create(ns.a),
    create(ns.b),
    addVethStep(names.a, names.b),
    moveStep(names.a, host, epA),
    moveStep(names.b, host, epB),
    addressStep(epA, names.a, addrA),
    addressStep(epB, names.b, addrB),
    linkStep(epA, names.a, 'up'),
    linkStep(epB, names.b, 'up'),
  ];
  const focus: StepFocus[] = [
    { netns: ns.a },
    { netns: ns.b },
    { netns: 'host', iface: names.a },
    { netns: ns.a, iface: names.a },
    { netns: ns.b, iface: names.b },
    { netns: ns.a, iface: names.a },
    { netns: ns.b, iface: names.b },
    { netns: ns.a, iface: names.a },
    { netns: ns.b, iface: names.b },
  ];
  return {
    title: `Connect ${ns.a} ↔ ${ns.b} with ${names.a} ↔ ${names.b} over ${cidrString(subnet)}`,
    steps,
    notes: [`The lesson's example is ${LESSON_EXAMPLE_SUBNET} (10.1.1.1 and 10.1.1.2); this host takes ${cidrString(subnet)} from ${cidrString(range)} (nsExplorer.workflows.subnetRange).`],
    netns: ns,
    names,
    subnet: cidrString(subnet),
    addresses: { a: cidrString(addrA), b: cidrString(addrB) },
    focus,
    pingTarget: addrB.address.toString(),
  };
}
