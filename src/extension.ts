/** activate(): builds the object graph and registers everything; nothing else happens here. */
import * as vscode from 'vscode';
import { localAvailable } from './host/localConnection';
import { setLogSink } from './host/log';
import { Snapshot } from './model/snapshot';
import { PidMapPanels, registerPidMapPanel } from './panels/pidMapPanel';
import { CommandDeps, connectAndLoad, registerHostCommands } from './commands/hostCommands';
import { registerWorkflowCommands } from './commands/workflowCommands';
import { CaptureCommands, registerCaptureCommands } from './commands/captureCommands';
import { registerWalkthroughCommands } from './commands/walkthroughCommands';
import { registerInsightCommands } from './commands/insightCommands';
import { IsolationPanels, registerIsolationPanel } from './panels/isolationPanel';
import { registerTopologyPanel, TopologyPanels } from './panels/topologyPanel';
import { containerNode, interfaceNode, netnsNode } from './views/treePaths';
import { HostSession, HostSessions } from './views/hostSessions';
import { HostsTreeProvider } from './views/hostsTree';
import { Node } from './views/treeNodes';
import { publishWindowHost, windowHostState } from './views/windowHost';

/** What activate() returns: used by the integration tests, and by anyone scripting the extension. */
export interface NsExplorerApi {
  hostsView: vscode.TreeView<Node>;
  tree: HostsTreeProvider;
  sessions: HostSessions;
  connect(spec: string): Promise<HostSession | undefined>;
  pidMaps: PidMapPanels;
  /** The hosts as the next window builds them from global state (for tests of restore after a reload). */
  sessionsFromState(): HostSessions;
  captures: CaptureCommands;
  topology: TopologyPanels;
  isolation: IsolationPanels;
}

export function activate(context: vscode.ExtensionContext): NsExplorerApi {
  const log = vscode.window.createOutputChannel('Namespace Explorer', { log: true });
  context.subscriptions.push(log);
  setLogSink({
    log: (level, line) => {
      switch (level) {
        case 'trace': log.trace(line); break;
        case 'debug': log.debug(line); break;
        case 'info': log.info(line); break;
        case 'warn': log.warn(line); break;
        case 'error': log.error(line); break;
      }
    },
  });
  void vscode.commands.executeCommand('setContext', 'nsExplorer.localAvailable', localAvailable());

  const sessions = new HostSessions(context.secrets, context.globalState);
  const tree = new HostsTreeProvider(sessions);
  const view = vscode.window.createTreeView('nsExplorer.hosts', { treeDataProvider: tree, showCollapseAll: true, canSelectMany: false });
  context.subscriptions.push(sessions, tree, view);
  tree.setFilter({});

  const pidMapsRef: { panels?: PidMapPanels } = {};
  const windowHost = windowHostState(context);
  publishWindowHost(windowHost);
  const deps: CommandDeps = { context, sessions, tree, view, log, pidMaps: () => pidMapsRef.panels!, windowHost };
  const pidMaps = registerPidMapPanel(context, {
    extensionUri: context.extensionUri,
    getSnapshot: (hostId): Snapshot | undefined => sessions.get(hostId)?.snapshot,
    onSnapshot: (listener) => sessions.onSnapshot(listener),
    hostLabel: (hostId) => sessions.get(hostId)?.label ?? hostId,
    enterNamespace: (hostId, pid) =>
      vscode.commands.executeCommand('nsExplorer.enterNamespace', { kind: 'process', hostId, id: `${hostId}/pidmap/${pid}`, pid } satisfies Node),
    revealInSidebar: async (hostId, pid) => {
      const s = sessions.get(hostId);
      const p = s?.index?.byPid.get(pid);
      if (!s || !p?.ns.pid) return;
      const host: Node = { kind: 'host', hostId, id: hostId };
      const group: Node = { kind: 'group', group: 'namespaces', hostId, id: `${hostId}/namespaces`, parent: host };
      const type: Node = { kind: 'nsType', type: 'pid', hostId, id: `${group.id}/pid`, parent: group };
      const ns: Node = { kind: 'namespace', type: 'pid', inode: p.ns.pid, hostId, id: `${type.id}/${p.ns.pid}`, parent: type };
      const proc: Node = { kind: 'process', pid, hostId, id: `${ns.id}/p/${pid}`, parent: ns };
      await view.reveal(proc, { select: true, focus: true, expand: true });
    },
  });

  const topology = registerTopologyPanel(context, {
    extensionUri: context.extensionUri,
    getSnapshot: (hostId) => sessions.get(hostId)?.snapshot,
    onSnapshot: (listener) => sessions.onSnapshot(listener),
    hostLabel: (hostId) => sessions.get(hostId)?.label ?? hostId,
    revealNetns: async (hostId, inode, ifname) => {
      const i = ifname ? sessions.get(hostId)?.index?.interfacesIn(inode).find((x) => x.name === ifname) : undefined;
      await view.reveal(i ? interfaceNode(hostId, inode, i.ifindex) : netnsNode(hostId, inode), { select: true, focus: true, expand: true });
    },
    enterNetns: (hostId, inode) => vscode.commands.executeCommand('nsExplorer.enterNamespace', netnsNode(hostId, inode)),
    pingFromNetns: (hostId, inode) => vscode.commands.executeCommand('nsExplorer.pingFromNamespace', netnsNode(hostId, inode)),
    captureNetns: (hostId, inode, ifname) => vscode.commands.executeCommand('nsExplorer.capturePackets', netnsNode(hostId, inode), ifname ? { iface: ifname } : undefined),
  });
  const isolation = registerIsolationPanel(context, {
    extensionUri: context.extensionUri,
    getSnapshot: (hostId) => sessions.get(hostId)?.snapshot,
    onSnapshot: (listener) => sessions.onSnapshot(listener),
    hostLabel: (hostId) => sessions.get(hostId)?.label ?? hostId,
    revealContainer: async (hostId, ref) => {
      const c = sessions.get(hostId)?.snapshot?.containers.find((x) => `${x.engine}:${x.id}` === ref);
      if (c) await view.reveal(containerNode(hostId, c), { select: true, focus: true, expand: true });
    },
  });

  pidMapsRef.panels = pidMaps;
  context.subscriptions.push(...registerInsightCommands({ sessions, topology, isolation }));
  context.subscriptions.push(...registerHostCommands(deps), ...registerWorkflowCommands(deps));
  const captures = registerCaptureCommands(deps);
  context.subscriptions.push(...captures.disposables, ...registerWalkthroughCommands(deps));
  sessions.configureAutoRefresh();
  void sessions.restore();
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('nsExplorer.autoRefreshSeconds')) sessions.configureAutoRefresh();
    }),
  );
  return {
    hostsView: view,
    tree,
    sessions,
    connect: (spec) => connectAndLoad(deps, spec),
    pidMaps,
    captures,
    topology,
    isolation,
    sessionsFromState: () => new HostSessions(context.secrets, context.globalState),
  };
}

export function deactivate(): void {
  setLogSink({ log: () => undefined });
}
