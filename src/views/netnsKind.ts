/**
 * How the Hosts tree classifies a network namespace: the host's own, a named one (/run/netns), a
 * container's, or another. Kept free of vscode so the unit tests can check it; the tree uses the kind
 * for the Networks group's order, the icon and the contextValue flag.
 */
import type { SnapshotIndex } from '../model/snapshotIndex';

/** Every kind, in the order the Networks group lists them. */
export const NETNS_KINDS = ['hostns', 'named', 'container', 'other'] as const;

export type NetnsKind = (typeof NETNS_KINDS)[number];

/** The first that applies: the host's initial netns, a named netns, a container's, else other. */
export function netnsKind(index: SnapshotIndex, inode: number): NetnsKind {
  if (index.isInitial('net', inode)) return 'hostns';
  if (index.snapshot.netns.some((n) => n.inode === inode)) return 'named';
  if (index.snapshot.containers.some((c) => c.ns.net === inode)) return 'container';
  return 'other';
}
