/**
 * Commands on hosts and tree items: connect, refresh, filter, export, copy, reveal, enter, PID mapping.
 * Each takes an optional tree node and falls back to a picker when run from the palette.
 */
import * as os from 'os';
import * as vscode from 'vscode';
import { localAvailable, LOCAL_HOST_LABEL } from '../host/localConnection';
import { validateHostSpec } from '../host/hostSpec';
import { describeConcreteHosts, HostAlias, loadSshConfig } from '../host/sshConfig';
import { ContainerInfo, NS_TYPES, NsType } from '../model/snapshot';
import { displayLabel, displayMessage, displayText } from '../model/displayText';
import { PidMapScope } from '../model/pidMap';
import { containerByRef } from '../model/queries';
import { containerRef } from '../model/snapshotIndex';
import { PidMapPanels } from '../panels/pidMapPanel';
import { openEnterTerminal, pickNamespaces } from '../terminal/enterTerminal';
import { EnterTarget } from '../workflows/enter';
import { HostSession, HostSessions } from '../views/hostSessions';
import { HostsTreeProvider } from '../views/hostsTree';
import { Node } from '../views/treeNodes';
import { WindowHostState } from '../views/windowHost';
import { ensureSnapshot, pickContainer, pickEnterTarget, pickNamespaceInode, pickSession, pickVeth } from './pickers';

export interface CommandDeps {
  context: vscode.ExtensionContext;
  sessions: HostSessions;
  tree: HostsTreeProvider;
  view: vscode.TreeView<Node>;
  log: vscode.LogOutputChannel;
  pidMaps: () => PidMapPanels;
  /** The Remote-SSH window's own host, offered first (src/views/windowHost.ts). */
  windowHost?: WindowHostState;
}

type HostPick = vscode.QuickPickItem & { spec?: string };

async function pickHostSpec(windowHost?: WindowHostState): Promise<string | undefined> {
  const cfg = vscode.workspace.getConfiguration('nsExplorer');
  const saved = cfg.get<string[]>('hosts', []);
  let configHosts: HostAlias[] = [];
  const configPath = cfg.get<string>('sshConfigFile') || undefined;
  let configLabel = configPath ?? '~/.ssh/config';
  try {
    const config = await loadSshConfig(configPath ? { configPath } : {});
    configLabel = config.files.map((f) => f.path.replace(os.homedir(), '~')).join(', ') || configLabel;
    configHosts = describeConcreteHosts(config);
  } catch (e) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Your ssh config could not be read: {0}', (e as Error).message));
  }
  const base: HostPick[] = [];
  if (windowHost?.host) {
    base.push({ label: `$(remote) ${displayLabel(windowHost.host.spec)}`, description: vscode.l10n.t("this window's host (Remote-SSH)"), spec: windowHost.host.spec });
  }
  if (localAvailable()) {
    const description = windowHost?.onRemote ? vscode.l10n.t("this window's host (Remote-SSH), where the extension runs") : vscode.l10n.t('the machine VS Code runs on');
    base.push({ label: `$(device-desktop) ${LOCAL_HOST_LABEL}`, description, spec: 'local' });
  }
  if (saved.length) {
    base.push({ label: vscode.l10n.t('Saved hosts'), kind: vscode.QuickPickItemKind.Separator });
    base.push(
      ...saved.map((h) => {
        const known = configHosts.find((c) => c.alias === h);
        return { label: `$(vm) ${displayLabel(h)}`, description: known ? `${displayLabel(known.where)} · saved` : 'saved (nsExplorer.hosts)', spec: h };
      }),
    );
  }
  if (configHosts.length) {
    base.push({ label: vscode.l10n.t('From {0}', configLabel), kind: vscode.QuickPickItemKind.Separator });
    base.push(
      ...configHosts
        .filter((h) => !saved.includes(h.alias))
        .map((h) => ({ label: `$(remote) ${displayLabel(h.alias)}`, description: displayLabel(h.where), spec: h.alias })),
    );
  }
  const qp = vscode.window.createQuickPick<HostPick>();
  qp.title = vscode.l10n.t('Connect to Host');
  qp.placeholder = vscode.l10n.t('user@host[:port], an ssh-config alias, or pick one');
  qp.items = base;
  qp.onDidChangeValue((v) => {
    const text = v.trim();
    if (!text || base.some((b) => b.spec === text)) {
      qp.items = base;
      return;
    }
    const problem = validateHostSpec(text);
    qp.items = [
      problem
        ? { label: `$(error) ${text}`, description: problem, alwaysShow: true }
        : { label: `$(plug) ${text}`, description: vscode.l10n.t('connect to this host'), spec: text, alwaysShow: true },
      ...base,
    ];
  });
  const spec = await new Promise<string | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const sel = qp.selectedItems[0];
      if (sel?.spec) {
        resolve(sel.spec);
        qp.hide();
      }
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return spec;
}

/** Connect and take the first snapshot, showing failures with Show Log and Retry. */
export async function connectAndLoad(deps: CommandDeps, spec: string): Promise<HostSession | undefined> {
  let session: HostSession;
  try {
    session = await deps.sessions.open(spec);
  } catch (e) {
    void vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('Cannot connect to {0}: {1}', spec, (e as Error).message)), vscode.l10n.t('Show Log')).then((a) => a && deps.log.show());
    return undefined;
  }
  try {
    await session.refresh();
  } catch (e) {
    const message = (e as Error).message;
    const hostKey = /host key/i.test(message);
    // The error is on the host item too; a dialog that cannot be shown (automation) must not lose it.
    const pick = await Promise.resolve(
      vscode.window.showErrorMessage(displayMessage(hostKey ? message : `${session.label}: ${message}`), { modal: hostKey && /changed/i.test(message) }, vscode.l10n.t('Show Log'), vscode.l10n.t('Retry')),
    ).catch(() => undefined);
    if (pick === vscode.l10n.t('Show Log')) deps.log.show();
    if (pick === vscode.l10n.t('Retry')) return connectAndLoad(deps, spec);
  }
  return session;
}

function sessionOf(deps: CommandDeps, node?: Node): HostSession | undefined {
  return node ? deps.sessions.get(node.hostId) : undefined;
}

function containerOfNode(deps: CommandDeps, node: Node & { kind: 'container' }): ContainerInfo | undefined {
  const snapshot = sessionOf(deps, node)?.index?.snapshot;
  return snapshot ? containerByRef(snapshot, containerRef({ engine: node.engine, id: node.containerId })) : undefined;
}

/** What a tree node means as an "Enter Namespace" target. */
export function enterTargetOf(session: HostSession, node: Node): { target: EnterTarget; fixedTypes?: NsType[] } | undefined {
  const index = session.index;
  if (!index) return undefined;
  switch (node.kind) {
    case 'container': {
      // By engine and id: the name may be another container's too.
      return { target: { kind: 'container', ref: containerRef({ engine: node.engine, id: node.containerId }) } };
    }
    case 'namespace':
      return { target: { kind: 'namespace', type: node.type, inode: node.inode }, fixedTypes: [node.type] };
    case 'netns': {
      const named = index.snapshot.netns.find((n) => n.inode === node.inode);
      if (named) return { target: { kind: 'netns', name: named.name }, fixedTypes: ['net'] };
      return { target: { kind: 'namespace', type: 'net', inode: node.inode }, fixedTypes: ['net'] };
    }
    case 'process':
      return { target: { kind: 'pid', pid: node.pid } };
    default:
      return undefined;
  }
}

export function registerHostCommands(deps: CommandDeps): vscode.Disposable[] {
  const { sessions, tree, view, log, context } = deps;
  const reg = (id: string, fn: (...args: never[]) => unknown) => vscode.commands.registerCommand(id, fn as (...args: unknown[]) => unknown);

  const enter = async (node?: Node, typesArg?: NsType[]): Promise<vscode.Terminal | undefined> => {
    const session = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Enter Namespace')));
    if (!session || !(await ensureSnapshot(session))) return undefined;
    let target: EnterTarget | undefined;
    let fixed: NsType[] | undefined;
    if (node) {
      const t = enterTargetOf(session, node);
      target = t?.target;
      fixed = t?.fixedTypes;
    } else {
      target = await pickEnterTarget(session, vscode.l10n.t('Enter Namespace'));
      if (target?.kind === 'namespace') fixed = [target.type];
    }
    if (!target) return undefined;
    const types = typesArg ?? fixed ?? (await pickNamespaces(context.globalState, target.kind, NS_TYPES));
    if (!types) return undefined;
    try {
      return openEnterTerminal({ session, target, types });
    } catch (e) {
      void vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('Enter Namespace on {0}: {1}', session.label, (e as Error).message)), vscode.l10n.t('Show Log')).then((a) => a && log.show());
      return undefined;
    }
  };

  const showPidMap = async (node?: Node) => {
    const session = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Show PID Mapping')));
    if (!session || !(await ensureSnapshot(session))) return undefined;
    let scope: PidMapScope = { kind: 'host' };
    if (node?.kind === 'container') scope = { kind: 'container', id: containerRef({ engine: node.engine, id: node.containerId }) };
    else if (node?.kind === 'namespace' && node.type === 'pid') scope = { kind: 'pidns', inode: node.inode };
    else if (node?.kind === 'process') scope = { kind: 'pid', pid: node.pid };
    else if (!node) {
      const index = session.index!;
      const items: Array<vscode.QuickPickItem & { scope: PidMapScope }> = [
        { label: `$(vm) ${vscode.l10n.t('Whole host')}`, scope: { kind: 'host' } },
        ...index.snapshot.containers.filter((c) => c.pid).map((c) => ({ label: `$(box) ${displayLabel(c.name)}`, description: `${c.engine} · PID ${c.pid}`, scope: { kind: 'container', id: containerRef(c) } as PidMapScope })),
        ...index.namespacesOfType('pid').filter((n) => !n.initial).map((n) => ({ label: `$(symbol-namespace) pid:[${n.inode}]`, description: displayLabel(index.label('pid', n.inode)), scope: { kind: 'pidns', inode: n.inode } as PidMapScope })),
      ];
      const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Show PID Mapping'), placeHolder: vscode.l10n.t('For a container, a PID namespace or the whole host') });
      if (!pick) return undefined;
      scope = pick.scope;
    }
    return deps.pidMaps().show(session.id, scope);
  };

  return [
    reg('nsExplorer.connectHost', async (spec?: string) => {
      const chosen = typeof spec === 'string' ? spec : await pickHostSpec(deps.windowHost);
      return chosen ? connectAndLoad(deps, chosen) : undefined;
    }),
    reg('nsExplorer.connectLocal', () => connectAndLoad(deps, 'local')),
    reg('nsExplorer.connectWindowHost', () => {
      const w = deps.windowHost;
      if (w?.onRemote) return connectAndLoad(deps, 'local');
      if (w?.host) return connectAndLoad(deps, w.host.spec);
      void vscode.window.showInformationMessage(vscode.l10n.t('This window is not a Remote-SSH window.'));
      return undefined;
    }),
    reg('nsExplorer.disconnectHost', async (node?: Node) => {
      const s = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Disconnect')));
      if (s) sessions.remove(s.id);
    }),
    reg('nsExplorer.refreshHosts', async () => {
      await Promise.all(sessions.list().map((s) => s.refresh().catch(() => undefined)));
    }),
    reg('nsExplorer.refreshHost', async (node?: Node) => {
      const s = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Refresh')));
      await s?.refresh().catch((e: Error) => vscode.window.showErrorMessage(displayMessage(`${s.label}: ${e.message}`), vscode.l10n.t('Show Log')).then((a) => a && log.show()));
    }),
    reg('nsExplorer.cancelRefresh', async (node?: Node) => {
      const busy = sessions.list().filter((x) => x.loading);
      if (!node && busy.length === 0) {
        void vscode.window.showInformationMessage(vscode.l10n.t('No refresh is running.'));
        return;
      }
      const s = sessionOf(deps, node) ?? (busy.length === 1 ? busy[0] : await pickSession(sessions, 'Cancel Refresh'));
      s?.cancelRefresh();
    }),
    reg('nsExplorer.retryHost', async (node?: Node) => {
      const s = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Retry')));
      await s?.refresh().catch(() => undefined);
    }),
    reg('nsExplorer.showLog', () => log.show()),
    reg('nsExplorer.filterTree', async (text?: string) => {
      const value = typeof text === 'string' ? text : await vscode.window.showInputBox({
        title: vscode.l10n.t('Filter the Namespaces tree'),
        prompt: vscode.l10n.t('A name (container, netns, interface, process), a PID or a namespace inode; empty to clear'),
        value: tree.filter.text,
      });
      if (value !== undefined) {
        tree.setFilter({ text: value.trim() });
        view.message = value.trim() ? vscode.l10n.t('Filtered by "{0}"', displayText(value.trim())) : undefined;
      }
    }),
    reg('nsExplorer.clearFilter', () => {
      tree.setFilter({ text: '' });
      view.message = undefined;
    }),
    reg('nsExplorer.hideHostNamespaces', () => tree.setFilter({ hideHostNamespaces: true })),
    reg('nsExplorer.showHostNamespaces', () => tree.setFilter({ hideHostNamespaces: false })),
    reg('nsExplorer.hideKernelThreads', () => tree.setFilter({ hideKernelThreads: true })),
    reg('nsExplorer.showKernelThreads', () => tree.setFilter({ hideKernelThreads: false })),
    reg('nsExplorer.exportSnapshot', async (node?: Node) => {
      const s = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Export Snapshot as JSON')));
      if (!s || !(await ensureSnapshot(s))) return undefined;
      const doc = await vscode.workspace.openTextDocument({ language: 'json', content: JSON.stringify(s.snapshot, null, 2) });
      return vscode.window.showTextDocument(doc);
    }),
    reg('nsExplorer.copyInode', async (node?: Node) => {
      let inode = node?.kind === 'namespace' || node?.kind === 'netns' ? node.inode : undefined;
      if (inode === undefined && !node) {
        const s = await pickSession(sessions, vscode.l10n.t('Copy Inode'));
        if (s && (await ensureSnapshot(s))) inode = await pickNamespaceInode(s, vscode.l10n.t('Copy Inode'));
      }
      if (inode !== undefined) {
        await vscode.env.clipboard.writeText(String(inode));
        vscode.window.setStatusBarMessage(vscode.l10n.t('Copied inode {0}', inode), 3000);
      }
      return inode;
    }),
    reg('nsExplorer.copyPid', async (node?: Node) => {
      let pid: number | undefined;
      if (node?.kind === 'process') pid = node.pid;
      if (node?.kind === 'container') pid = containerOfNode(deps, node)?.pid;
      if (!node) {
        const s = await pickSession(sessions, vscode.l10n.t('Copy PID'));
        if (s && (await ensureSnapshot(s))) pid = (await pickContainer(s, vscode.l10n.t('Copy PID: the init process of which container?'), true))?.pid;
      }
      if (pid !== undefined) {
        await vscode.env.clipboard.writeText(String(pid));
        vscode.window.setStatusBarMessage(vscode.l10n.t('Copied PID {0}', pid), 3000);
      }
      return pid;
    }),
    reg('nsExplorer.copyContainerId', async (node?: Node) => {
      let c = node?.kind === 'container' ? containerOfNode(deps, node) : undefined;
      if (!node) {
        const s = await pickSession(sessions, vscode.l10n.t('Copy Container ID'));
        if (s && (await ensureSnapshot(s))) c = await pickContainer(s, vscode.l10n.t('Copy Container ID'), false);
      }
      if (c) {
        await vscode.env.clipboard.writeText(c.id);
        vscode.window.setStatusBarMessage(vscode.l10n.t('Copied the id of {0}', displayLabel(c.name)), 3000);
      }
      return c?.id;
    }),
    reg('nsExplorer.revealPeer', async (node?: Node) => {
      const s = sessionOf(deps, node) ?? (await pickSession(sessions, vscode.l10n.t('Reveal Peer')));
      if (!s || !(await ensureSnapshot(s))) return;
      const i = node?.kind === 'interface' ? s.index?.interface(node.ns, node.ifindex) : node ? undefined : await pickVeth(s, vscode.l10n.t('Reveal Peer'));
      if (!s.index || !i?.peer) {
        void vscode.window.showInformationMessage(vscode.l10n.t('This interface has no known peer.'));
        return;
      }
      const hostNode: Node = { kind: 'host', hostId: s.id, id: s.id };
      const group: Node = { kind: 'group', group: 'networks', hostId: s.id, id: `${s.id}/networks`, parent: hostNode };
      const netns: Node = { kind: 'netns', hostId: s.id, id: `${group.id}/${i.peer.ns}`, inode: i.peer.ns, parent: group };
      const peer: Node = { kind: 'interface', hostId: s.id, id: `${netns.id}/if/${i.peer.ifindex}`, ns: i.peer.ns, ifindex: i.peer.ifindex, parent: netns };
      await view.reveal(peer, { select: true, focus: true, expand: true });
    }),
    reg('nsExplorer.enterNamespace', (node?: Node, types?: NsType[]) => enter(node, types)),
    reg('nsExplorer.showPidMapping', (node?: Node) => showPidMap(node)),
  ];
}
