/**
 * Capture Packets… and Stop Capture: on an interface, a network namespace or a container (tree node or
 * pickers), an optional BPF filter that the host's tool checks before anything starts, then the capture's
 * terminal; when it ends, the file with Open in Wireshark (when it is on PATH) and Reveal.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import * as vscode from 'vscode';
import { Logger } from '../host/log';
import { displayLabel, displayMessage } from '../model/displayText';
import { containerByRef } from '../model/queries';
import { CaptureLimits, CaptureResult, CaptureTools, checkCapture, planCapture, probeCaptureTools, validateFilterText } from '../workflows/capture';
import { WorkflowError } from '../workflows/validate';
import { CaptureHandle, findOnPath, openCaptureTerminal } from '../terminal/captureTerminal';
import { HostSession } from '../views/hostSessions';
import { Node } from '../views/treeNodes';
import { CommandDeps } from './hostCommands';
import { ensureSnapshot, pickSession } from './pickers';
import { endpointOfNode } from './workflowCommands';

const clog = new Logger('capture');

/** What the command takes besides a node, so scripts and tests can run it without prompts. */
export interface CaptureArgs {
  /** `host`, `netns:NAME`, `container:ENGINE:ID`; defaults to the node's. */
  endpoint?: string;
  /** An interface name or `any`; defaults to the node's, else asked. */
  iface?: string;
  /** A BPF filter; undefined asks (empty: everything). */
  filter?: string;
  limits?: Partial<CaptureLimits>;
}

function limitsFromSettings(): Partial<CaptureLimits> {
  const cfg = vscode.workspace.getConfiguration('nsExplorer.capture');
  return {
    packets: cfg.get<number>('maxPackets', 10_000),
    seconds: cfg.get<number>('maxSeconds', 300),
    bytes: Math.round(cfg.get<number>('maxMegabytes', 100) * 1024 * 1024),
  };
}

export interface CaptureCommands {
  disposables: vscode.Disposable[];
  /** Captures that have not ended, newest last. */
  active(): readonly CaptureHandle[];
}

export function registerCaptureCommands(deps: CommandDeps): CaptureCommands {
  const { sessions, log, context } = deps;
  const tools = new WeakMap<HostSession, CaptureTools>();
  const running: CaptureHandle[] = [];
  const setContext = () => void vscode.commands.executeCommand('setContext', 'nsExplorer.capturing', running.length > 0);

  const endpointInode = (s: HostSession, endpoint: string): number | undefined => {
    const index = s.index!;
    if (endpoint === 'host') return index.initial.net;
    if (endpoint.startsWith('netns:')) return index.netnsByName.get(endpoint.slice(6))?.inode;
    if (endpoint.startsWith('container:')) return containerByRef(index.snapshot, endpoint.slice(10))?.ns.net;
    return undefined;
  };

  const pickEndpoint = async (s: HostSession): Promise<string | undefined> => {
    const snap = s.index!.snapshot;
    const items: Array<vscode.QuickPickItem & { endpoint: string }> = [
      { label: `$(home) ${vscode.l10n.t('host')}`, description: vscode.l10n.t("the host's own network namespace"), endpoint: 'host' },
      ...snap.netns.map((n) => ({ label: `$(globe) ${displayLabel(n.name)}`, description: `netns · net:[${n.inode}]`, endpoint: `netns:${n.name}` })),
      ...snap.containers
        .filter((c) => c.pid && !c.sandboxed)
        .map((c) => ({ label: `$(box) ${displayLabel(c.name)}`, description: `${c.engine} ${c.id.slice(0, 12)}`, endpoint: `container:${c.engine}:${c.id}` })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Capture Packets: in which network namespace?') });
    return pick?.endpoint;
  };

  const pickIface = async (s: HostSession, endpoint: string): Promise<string | undefined> => {
    const inode = endpointInode(s, endpoint);
    const ifaces = inode === undefined ? [] : s.index!.interfacesIn(inode);
    const items: Array<vscode.QuickPickItem & { iface: string }> = [
      { label: `$(list-flat) ${vscode.l10n.t('All interfaces')}`, description: 'any', iface: 'any' },
      ...ifaces.map((i) => ({
        label: displayLabel(i.name),
        description: displayLabel(`${i.kind} · ${i.state}${i.addresses.length ? ' · ' + i.addresses.map((a) => `${a.address}/${a.prefixLen}`).join(', ') : ''}`),
        iface: i.name,
      })),
    ];
    const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Capture Packets: on which interface?') });
    return pick?.iface;
  };

  const askFilter = () =>
    vscode.window.showInputBox({
      title: vscode.l10n.t('Capture Packets: filter'),
      prompt: vscode.l10n.t('A BPF filter as tcpdump takes it (e.g. icmp, tcp port 80, host 10.200.1.2); empty captures everything'),
      placeHolder: 'icmp or arp',
      validateInput: (v) => {
        try {
          validateFilterText(v);
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });

  const finished = async (h: CaptureHandle, r: CaptureResult, s: HostSession) => {
    const i = running.indexOf(h);
    if (i >= 0) running.splice(i, 1);
    setContext();
    clog.info(`capture on ${s.label} ended (${r.reason}): ${r.bytes} bytes in ${r.file}${r.error ? `: ${r.error}` : ''}`);
    if (r.reason === 'failed') {
      const a = await vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('Capture on {0} @{1} failed: {2}', h.plan.label, s.label, r.error ?? '?')), vscode.l10n.t('Show Log'));
      if (a) log.show();
      return;
    }
    const wireshark = findOnPath('wireshark');
    const openWs = vscode.l10n.t('Open in Wireshark');
    const reveal = vscode.l10n.t('Reveal File');
    const buttons = wireshark ? [openWs, reveal] : [reveal];
    const a = await vscode.window.showInformationMessage(displayMessage(vscode.l10n.t('Capture on {0} @{1}: {2} bytes in {3}', h.plan.label, s.label, r.bytes, path.basename(r.file))), ...buttons);
    if (a === openWs && wireshark) {
      spawn(wireshark, ['-r', r.file], { detached: true, stdio: 'ignore' }).unref();
    } else if (a === reveal) {
      await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(r.file));
    }
  };

  const capture = async (node?: Node, args: CaptureArgs = {}): Promise<CaptureHandle | undefined> => {
    const title = vscode.l10n.t('Capture Packets');
    const s = node ? sessions.get(node.hostId) : await pickSession(sessions, title);
    if (!s || !(await ensureSnapshot(s))) return undefined;
    if (s.info?.privilege === 'limited') {
      void vscode.window.showErrorMessage(displayMessage(vscode.l10n.t('Capturing packets on {0} needs root, and this connection has neither root nor sudo.', s.label)));
      return undefined;
    }
    const endpoint = args.endpoint ?? endpointOfNode(s, node) ?? (await pickEndpoint(s));
    if (!endpoint) return undefined;
    const nodeIface = node?.kind === 'interface' ? s.index?.interface(node.ns, node.ifindex)?.name : undefined;
    const iface = args.iface ?? nodeIface ?? (await pickIface(s, endpoint));
    if (!iface) return undefined;
    const filter = args.filter ?? (await askFilter());
    if (filter === undefined) return undefined;
    try {
      let t = tools.get(s);
      if (!t?.tcpdump && !t?.dumpcap) {
        // Asked again while missing: the user may just have installed it.
        t = await probeCaptureTools(s.conn);
        tools.set(s, t);
      }
      const plan = planCapture(s.snapshot!, { endpoint, iface, filter, limits: { ...limitsFromSettings(), ...(args.limits ?? {}) } }, t, s.label);
      const refused = await checkCapture(s.conn, plan);
      if (refused !== undefined) {
        void vscode.window.showErrorMessage(
          displayMessage(vscode.l10n.t('{0} on {1} refused the filter for {2}: {3} Nothing was started.', plan.tool, s.label, plan.label, refused)),
        );
        return undefined;
      }
      const dir = vscode.workspace.getConfiguration('nsExplorer.capture').get<string>('directory', '').trim() || path.join(context.globalStorageUri.fsPath, 'captures');
      const h = openCaptureTerminal(s, plan, dir, (handle, r) => void finished(handle, r, s));
      running.push(h);
      setContext();
      return h;
    } catch (e) {
      if (e instanceof WorkflowError) {
        void vscode.window.showErrorMessage(displayMessage(`${title}: ${e.message}`));
      } else {
        void vscode.window.showErrorMessage(displayMessage(`${title} @${s.label}: ${(e as Error).message}`), vscode.l10n.t('Show Log')).then((a) => a && log.show());
      }
      return undefined;
    }
  };

  const stop = async (): Promise<CaptureResult | undefined> => {
    if (running.length === 0) return undefined;
    let h: CaptureHandle | undefined = running[running.length - 1];
    if (running.length > 1) {
      const pick = await vscode.window.showQuickPick(
        running.map((r) => ({ label: displayLabel(r.plan.label), description: path.basename(r.file), h: r })),
        { title: vscode.l10n.t('Stop which capture?') },
      );
      h = pick?.h;
    }
    return h?.stop();
  };

  setContext();
  return {
    disposables: [
      vscode.commands.registerCommand('nsExplorer.capturePackets', (node?: Node, args?: CaptureArgs) => capture(node, args ?? {})),
      vscode.commands.registerCommand('nsExplorer.stopCapture', () => stop()),
      { dispose: () => running.splice(0).forEach((h) => void h.stop().catch(() => undefined)) },
    ],
    active: () => running,
  };
}
