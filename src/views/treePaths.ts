/**
 * The tree nodes (with their parents) that stand for a network namespace, an interface or a container,
 * built the way HostsTreeProvider builds them, so `view.reveal` can find them from a panel.
 */
import type { ContainerInfo } from '../model/snapshot';
import type { Node } from './treeNodes';

export function netnsNode(hostId: string, inode: number): Node & { kind: 'netns' } {
  const host: Node = { kind: 'host', hostId, id: hostId };
  const group: Node = { kind: 'group', group: 'networks', hostId, id: `${hostId}/networks`, parent: host };
  return { kind: 'netns', hostId, id: `${group.id}/${inode}`, inode, parent: group };
}

export function interfaceNode(hostId: string, ns: number, ifindex: number): Node & { kind: 'interface' } {
  const parent = netnsNode(hostId, ns);
  return { kind: 'interface', hostId, id: `${parent.id}/if/${ifindex}`, ns, ifindex, parent };
}

export function containerNode(hostId: string, c: Pick<ContainerInfo, 'engine' | 'id' | 'pod'>): Node & { kind: 'container' } {
  const host: Node = { kind: 'host', hostId, id: hostId };
  const group: Node = { kind: 'group', group: 'containers', hostId, id: `${hostId}/containers`, parent: host };
  const engine: Node = { kind: 'engine', hostId, id: `${group.id}/${c.engine}`, engine: c.engine, parent: group };
  const parent: Node = c.pod ? { kind: 'pod', hostId, id: `${engine.id}/pod/${c.pod.name}`, engine: c.engine, pod: c.pod.name, parent: engine } : engine;
  return { kind: 'container', hostId, id: `${hostId}/containers/${c.engine}/${c.id}`, engine: c.engine, containerId: c.id, parent };
}
