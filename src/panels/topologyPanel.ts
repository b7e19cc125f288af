/**
 * The network topology panel: hosts the webview in webview/topology, feeds it the graph built from the
 * host's latest snapshot (src/model/topology.ts) and turns its requests into the extension's own actions,
 * only for nodes it has shown. A refresh of the sidebar reaches it through onSnapshot.
 */
import { randomBytes } from 'crypto';
import { homedir } from 'os';
import * as vscode from 'vscode';
import type { Snapshot } from '../model/snapshot';
import { SnapshotIndex } from '../model/snapshotIndex';
import { buildTopology, unavailableTopology, type TopologyModel, type TopologyNode } from '../model/topology';
import {
  isTopologyViewState,
  isTopologyWebviewMessage,
  type TopologyExtensionMessage,
  type TopologyWebviewMessage,
} from '../protocol/topology';
import { panelHtml } from './panelHtml';

export interface TopologyPanelDeps {
  extensionUri: vscode.Uri;
  getSnapshot(hostId: string): Snapshot | undefined;
  onSnapshot(listener: (hostId: string, snapshot: Snapshot) => void): vscode.Disposable;
  hostLabel?(hostId: string): string;
  /** Selects the network namespace (and the interface, for a bridge) in the Namespaces sidebar. */
  revealNetns(hostId: string, inode: number, ifname?: string): unknown;
  /** Runs Enter Namespace / Ping from Namespace on the network namespace. */
  enterNetns(hostId: string, inode: number): unknown;
  pingFromNetns(hostId: string, inode: number): unknown;
  /** Capture Packets in that namespace, on `ifname` when given (else the command asks). */
  captureNetns(hostId: string, inode: number, ifname?: string): unknown;
}

export class TopologyPanel implements vscode.Disposable {
  static readonly viewType = 'nsExplorer.topology';
  private static readonly panels = new Set<TopologyPanel>();

  /** The model most recently posted to the webview; for tests and diagnostics. */
  lastPostedModel: TopologyModel | undefined;
  readonly initPosted: Promise<TopologyModel>;
  readonly webviewPanel: vscode.WebviewPanel;
  /** Files written by Export (tests read them back). */
  readonly exported: vscode.Uri[] = [];
  private resolveInit!: (model: TopologyModel) => void;
  private ready = false;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  static show(deps: TopologyPanelDeps, hostId: string): TopologyPanel {
    const existing = [...TopologyPanel.panels].find((p) => p.hostId === hostId);
    if (existing) {
      existing.webviewPanel.reveal();
      return existing;
    }
    return new TopologyPanel(deps, hostId);
  }

  static all(): readonly TopologyPanel[] {
    return [...TopologyPanel.panels];
  }

  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  constructor(private readonly deps: TopologyPanelDeps, readonly hostId: string, webviewPanel?: vscode.WebviewPanel) {
    this.initPosted = new Promise((resolve) => (this.resolveInit = resolve));
    this.webviewPanel = webviewPanel ?? vscode.window.createWebviewPanel(
      TopologyPanel.viewType,
      'Network Topology',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      { ...TopologyPanel.webviewOptions(deps.extensionUri), retainContextWhenHidden: false },
    );
    const webview = this.webviewPanel.webview;
    webview.options = TopologyPanel.webviewOptions(deps.extensionUri);
    TopologyPanel.panels.add(this);
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      this.webviewPanel.onDidChangeViewState((e) => { if (!e.webviewPanel.visible) this.ready = false; }),
      this.webviewPanel.onDidDispose(() => this.dispose()),
      deps.onSnapshot((id, snapshot) => { if (id === this.hostId) this.update(snapshot); }),
    );
    this.webviewPanel.title = vscode.l10n.t('Topology: {0}', this.hostLabel());
    const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, ...path)).toString();
    webview.html = panelHtml({
      title: 'Network Topology',
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      codiconCssUri: uri('media', 'codicons', 'codicon.css'),
      styleUri: uri('media', 'topology.css'),
      scriptUri: uri('dist', 'webview', 'topology.js'),
      vendorScriptUris: [uri('dist', 'webview', 'elk.bundled.js')],
    });
  }

  update(snapshot?: Snapshot): void {
    if (this.disposed) return;
    this.webviewPanel.title = vscode.l10n.t('Topology: {0}', this.hostLabel(snapshot));
    if (this.ready) this.post('update', snapshot);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    TopologyPanel.panels.delete(this);
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private buildModel(snapshot = this.deps.getSnapshot(this.hostId)): TopologyModel {
    if (!snapshot) return unavailableTopology(vscode.l10n.t('No snapshot of {0} yet: connect to the host or refresh the Namespaces view.', this.hostLabel()));
    return buildTopology(new SnapshotIndex(snapshot), this.hostLabel(snapshot));
  }

  private hostLabel(snapshot = this.deps.getSnapshot(this.hostId)): string {
    return this.deps.hostLabel?.(this.hostId) ?? snapshot?.host.hostname ?? this.hostId;
  }

  private post(type: TopologyExtensionMessage['type'], snapshot = this.deps.getSnapshot(this.hostId)): void {
    const model = this.buildModel(snapshot);
    const message: TopologyExtensionMessage = { type, hostId: this.hostId, hostLabel: this.hostLabel(snapshot), takenAt: snapshot?.host.takenAt ?? 0, model };
    this.lastPostedModel = model;
    void this.webviewPanel.webview.postMessage(message);
    if (type === 'init') this.resolveInit(model);
  }

  /** A node of the model last posted, with the namespace it is (or lives in); the webview's ids are requests. */
  private shownNode(nodeId: string): (TopologyNode & { inode: number }) | undefined {
    const n = this.lastPostedModel?.nodes.find((x) => x.id === nodeId);
    return n && n.inode !== undefined && (n.kind === 'netns' || n.kind === 'bridge') ? (n as TopologyNode & { inode: number }) : undefined;
  }

  private onMessage(raw: unknown): void {
    if (!isTopologyWebviewMessage(raw)) return;
    const m: TopologyWebviewMessage = raw;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post('init');
        return;
      case 'copyText':
        void vscode.env.clipboard.writeText(m.text).then(() => vscode.window.setStatusBarMessage(vscode.l10n.t('Copied {0}', m.text.slice(0, 80)), 2500));
        return;
      case 'export':
        void this.export(m.format, m.data);
        return;
      case 'captureEdge': {
        // Only an edge the panel showed, and an end in a network namespace that can be entered.
        const e = this.lastPostedModel?.edges.find((x) => x.id === m.edgeId);
        const end = e && (m.end === 'source' ? e.sourceEnd : e.targetEnd);
        const n = e && this.shownNode(m.end === 'source' ? e.source : e.target);
        if (!e || !end || !n || n.kind !== 'netns' || !n.enterable) return;
        void Promise.resolve()
          .then(() => this.deps.captureNetns(this.hostId, n.inode, end.name))
          .catch((err: unknown) => this.showError(vscode.l10n.t('Could not act on {0} on {1}: {2}', end.name, this.hostLabel(), err instanceof Error ? err.message : String(err))));
        return;
      }
      case 'capturePackets':
      case 'revealInSidebar':
      case 'enterNamespace':
      case 'pingFromNamespace': {
        const n = this.shownNode(m.nodeId);
        if (!n) return;
        if (m.type !== 'revealInSidebar' && !n.enterable) return;
        const act = () =>
          m.type === 'revealInSidebar' ? this.deps.revealNetns(this.hostId, n.inode, n.kind === 'bridge' ? n.label : undefined)
            : m.type === 'enterNamespace' ? this.deps.enterNetns(this.hostId, n.inode)
              : m.type === 'capturePackets' ? this.deps.captureNetns(this.hostId, n.inode)
                : this.deps.pingFromNetns(this.hostId, n.inode);
        void Promise.resolve().then(act).catch((err: unknown) =>
          this.showError(vscode.l10n.t('Could not act on {0} on {1}: {2}', n.label, this.hostLabel(), err instanceof Error ? err.message : String(err))));
        return;
      }
    }
  }

  private async export(format: 'svg' | 'png', data: string): Promise<void> {
    const name = `topology-${this.hostLabel().replace(/[^A-Za-z0-9._-]+/g, '_')}.${format}`;
    const base = vscode.workspace.workspaceFolders?.[0]?.uri ?? vscode.Uri.file(homedir());
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.joinPath(base, name),
      filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
      title: vscode.l10n.t('Export Network Topology'),
    });
    if (!target) return;
    const bytes = format === 'svg' ? Buffer.from(data, 'utf8') : Buffer.from(data, 'base64');
    try {
      await vscode.workspace.fs.writeFile(target, bytes);
      this.exported.push(target);
      void vscode.window.setStatusBarMessage(vscode.l10n.t('Exported {0}', target.fsPath), 4000);
    } catch (e) {
      this.showError(vscode.l10n.t('Could not write {0}: {1}', target.fsPath, (e as Error).message));
    }
  }

  private showError(message: string): void {
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
      if (choice) void vscode.commands.executeCommand('nsExplorer.showLog');
    });
  }
}

export interface TopologyPanels extends vscode.Disposable {
  show(hostId: string): TopologyPanel;
}

/** Registers the serializer that brings topology panels back after a reload (from the hostId the webview saved). */
export function registerTopologyPanel(context: Pick<vscode.ExtensionContext, 'subscriptions'>, deps: TopologyPanelDeps): TopologyPanels {
  const serializer = vscode.window.registerWebviewPanelSerializer(TopologyPanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      if (!isTopologyViewState(state)) {
        panel.dispose();
        return;
      }
      new TopologyPanel(deps, state.hostId, panel);
    },
  });
  const panels: TopologyPanels = {
    show: (hostId) => TopologyPanel.show(deps, hostId),
    dispose: () => {
      serializer.dispose();
      for (const p of TopologyPanel.all()) p.dispose();
    },
  };
  context.subscriptions.push(panels);
  return panels;
}
