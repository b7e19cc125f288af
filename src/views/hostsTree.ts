/**
 * The "Hosts" tree: per host, its Containers (by engine and pod), Networks (netns with interfaces and
 * veth peers) and Namespaces (by type), each down to processes. Children are computed lazily from the
 * host's SnapshotIndex; ids are stable so expansion survives refreshes.
 */
import * as vscode from 'vscode';
import { DiscoverStage } from '../discovery/discover';
import { displayCodeBlock, displayMarkdown as mdText, displayText } from '../model/displayText';
import { ContainerEngine, ContainerInfo, InterfaceInfo, NS_TYPES, NsType, ProcessInfo } from '../model/snapshot';
import { containerByRef } from '../model/queries';
import { containerRef, SnapshotIndex } from '../model/snapshotIndex';
import { localAvailable, LOCAL_HOST_LABEL } from '../host/localConnection';
import { describeConcreteHosts, loadSshConfig } from '../host/sshConfig';
import { HostSession, HostSessions, isLocal } from './hostSessions';
import { NETNS_KINDS, netnsKind } from './netnsKind';
import { contextValue, Node } from './treeNodes';

export interface TreeFilter {
  text: string;
  hideHostNamespaces: boolean;
  hideKernelThreads: boolean;
}

const ENGINE_ICON: Record<ContainerEngine, string> = {
  docker: 'package',
  podman: 'symbol-method',
  containerd: 'server-process',
  cri: 'cloud',
  nspawn: 'vm',
  lxc: 'server',
};

const ENGINE_LABEL: Record<ContainerEngine, string> = {
  docker: 'Docker',
  podman: 'Podman',
  containerd: 'containerd',
  cri: 'Kubernetes (CRI)',
  nspawn: 'systemd-nspawn',
  lxc: 'LXC',
};

const NS_DESCRIPTION: Record<NsType, string> = {
  net: 'network: interfaces, addresses, routes, firewall',
  pid: 'process ids',
  mnt: 'mount points',
  uts: 'hostname and domain name',
  ipc: 'System V IPC and POSIX message queues',
  user: 'user and group ids',
  cgroup: 'cgroup root directory',
  time: 'boot and monotonic clocks',
};

const MAX_PROCESS_CHILDREN = 2000;

function running(c: ContainerInfo): boolean {
  return c.pid !== undefined && c.pid > 0;
}

function fmtTime(ms: number): string {
  return new Date(ms).toLocaleTimeString();
}

export class HostsTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  filter: TreeFilter = { text: '', hideHostNamespaces: false, hideKernelThreads: true };
  private readonly sub: vscode.Disposable;
  private aliasNodes: Node[] = [];
  private aliasesLoading: Promise<void> | undefined;

  constructor(private readonly sessions: HostSessions) {
    const subs = [
      sessions.onDidChange(() => this.changed.fire(undefined)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('nsExplorer.sshConfigFile')) {
          this.loadAliases();
        }
      }),
    ];
    this.sub = vscode.Disposable.from(...subs);
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  /**
   * With no host open, the tree lists the aliases of the user's ssh config (as Remote-SSH lists its
   * targets), each connecting on click; with none, the welcome view shows. Read again each time the tree
   * is empty and shown, so a change to the config or nsExplorer.sshConfigFile appears.
   */
  private loadAliases(): void {
    if (this.aliasesLoading) {
      return;
    }
    const configPath = vscode.workspace.getConfiguration('nsExplorer').get<string>('sshConfigFile') || undefined;
    this.aliasesLoading = loadSshConfig(configPath ? { configPath } : {})
      .then((config) => describeConcreteHosts(config))
      .catch(() => [])
      .then((aliases) => {
        const nodes: Node[] = aliases.map((a) => ({
          kind: 'message',
          hostId: '',
          id: `ssh-alias:${a.alias}`,
          text: a.alias,
          description: a.where,
          detail: `${a.alias}: ${a.where}\nFrom ${a.file} line ${a.line}. Click to connect.`,
          icon: 'remote',
          command: { command: 'nsExplorer.connectHost', title: 'Connect', arguments: [a.alias] },
        }));
        if (nodes.length > 0) {
          nodes.push({
            kind: 'message', hostId: '', id: 'ssh-alias:+other', text: 'Connect to Another Host…', icon: 'add',
            command: { command: 'nsExplorer.connectHost', title: 'Connect to Host…' },
          });
          if (localAvailable()) {
            nodes.push({
              kind: 'message', hostId: '', id: 'ssh-alias:+local', text: LOCAL_HOST_LABEL, icon: 'device-desktop',
              description: 'the machine VS Code runs on',
              command: { command: 'nsExplorer.connectLocal', title: LOCAL_HOST_LABEL },
            });
          }
        }
        const changed = JSON.stringify(nodes) !== JSON.stringify(this.aliasNodes);
        this.aliasNodes = nodes;
        if (changed && this.sessions.list().length === 0) {
          this.changed.fire(undefined);
        }
      })
      .finally(() => {
        this.aliasesLoading = undefined;
      });
  }

  setFilter(next: Partial<TreeFilter>): void {
    this.filter = { ...this.filter, ...next };
    void vscode.commands.executeCommand('setContext', 'nsExplorer.filtered', this.filter.text !== '');
    void vscode.commands.executeCommand('setContext', 'nsExplorer.hideHostNamespaces', this.filter.hideHostNamespaces);
    void vscode.commands.executeCommand('setContext', 'nsExplorer.hideKernelThreads', this.filter.hideKernelThreads);
    this.changed.fire(undefined);
  }

  getParent(node: Node): Node | undefined {
    return node.parent;
  }

  // ---- children ------------------------------------------------------------------------------

  getChildren(node?: Node): Node[] {
    if (!node) {
      const hosts = this.sessions.list();
      if (hosts.length === 0) {
        this.loadAliases();
        return this.aliasNodes;
      }
      return hosts.map((s) => ({ kind: 'host', hostId: s.id, id: s.id }));
    }
    const session = this.sessions.get(node.hostId);
    if (!session) {
      return [];
    }
    if (node.kind === 'host') {
      return this.hostChildren(session, node);
    }
    const index = session.index;
    if (!index) {
      return [];
    }
    switch (node.kind) {
      case 'group':
        return this.groupChildren(index, node, session);
      case 'engine':
        return this.engineChildren(index, node);
      case 'pod':
        return this.containersOf(index, node, node.engine, node.pod);
      case 'container':
        return this.containerChildren(index, node);
      case 'nsType':
        return index
          .namespacesOfType(node.type)
          .filter((n) => !(this.filter.hideHostNamespaces && n.initial))
          .filter((n) => this.matchNamespace(index, n.type, n.inode))
          .sort((a, b) => Number(b.initial) - Number(a.initial) || b.pids.length - a.pids.length)
          .map((n) => ({ kind: 'namespace', hostId: node.hostId, id: `${node.id}/${n.inode}`, type: n.type, inode: n.inode, parent: node }));
      case 'namespace':
        return this.processNodes(index, node, index.processesIn(node.type, node.inode));
      case 'netns':
        return [
          ...index.interfacesIn(node.inode).map(
            (i): Node => ({ kind: 'interface', hostId: node.hostId, id: `${node.id}/if/${i.ifindex}`, ns: i.ns, ifindex: i.ifindex, parent: node }),
          ),
          ...this.processNodes(index, node, index.processesIn('net', node.inode)),
        ];
      default:
        return [];
    }
  }

  private hostChildren(session: HostSession, node: Node): Node[] {
    const out: Node[] = [];
    const msg = (id: string, text: string, icon: string, command?: { command: string; title: string; arguments?: unknown[] }, detail?: string): Node => ({
      kind: 'message', hostId: node.hostId, id: `${node.id}/msg/${id}`, text, icon, command, detail, parent: node,
    });
    if (session.error) {
      out.push(msg('error', session.error, 'error', undefined, session.error));
      out.push(msg('retry', vscode.l10n.t('Retry'), 'debug-restart', { command: 'nsExplorer.retryHost', title: vscode.l10n.t('Retry'), arguments: [node] }));
      out.push(msg('log', vscode.l10n.t('Show Log'), 'output', { command: 'nsExplorer.showLog', title: vscode.l10n.t('Show Log') }));
    }
    if (session.info?.privilege === 'limited') {
      out.push(msg('limited', vscode.l10n.t('Limited view: not root and no sudo; some namespaces and details are hidden'), 'lock'));
    }
    const snap = session.snapshot;
    if (snap && session.restored && !session.loading && session.state.kind !== 'connected') {
      out.push(
        msg('restored', vscode.l10n.t('Snapshot of {0}, from before the window was reloaded: click to reconnect', fmtTime(snap.host.takenAt)), 'history', {
          command: 'nsExplorer.refreshHost',
          title: vscode.l10n.t('Reconnect'),
          arguments: [node],
        }),
      );
    }
    if (!snap) {
      if (!session.error) {
        out.push(
          session.loading
            ? msg('loading', vscode.l10n.t('Reading the host…'), 'loading~spin')
            : msg('connect', vscode.l10n.t('Not connected: click to connect and read the host'), 'plug', { command: 'nsExplorer.refreshHost', title: vscode.l10n.t('Connect'), arguments: [node] }),
        );
      }
      return out;
    }
    if (snap.host.warnings.length > 0) {
      out.push({ kind: 'group', group: 'warnings', hostId: node.hostId, id: `${node.id}/warnings`, parent: node });
    }
    out.push({ kind: 'group', group: 'containers', hostId: node.hostId, id: `${node.id}/containers`, parent: node });
    out.push({ kind: 'group', group: 'networks', hostId: node.hostId, id: `${node.id}/networks`, parent: node });
    out.push({ kind: 'group', group: 'namespaces', hostId: node.hostId, id: `${node.id}/namespaces`, parent: node });
    return out;
  }

  private groupChildren(index: SnapshotIndex, node: Node & { kind: 'group' }, session: HostSession): Node[] {
    switch (node.group) {
      case 'warnings':
        return (session.snapshot?.host.warnings ?? []).map((w, i) => ({
          kind: 'message', hostId: node.hostId, id: `${node.id}/${i}`, text: w, icon: 'warning', parent: node,
        }));
      case 'containers': {
        const engines = [...new Set(index.snapshot.containers.map((c) => c.engine))];
        return engines
          .filter((e) => this.containersOf(index, node, e).length > 0)
          .map((engine) => ({ kind: 'engine', hostId: node.hostId, id: `${node.id}/${engine}`, engine, parent: node }));
      }
      case 'networks':
        return this.netnsInodes(index).map((inode) => ({ kind: 'netns', hostId: node.hostId, id: `${node.id}/${inode}`, inode, parent: node }));
      case 'namespaces':
        return NS_TYPES.filter((t) => index.namespacesOfType(t).length > 0).map((type) => ({
          kind: 'nsType', hostId: node.hostId, id: `${node.id}/${type}`, type, parent: node,
        }));
    }
  }

  /** Network namespaces: the host's first, then named netns, then containers', then the rest. */
  netnsInodes(index: SnapshotIndex): number[] {
    const rank = (inode: number): number => NETNS_KINDS.indexOf(netnsKind(index, inode));
    return index
      .namespacesOfType('net')
      .map((n) => n.inode)
      .filter((inode) => !(this.filter.hideHostNamespaces && index.isInitial('net', inode)))
      .filter((inode) => this.matchNetns(index, inode))
      .sort((a, b) => rank(a) - rank(b) || index.netLabel(a).localeCompare(index.netLabel(b), undefined, { numeric: true }));
  }

  private engineChildren(index: SnapshotIndex, node: Node & { kind: 'engine' }): Node[] {
    const containers = this.filteredContainers(index, node.engine);
    const pods = [...new Set(containers.filter((c) => c.pod).map((c) => c.pod!.name))];
    return [
      ...pods.map((pod): Node => ({ kind: 'pod', hostId: node.hostId, id: `${node.id}/pod/${pod}`, engine: node.engine, pod, parent: node })),
      ...this.containersOf(index, node, node.engine, undefined),
    ];
  }

  private filteredContainers(index: SnapshotIndex, engine: ContainerEngine): ContainerInfo[] {
    return index.snapshot.containers.filter((c) => c.engine === engine && this.matchContainer(index, c));
  }

  private containersOf(index: SnapshotIndex, parent: Node, engine: ContainerEngine, pod?: string): Node[] {
    return this.filteredContainers(index, engine)
      .filter((c) => (pod === undefined ? !c.pod : c.pod?.name === pod))
      .sort((a, b) => Number(running(b)) - Number(running(a)) || a.name.localeCompare(b.name, undefined, { numeric: true }))
      .map((c) => ({ kind: 'container', hostId: parent.hostId, id: `${parent.hostId}/containers/${c.engine}/${c.id}`, engine: c.engine, containerId: c.id, parent }));
  }

  private containerChildren(index: SnapshotIndex, node: Node & { kind: 'container' }): Node[] {
    const c = containerByRef(index.snapshot, containerRef({ engine: node.engine, id: node.containerId }));
    if (!c || !running(c)) {
      return [];
    }
    const nsNodes: Node[] = NS_TYPES.filter((t) => c.ns[t] !== undefined).map((type) => ({
      kind: 'namespace', hostId: node.hostId, id: `${node.id}/ns/${type}`, type, inode: c.ns[type]!, parent: node,
    }));
    return [...nsNodes, ...this.processNodes(index, node, index.containerProcesses(c))];
  }

  private processNodes(index: SnapshotIndex, parent: Node, procs: ProcessInfo[]): Node[] {
    const shown = procs
      .filter((p) => !(this.filter.hideKernelThreads && p.kernelThread))
      .filter((p) => this.matchProcess(p))
      .sort((a, b) => a.pid - b.pid)
      .slice(0, MAX_PROCESS_CHILDREN);
    return shown.map((p) => ({ kind: 'process', hostId: parent.hostId, id: `${parent.id}/p/${p.pid}`, pid: p.pid, parent }));
  }

  // ---- filter --------------------------------------------------------------------------------

  private get needle(): string {
    return this.filter.text.trim().toLowerCase();
  }

  private matchProcess(p: ProcessInfo): boolean {
    const n = this.needle;
    if (!n) return true;
    return String(p.pid) === n || p.nspid.map(String).includes(n) || p.comm.toLowerCase().includes(n) || p.cmdline.toLowerCase().includes(n);
  }

  private matchContainer(index: SnapshotIndex, c: ContainerInfo): boolean {
    const n = this.needle;
    if (!n) return true;
    return (
      c.name.toLowerCase().includes(n) ||
      c.id.toLowerCase().startsWith(n) ||
      c.image.toLowerCase().includes(n) ||
      String(c.pid ?? '') === n ||
      Object.values(c.ns).some((i) => String(i) === n) ||
      (c.pod?.name.toLowerCase().includes(n) ?? false) ||
      index.containerProcesses(c).some((p) => String(p.pid) === n)
    );
  }

  private matchNetns(index: SnapshotIndex, inode: number): boolean {
    const n = this.needle;
    if (!n) return true;
    return (
      String(inode) === n ||
      index.netLabel(inode).toLowerCase().includes(n) ||
      index.interfacesIn(inode).some((i) => i.name.toLowerCase().includes(n) || i.addresses.some((a) => a.address.startsWith(n))) ||
      index.processesIn('net', inode).some((p) => this.matchProcess(p))
    );
  }

  private matchNamespace(index: SnapshotIndex, type: NsType, inode: number): boolean {
    const n = this.needle;
    if (!n) return true;
    return String(inode) === n || index.label(type, inode).toLowerCase().includes(n) || index.processesIn(type, inode).some((p) => this.matchProcess(p));
  }

  // ---- items ---------------------------------------------------------------------------------

  getTreeItem(node: Node): vscode.TreeItem {
    const session = this.sessions.get(node.hostId);
    const item = this.buildItem(node, session);
    item.id = node.id;
    return item;
  }

  private buildItem(node: Node, session: HostSession | undefined): vscode.TreeItem {
    const C = vscode.TreeItemCollapsibleState;
    const index = session?.index;
    switch (node.kind) {
      case 'host':
        return this.hostItem(session!);
      case 'message': {
        const item = new vscode.TreeItem(displayText(node.text), C.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.tooltip = displayText(node.detail ?? node.text);
        item.description = node.description === undefined ? undefined : displayText(node.description);
        item.command = node.command;
        return item;
      }
      case 'group': {
        const labels = { containers: vscode.l10n.t('Containers'), networks: vscode.l10n.t('Networks'), namespaces: vscode.l10n.t('Namespaces'), warnings: vscode.l10n.t('Probe warnings') };
        const icons = { containers: 'package', networks: 'globe', namespaces: 'symbol-namespace', warnings: 'warning' };
        const item = new vscode.TreeItem(labels[node.group], node.group === 'warnings' ? C.Collapsed : C.Collapsed);
        item.iconPath = new vscode.ThemeIcon(icons[node.group]);
        if (index) {
          if (node.group === 'containers') {
            const all = index.snapshot.containers;
            item.description = vscode.l10n.t('{0} running, {1} in all', all.filter(running).length, all.length);
          } else if (node.group === 'networks') {
            // A first-levels snapshot (scope tree) comes before the interfaces are read.
            item.description = `${index.namespacesOfType('net').length} network namespaces${index.snapshot.host.scope === 'tree' ? ', reading interfaces…' : ''}`;
          } else if (node.group === 'namespaces') {
            item.description = `${index.snapshot.namespaces.length} namespaces`;
          } else {
            item.description = String(index.snapshot.host.warnings.length);
          }
        }
        return item;
      }
      case 'engine': {
        const list = index?.snapshot.containers.filter((c) => c.engine === node.engine) ?? [];
        const item = new vscode.TreeItem(ENGINE_LABEL[node.engine], C.Expanded);
        item.iconPath = new vscode.ThemeIcon(ENGINE_ICON[node.engine]);
        item.description = `${list.filter(running).length}/${list.length} running`;
        return item;
      }
      case 'pod': {
        const list = index?.snapshot.containers.filter((c) => c.pod?.name === node.pod) ?? [];
        const item = new vscode.TreeItem(displayText(node.pod), C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('layers');
        item.description = displayText(`pod${list[0]?.pod?.namespace ? ` in ${list[0].pod.namespace}` : ''} · ${list.length} containers`);
        return item;
      }
      case 'container':
        return this.containerItem(index!, node);
      case 'nsType': {
        const count = index?.namespacesOfType(node.type).length ?? 0;
        const item = new vscode.TreeItem(node.type, C.Collapsed);
        item.iconPath = new vscode.ThemeIcon('symbol-namespace');
        item.description = `${count}`;
        item.tooltip = `${count} ${node.type} namespaces: ${NS_DESCRIPTION[node.type]}`;
        return item;
      }
      case 'namespace':
        return this.namespaceItem(index!, node);
      case 'netns':
        return this.netnsItem(index!, node);
      case 'interface':
        return this.interfaceItem(index!, node);
      case 'process':
        return this.processItem(index!, node);
    }
  }

  private hostItem(session: HostSession): vscode.TreeItem {
    const item = new vscode.TreeItem(displayText(session.label), vscode.TreeItemCollapsibleState.Expanded);
    const state = session.state;
    const snap = session.snapshot;
    const info = session.info;
    const connected = state.kind === 'connected';
    const parts: string[] = [];
    if (session.loading) {
      parts.push(session.stage ? stageText(session.stage) : vscode.l10n.t('loading…'));
    } else if (!connected) {
      parts.push(state.kind === 'reconnecting' ? `reconnecting (attempt ${state.attempt})` : session.restored && state.kind === 'connecting' ? vscode.l10n.t('not connected') : state.kind);
      if (snap) parts.push(`snapshot of ${fmtTime(snap.host.takenAt)}`);
    }
    if (info) parts.push(`${info.user} (${info.privilege})`);
    if (snap) parts.push(snap.host.kernel);
    if (snap?.host.partial) parts.push(vscode.l10n.t('partial'));
    if (snap && snap.host.warnings.length) parts.push(`${snap.host.warnings.length} warnings`);
    item.description = displayText(parts.join(' · '));
    const color = session.error ? new vscode.ThemeColor('errorForeground') : connected ? undefined : new vscode.ThemeColor('disabledForeground');
    item.iconPath = new vscode.ThemeIcon(isLocal(session.conn) ? 'device-desktop' : connected ? 'vm-active' : 'vm-outline', color);
    // Plain markdown, no theme icons: `$(name)` in host text stays text.
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${mdText(session.label)}**\n\n`);
    md.appendMarkdown(`- state: ${state.kind}${'reason' in state ? ` (${mdText(state.reason)})` : ''}\n`);
    if (info) md.appendMarkdown(`- user: ${mdText(info.user)} (uid ${info.uid}), privilege: **${info.privilege}**\n`);
    if (snap) {
      md.appendMarkdown(`- host name: ${mdText(snap.host.hostname)}, kernel ${mdText(snap.host.kernel)}\n`);
      md.appendMarkdown(`- snapshot: ${fmtTime(snap.host.takenAt)}, probe ${snap.host.probeMs} ms\n`);
      md.appendMarkdown(`- ${snap.processes.length} processes, ${snap.namespaces.length} namespaces, ${snap.containers.length} containers\n`);
      for (const w of snap.host.warnings) md.appendMarkdown(`- ⚠ ${mdText(w)}\n`);
    }
    if (session.error) md.appendMarkdown(`\n**Error:** ${mdText(session.error)}\n`);
    item.tooltip = md;
    item.contextValue = contextValue({
      kind: 'host',
      flags: [
        connected ? 'connected' : 'disconnected',
        isLocal(session.conn) ? 'local' : 'ssh',
        info?.privilege === 'limited' ? 'limited' : 'writable',
        session.loading ? 'refreshing' : 'idle',
      ],
    });
    return item;
  }

  private containerItem(index: SnapshotIndex, node: Node & { kind: 'container' }): vscode.TreeItem {
    const c = containerByRef(index.snapshot, containerRef({ engine: node.engine, id: node.containerId }));
    if (!c) return new vscode.TreeItem('(gone)');
    const up = running(c);
    const item = new vscode.TreeItem(displayText(c.name), up ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.description = displayText([c.image, c.state, c.sandboxed ? `sandboxed (${c.runtime ?? 'VM'})` : ''].filter(Boolean).join(' · '));
    item.iconPath = new vscode.ThemeIcon(c.sandboxed ? 'shield' : 'box', up ? new vscode.ThemeColor('testing.iconPassed') : new vscode.ThemeColor('disabledForeground'));
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${mdText(c.name)}** (${ENGINE_LABEL[c.engine]}${c.engineNamespace ? `, namespace ${mdText(c.engineNamespace)}` : ''})\n\n`);
    md.appendMarkdown(`- id: ${mdText(c.id.slice(0, 12))}\n- image: ${mdText(c.image)}\n- state: ${mdText(c.state)}\n`);
    if (c.pid) md.appendMarkdown(`- init: host PID ${c.pid}\n`);
    if (c.pod) md.appendMarkdown(`- pod: ${mdText(c.pod.name)}${c.pod.namespace ? ` (${mdText(c.pod.namespace)})` : ''}\n`);
    if (c.sandboxed) md.appendMarkdown(`- runs in a VM sandbox: its processes are not visible on the host\n`);
    if (up) {
      md.appendMarkdown(`\n| namespace | inode | |\n|---|---|---|\n`);
      for (const t of NS_TYPES) {
        if (c.ns[t] !== undefined) md.appendMarkdown(`| ${t} | ${c.ns[t]} | ${mdText(this.shareText(index, c, t))} |\n`);
      }
    }
    item.tooltip = md;
    item.contextValue = contextValue({ kind: 'container', flags: [up ? 'running' : 'stopped', c.sandboxed ? 'sandboxed' : 'native'] });
    return item;
  }

  shareText(index: SnapshotIndex, c: ContainerInfo, t: NsType): string {
    if (c.sharedWithHost.includes(t)) return 'shared with host';
    const others = c.sharedWith?.[t];
    if (others && others.length) return `shared with ${others.join(', ')}`;
    const inode = c.ns[t];
    if (inode !== undefined && index.isInitial(t, inode)) return 'shared with host';
    return 'isolated';
  }

  private namespaceItem(index: SnapshotIndex, node: Node & { kind: 'namespace' }): vscode.TreeItem {
    const ns = index.namespace(node.type, node.inode);
    const procs = index.processesIn(node.type, node.inode).length;
    const underContainer = node.parent?.kind === 'container';
    const label = underContainer ? node.type : `${node.type}:[${node.inode}]`;
    const item = new vscode.TreeItem(label, procs > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    if (underContainer) {
      const parent = node.parent as Node & { kind: 'container' };
      const c = containerByRef(index.snapshot, containerRef({ engine: parent.engine, id: parent.containerId }));
      item.description = displayText(`${c ? this.shareText(index, c, node.type) : ''} · ${node.inode}`);
    } else {
      item.description = displayText(`${index.label(node.type, node.inode)} · ${procs} process${procs === 1 ? '' : 'es'}${ns?.nsfsPaths.length ? ' · ' + ns.nsfsPaths.join(', ') : ''}`);
    }
    item.iconPath = new vscode.ThemeIcon(index.isInitial(node.type, node.inode) ? 'home' : 'symbol-namespace');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${node.type}:[${node.inode}]** — ${NS_DESCRIPTION[node.type]}\n\n`);
    md.appendMarkdown(`- holders: ${mdText(ns?.holders.map((h) => `${h.name} (${h.kind})`).join(', ') || index.label(node.type, node.inode))}\n`);
    md.appendMarkdown(`- processes: ${procs}\n`);
    if (ns?.nsfsPaths.length) md.appendMarkdown(`- bind mounts: ${mdText(ns.nsfsPaths.join(', '))}\n`);
    if (ns?.parent) md.appendMarkdown(`- parent: ${ns.parent}\n`);
    if (ns?.owner) md.appendMarkdown(`- owner user namespace: ${ns.owner}\n`);
    item.tooltip = md;
    item.contextValue = contextValue({ kind: 'namespace', flags: [node.type, index.canEnter(node.type, node.inode) ? 'enterable' : 'unreachable'] });
    return item;
  }

  private netnsItem(index: SnapshotIndex, node: Node & { kind: 'netns' }): vscode.TreeItem {
    const kind = netnsKind(index, node.inode);
    const ifaces = index.interfacesIn(node.inode);
    const procs = index.processesIn('net', node.inode).length;
    const named = index.snapshot.netns.filter((n) => n.inode === node.inode).map((n) => n.name).sort();
    const containers = index.snapshot.containers.filter((c) => c.ns.net === node.inode).map((c) => c.name).sort();
    const label = kind === 'hostns' ? 'host' : [...named, ...containers].join(', ') || index.netLabel(node.inode);
    const item = new vscode.TreeItem(displayText(label), vscode.TreeItemCollapsibleState.Collapsed);
    item.description = `net:[${node.inode}] · ${ifaces.length} interface${ifaces.length === 1 ? '' : 's'} · ${procs ? `${procs} process${procs === 1 ? '' : 'es'}` : 'no process'}`;
    item.iconPath = new vscode.ThemeIcon(kind === 'hostns' ? 'home' : kind === 'named' ? 'globe' : kind === 'container' ? 'box' : 'symbol-namespace');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${mdText(label)}** — network namespace ${node.inode}\n\n`);
    if (named.length) md.appendMarkdown(`- named netns: ${mdText(named.join(', '))} (/run/netns)\n`);
    if (containers.length) md.appendMarkdown(`- containers: ${mdText(containers.join(', '))}\n`);
    for (const i of ifaces) md.appendMarkdown(`- ${mdText(this.ifaceSummary(index, i))}\n`);
    item.tooltip = md;
    item.contextValue = contextValue({ kind: 'netns', flags: [kind, index.canEnter('net', node.inode) ? 'enterable' : 'unreachable'] });
    return item;
  }

  peerText(index: SnapshotIndex, i: InterfaceInfo): string | undefined {
    if (!i.peer) return undefined;
    const peer = index.interface(i.peer.ns, i.peer.ifindex);
    const where = i.peer.ns === i.ns ? 'same namespace' : index.netLabel(i.peer.ns);
    return `${i.name} ↔ ${peer?.name ?? `ifindex ${i.peer.ifindex}`} in ${where}`;
  }

  private ifaceSummary(index: SnapshotIndex, i: InterfaceInfo): string {
    const addrs = i.addresses.filter((a) => a.scope !== 'link').map((a) => `${a.address}/${a.prefixLen}`);
    return [this.peerText(index, i) ?? i.name, i.kind, i.state.toLowerCase(), ...addrs].join(' · ');
  }

  private interfaceItem(index: SnapshotIndex, node: Node & { kind: 'interface' }): vscode.TreeItem {
    const i = index.interface(node.ns, node.ifindex);
    if (!i) return new vscode.TreeItem('(gone)');
    const peer = this.peerText(index, i);
    const item = new vscode.TreeItem(displayText(peer ?? i.name), vscode.TreeItemCollapsibleState.None);
    const addrs = i.addresses.filter((a) => a.scope !== 'link').map((a) => `${a.address}/${a.prefixLen}`);
    const ports = i.kind === 'bridge' ? index.interfacesIn(i.ns).filter((x) => x.master === i.name).map((x) => x.name) : [];
    item.description = displayText([i.kind, ...addrs, ports.length ? `ports: ${ports.join(', ')}` : '', i.master ? `in ${i.master}` : ''].filter(Boolean).join(' · '));
    const up = /up|unknown/i.test(i.state);
    item.iconPath = new vscode.ThemeIcon(i.kind === 'bridge' ? 'type-hierarchy' : i.kind === 'veth' ? 'plug' : 'circuit-board', up ? undefined : new vscode.ThemeColor('disabledForeground'));
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${mdText(i.name)}** (${mdText(i.kind)}, ifindex ${i.ifindex})\n\n- state: ${mdText(i.state)}\n`);
    if (i.mac) md.appendMarkdown(`- MAC: ${mdText(i.mac)}\n`);
    if (i.mtu) md.appendMarkdown(`- MTU: ${i.mtu}\n`);
    if (i.master) md.appendMarkdown(`- master: ${mdText(i.master)}\n`);
    for (const a of i.addresses) md.appendMarkdown(`- ${mdText(`${a.family} ${a.address}/${a.prefixLen}${a.scope ? ` (${a.scope})` : ''}`)}\n`);
    if (peer) md.appendMarkdown(`- peer: ${mdText(peer)}\n`);
    if (ports.length) md.appendMarkdown(`- bridge ports: ${mdText(ports.join(', '))}\n`);
    item.tooltip = md;
    item.contextValue = contextValue({
      kind: 'interface',
      flags: [i.kind === 'veth' ? 'veth' : i.kind === 'bridge' ? 'bridge' : 'other', up ? 'up' : 'down'],
    });
    return item;
  }

  processText(index: SnapshotIndex, p: ProcessInfo): string {
    const inner = p.nspid[p.nspid.length - 1];
    if (p.nspid.length > 1 && inner !== p.pid) {
      return `host PID ${p.pid} → PID ${inner} in ${index.innerPidLabel(p) ?? 'its PID namespace'}`;
    }
    return `PID ${p.pid}`;
  }

  private processItem(index: SnapshotIndex, node: Node & { kind: 'process' }): vscode.TreeItem {
    const p = index.byPid.get(node.pid);
    if (!p) return new vscode.TreeItem(`PID ${node.pid} (gone)`);
    const item = new vscode.TreeItem(displayText(p.comm), vscode.TreeItemCollapsibleState.None);
    item.description = displayText(this.processText(index, p));
    item.iconPath = new vscode.ThemeIcon(p.kernelThread ? 'gear' : 'terminal');
    const md = new vscode.MarkdownString();
    md.appendMarkdown(`**${mdText(p.comm)}** — ${mdText(this.processText(index, p))}\n\n`);
    if (p.cmdline) md.appendMarkdown(displayCodeBlock(p.cmdline.slice(0, 500), 'sh'));
    md.appendMarkdown(`- PPID ${p.ppid}, uid ${p.uid}${p.state ? `, state ${mdText(p.state)}` : ''}\n`);
    if (p.nspid.length > 1) md.appendMarkdown(`- PID at each level (host first): ${p.nspid.join(' → ')}\n`);
    for (const t of NS_TYPES) {
      if (p.ns[t] !== undefined) md.appendMarkdown(`- ${t}: ${p.ns[t]}${index.isInitial(t, p.ns[t]) ? ' (host)' : ` (${mdText(index.label(t, p.ns[t]!))})`}\n`);
    }
    item.tooltip = md;
    item.contextValue = contextValue({ kind: 'process', flags: ['alive'] });
    return item;
  }

  dispose(): void {
    this.sub.dispose();
    this.changed.dispose();
  }
}

/** The host item's words for where a refresh is. */
function stageText(stage: DiscoverStage): string {
  switch (stage) {
    case 'processes':
      return vscode.l10n.t('reading processes and namespaces…');
    case 'engines':
      return vscode.l10n.t("reading the container engines' state…");
    case 'engine-clis':
      return vscode.l10n.t('reading the container engines…');
    case 'interfaces':
      return vscode.l10n.t('reading network interfaces…');
  }
}
