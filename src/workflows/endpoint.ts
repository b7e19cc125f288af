/**
 * Endpoints of a link: the host, a named network namespace, or a running container. Parsed from the
 * text a user gives (`host`, `netns:NAME`, `container:REF`, REF a name, an id, an id prefix or
 * `engine:id`) and resolved against a Snapshot to the network namespace they stand for and the argv
 * prefix that runs `ip` inside it.
 */

import { PidIdentity, withIdentityCheck } from '../host/commandLine';
import type { ContainerInfo, Snapshot } from '../model/snapshot';
import { ContainerRefError, containerRef, resolveContainer } from '../model/snapshotIndex';
import { shown, validateNetnsName, WorkflowError } from './validate';

export type EndpointSpec =
  | { kind: 'host' }
  | { kind: 'netns'; name: string }
  /** `ref` as resolveContainer takes it; the tree and pickers give `engine:id`. */
  | { kind: 'container'; ref: string };

export type Endpoint =
  | { kind: 'host'; label: string; nsInode: number }
  | { kind: 'netns'; label: string; nsInode: number; name: string; path: string }
  | {
      kind: 'container';
      label: string;
      nsInode: number;
      name: string;
      /** `engine:id`. */
      ref: string;
      pid: number;
      /** The init's start time (clock ticks since boot), when the snapshot has it. */
      start?: number;
    };

const CONTAINER_REF_RE = /^(?:(?:docker|podman|containerd|cri|nspawn|lxc):)?[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export function parseEndpoint(text: string): EndpointSpec {
  if (text === 'host') {
    return { kind: 'host' };
  }
  const colon = text.indexOf(':');
  const kind = colon < 0 ? '' : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (kind === 'netns') {
    return { kind: 'netns', name: validateNetnsName(rest) };
  }
  if (kind === 'container') {
    if (!CONTAINER_REF_RE.test(rest)) {
      throw new WorkflowError('bad-endpoint', `${shown(rest)} is not a container name, id or ENGINE:ID.`);
    }
    return { kind: 'container', ref: rest };
  }
  throw new WorkflowError(
    'bad-endpoint',
    `${shown(text)} is not an endpoint; write host, netns:NAME or container:NAME (or container:ENGINE:ID).`,
  );
}

export function endpointText(spec: EndpointSpec): string {
  return spec.kind === 'host' ? 'host' : spec.kind === 'netns' ? `netns:${spec.name}` : `container:${spec.ref}`;
}

export function hostNetInode(snapshot: Snapshot): number {
  const initial = snapshot.namespaces.find((n) => n.type === 'net' && n.initial);
  if (!initial) {
    throw new WorkflowError('unknown-endpoint', "The snapshot does not show the host's network namespace; refresh and try again.");
  }
  return initial.inode;
}

function findContainer(snapshot: Snapshot, ref: string): ContainerInfo {
  try {
    return resolveContainer(snapshot, ref);
  } catch (e) {
    if (e instanceof ContainerRefError) throw new WorkflowError('unknown-endpoint', e.message);
    throw e;
  }
}

/** `container:NAME`, with the engine and short id when another container has the same name. */
function containerLabel(snapshot: Snapshot, c: ContainerInfo): string {
  const twins = snapshot.containers.filter((o) => o.name === c.name).length > 1;
  return twins ? `container:${c.name} (${c.engine}:${c.id.slice(0, 12)})` : `container:${c.name}`;
}

export function resolveEndpoint(spec: EndpointSpec, snapshot: Snapshot): Endpoint {
  switch (spec.kind) {
    case 'host':
      return { kind: 'host', label: 'host', nsInode: hostNetInode(snapshot) };
    case 'netns': {
      const ns = snapshot.netns.find((n) => n.name === spec.name);
      if (!ns) {
        throw new WorkflowError('unknown-endpoint', `There is no network namespace named ${shown(spec.name)}; create it first.`);
      }
      return { kind: 'netns', label: `netns:${spec.name}`, nsInode: ns.inode, name: spec.name, path: `/run/netns/${spec.name}` };
    }
    case 'container': {
      const c = findContainer(snapshot, spec.ref);
      const running = c.state === 'running' && c.pid !== undefined && c.pid > 0;
      if (!running) {
        throw new WorkflowError(
          'container-not-running',
          `Container ${shown(c.name)} is ${c.state}; start it first, since only a running container has a network namespace.`,
        );
      }
      if (c.sandboxed) {
        throw new WorkflowError('bad-endpoint', `Container ${shown(c.name)} runs in a VM sandbox; its network is not reachable from the host.`);
      }
      const inode = c.ns.net;
      if (inode === undefined) {
        throw new WorkflowError('unknown-endpoint', `The network namespace of container ${shown(c.name)} is not visible; refresh with root.`);
      }
      const pid = c.pid as number;
      const start = snapshot.processes.find((p) => p.pid === pid)?.start;
      return {
        kind: 'container',
        label: containerLabel(snapshot, c),
        nsInode: inode,
        name: c.name,
        ref: containerRef(c),
        pid,
        ...(start !== undefined ? { start } : {}),
      };
    }
  }
}

/** argv prefix that runs `ip` inside the endpoint's network namespace. */
export function ipIn(ep: Endpoint): string[] {
  switch (ep.kind) {
    case 'host':
      return ['ip'];
    case 'netns':
      return ['ip', 'netns', 'exec', ep.name, 'ip'];
    case 'container':
      return ['nsenter', '-t', String(ep.pid), '-n', 'ip'];
  }
}

/** argv prefix that runs any program inside the endpoint's network namespace. */
export function runIn(ep: Endpoint, program: readonly string[]): string[] {
  switch (ep.kind) {
    case 'host':
      return [...program];
    case 'netns':
      return ['ip', 'netns', 'exec', ep.name, ...program];
    case 'container':
      return ['nsenter', '-t', String(ep.pid), '-n', ...program];
  }
}

/**
 * The `netns` argument of `ip link set dev X netns ...`. Named netns go by path (a value with '/' is
 * opened as a path by iproute2). The host and containers go by PID, which the kernel resolves itself:
 * opening /proc/PID/ns/net can be refused (ptrace rules) where moving by PID is not.
 */
export function netnsTarget(ep: Endpoint): string {
  switch (ep.kind) {
    case 'host':
      return '1';
    case 'netns':
      return ep.path;
    case 'container':
      return String(ep.pid);
  }
}

/**
 * What an argv that names the endpoint's PID must re-check on the host: that the PID still is the
 * container's init whose network namespace the plan was made for. Named netns are reached by path and
 * need none. Nor does the host's PID 1: no other process can take it while the host runs (when it
 * exits, its whole PID namespace goes), and its namespace links may be closed to root by ptrace rules
 * (a PID 1 with more capabilities than the caller), where moving an interface to PID 1 is not.
 */
export function endpointIdentity(ep: Endpoint): PidIdentity | undefined {
  switch (ep.kind) {
    case 'host':
    case 'netns':
      return undefined;
    case 'container':
      return ep.start === undefined ? { pid: ep.pid, ns: { net: ep.nsInode } } : { pid: ep.pid, start: ep.start, ns: { net: ep.nsInode } };
  }
}

/**
 * argv, re-checking first every container PID it names: that of `runsIn` (ipIn and runIn name it for
 * nsenter -t) and that of `target` (netnsTarget names it for ip's netns argument).
 */
export function boundToIdentity(argv: readonly string[], runsIn?: Endpoint, target?: Endpoint): string[] {
  const checks = [runsIn?.kind === 'container' ? endpointIdentity(runsIn) : undefined, target ? endpointIdentity(target) : undefined].filter(
    (c): c is PidIdentity => c !== undefined,
  );
  return checks.length > 0 ? withIdentityCheck(checks, argv) : [...argv];
}

/** ip(8) tries /run/netns/VALUE before reading VALUE as a PID, so a netns named like the PID would win. */
export function requireUnambiguousTargets(snapshot: Snapshot, eps: readonly Endpoint[]): void {
  for (const ep of eps) {
    if (ep.kind === 'netns') continue;
    const target = netnsTarget(ep);
    if (snapshot.netns.some((n) => n.name === target)) {
      throw new WorkflowError(
        'bad-endpoint',
        `A network namespace is named "${target}", so ip would read PID ${target} of ${ep.label} as that namespace; rename it first.`,
      );
    }
  }
}

/** A label for a namespace inode, for messages about what lives where. */
export function nsLabeler(snapshot: Snapshot): (inode: number) => string {
  return (inode) => {
    const ns = snapshot.netns.find((n) => n.inode === inode);
    if (ns) return `netns:${ns.name}`;
    const c = snapshot.containers.find((x) => x.ns.net === inode);
    if (c) return `container:${c.name}`;
    const initial = snapshot.namespaces.find((n) => n.type === 'net' && n.initial);
    if (initial?.inode === inode) return 'host';
    return `net:[${inode}]`;
  };
}
