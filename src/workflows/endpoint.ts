/**
 * Endpoints of a link: the host, a named network namespace, or a running container. Parsed from the
 * text a user gives (`host`, `netns:NAME`, `container:NAME`) and resolved against a Snapshot to the
 * network namespace they stand for and the argv prefix that runs `ip` inside it.
 */

import type { ContainerInfo, Snapshot } from '../model/snapshot';
import { shown, validateNetnsName, WorkflowError } from './validate';

export type EndpointSpec =
  | { kind: 'host' }
  | { kind: 'netns'; name: string }
  | { kind: 'container'; name: string };

export type Endpoint =
  | { kind: 'host'; label: string; nsInode: number }
  | { kind: 'netns'; label: string; nsInode: number; name: string; path: string }
  | { kind: 'container'; label: string; nsInode: number; name: string; pid: number };

const CONTAINER_REF_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

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
      throw new WorkflowError('bad-endpoint', `${shown(rest)} is not a container name or id.`);
    }
    return { kind: 'container', name: rest };
  }
  throw new WorkflowError(
    'bad-endpoint',
    `${shown(text)} is not an endpoint; write host, netns:NAME or container:NAME.`,
  );
}

export function endpointText(spec: EndpointSpec): string {
  return spec.kind === 'host' ? 'host' : `${spec.kind}:${spec.name}`;
}

export function hostNetInode(snapshot: Snapshot): number {
  const initial = snapshot.namespaces.find((n) => n.type === 'net' && n.initial);
  if (!initial) {
    throw new WorkflowError('unknown-endpoint', "The snapshot does not show the host's network namespace; refresh and try again.");
  }
  return initial.inode;
}

function findContainer(snapshot: Snapshot, ref: string): ContainerInfo {
  const byName = snapshot.containers.filter((c) => c.name === ref);
  const matches = byName.length > 0 ? byName : snapshot.containers.filter((c) => c.id === ref || (ref.length >= 6 && c.id.startsWith(ref)));
  if (matches.length === 0) {
    throw new WorkflowError('unknown-endpoint', `No container named ${shown(ref)} is on this host.`);
  }
  if (matches.length > 1) {
    const list = matches.map((c) => `${c.engine}:${c.id.slice(0, 12)}`).join(', ');
    throw new WorkflowError('unknown-endpoint', `${shown(ref)} matches several containers (${list}); give a longer id.`);
  }
  return matches[0];
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
      const c = findContainer(snapshot, spec.name);
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
      return { kind: 'container', label: `container:${c.name}`, nsInode: inode, name: c.name, pid: c.pid as number };
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
