/**
 * Show Network Topology and Show Isolation Report: each takes a tree node (a host, a container) and falls
 * back to a host picker from the palette; the panels do the rest.
 */
import * as vscode from 'vscode';
import { containerRef } from '../model/snapshotIndex';
import type { IsolationPanels } from '../panels/isolationPanel';
import type { TopologyPanels } from '../panels/topologyPanel';
import type { HostSessions } from '../views/hostSessions';
import type { Node } from '../views/treeNodes';
import { ensureSnapshot, pickSession } from './pickers';

export interface InsightCommandDeps {
  sessions: HostSessions;
  topology: TopologyPanels;
  isolation: IsolationPanels;
}

export function registerInsightCommands(deps: InsightCommandDeps): vscode.Disposable[] {
  const sessionFor = async (node: Node | undefined, purpose: string) => {
    const s = (node && deps.sessions.get(node.hostId)) || (await pickSession(deps.sessions, purpose));
    return s && (await ensureSnapshot(s)) ? s : undefined;
  };
  return [
    vscode.commands.registerCommand('nsExplorer.showTopology', async (node?: Node) => {
      const s = await sessionFor(node, vscode.l10n.t('Show Network Topology'));
      return s ? deps.topology.show(s.id) : undefined;
    }),
    vscode.commands.registerCommand('nsExplorer.showIsolationReport', async (node?: Node) => {
      const s = await sessionFor(node, vscode.l10n.t('Show Isolation Report'));
      if (!s) return undefined;
      const refs = node?.kind === 'container' ? [containerRef({ engine: node.engine, id: node.containerId })] : undefined;
      return deps.isolation.show(s.id, refs);
    }),
  ];
}
