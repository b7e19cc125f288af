/**
 * The tree's nodes as plain data with parent links (for reveal), and the one place contextValues are
 * built. Menus in package.json match these with regular expressions (`viewItem =~ /^nsx\.container\b/`).
 */
import { ContainerEngine, NsType } from '../model/snapshot';

interface Base {
  hostId: string;
  id: string;
  parent?: Node;
}

export type Node =
  | (Base & { kind: 'host' })
  | (Base & { kind: 'message'; text: string; description?: string; detail?: string; icon: string; command?: { command: string; title: string; arguments?: unknown[] } })
  | (Base & { kind: 'group'; group: 'containers' | 'networks' | 'namespaces' | 'warnings' })
  | (Base & { kind: 'engine'; engine: ContainerEngine })
  | (Base & { kind: 'pod'; engine: ContainerEngine; pod: string })
  /** Found again by `engine:id` (containerRef), never by name. */
  | (Base & { kind: 'container'; engine: ContainerEngine; containerId: string })
  | (Base & { kind: 'nsType'; type: NsType })
  | (Base & { kind: 'namespace'; type: NsType; inode: number })
  | (Base & { kind: 'netns'; inode: number })
  | (Base & { kind: 'interface'; ns: number; ifindex: number })
  | (Base & { kind: 'process'; pid: number });

export type NodeKind = Node['kind'];

/** Facts a contextValue is built from; each flag is a `+segment`. */
export interface ContextFacts {
  kind: 'host' | 'container' | 'namespace' | 'netns' | 'interface' | 'process';
  flags: string[];
}

export function contextValue(facts: ContextFacts): string {
  return ['nsx.' + facts.kind, ...facts.flags.map((f) => `+${f}`)].join('');
}
