/**
 * The PID mapping panel: hosts the webview in webview/pidmap, feeds it models built from the host's latest
 * snapshot and turns its requests into the extension's own actions. It owns no data: the snapshot comes
 * from the dependencies passed in, and a refresh of the sidebar reaches it through onSnapshot.
 */
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { buildPidMap, scopeKey, unavailablePidMap, type PidMapModel, type PidMapScope } from '../model/pidMap';
import type { Snapshot } from '../model/snapshot';
import {
  isPidMapViewState,
  isPidMapWebviewMessage,
  type PidMapExtensionMessage,
  type PidMapWebviewMessage,
} from '../protocol/pidMap';
import { pidMapHtml } from './pidMapHtml';

export interface PidMapPanelDeps {
  extensionUri: vscode.Uri;
  getSnapshot(hostId: string): Snapshot | undefined;
  onSnapshot(listener: (hostId: string, snapshot: Snapshot) => void): vscode.Disposable;
  /** Opens a terminal inside the namespaces of a process, given by host PID. */
  enterNamespace(hostId: string, pid: number): unknown;
  /** Selects the process (host PID) in the Namespaces sidebar. */
  revealInSidebar(hostId: string, pid: number): unknown;
  /** How the host is named in the UI; defaults to the snapshot's hostname, else the id. */
  hostLabel?(hostId: string): string;
}

export class PidMapPanel implements vscode.Disposable {
  static readonly viewType = 'nsExplorer.pidMap';
  private static readonly panels = new Set<PidMapPanel>();

  /** The model most recently posted to the webview (init or update); for tests and diagnostics. */
  lastPostedModel: PidMapModel | undefined;
  /** Resolves with the model of the first `init`, posted once the webview said `ready`. */
  readonly initPosted: Promise<PidMapModel>;

  readonly webviewPanel: vscode.WebviewPanel;
  private resolveInit!: (model: PidMapModel) => void;
  private ready = false;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.disposeEmitter.event;

  /** Opens a panel for the scope, or reveals the one already showing it. */
  static show(deps: PidMapPanelDeps, hostId: string, scope: PidMapScope): PidMapPanel {
    const existing = PidMapPanel.find(hostId, scope);
    if (existing) {
      existing.webviewPanel.reveal();
      return existing;
    }
    return new PidMapPanel(deps, hostId, scope);
  }

  static find(hostId: string, scope: PidMapScope): PidMapPanel | undefined {
    for (const p of PidMapPanel.panels) if (p.hostId === hostId && scopeKey(p.scope) === scopeKey(scope)) return p;
    return undefined;
  }

  static all(): readonly PidMapPanel[] {
    return [...PidMapPanel.panels];
  }

  static webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    };
  }

  /** Pass `webviewPanel` to adopt a panel VS Code restored after a reload (see the serializer). */
  constructor(
    private readonly deps: PidMapPanelDeps,
    readonly hostId: string,
    private scopeValue: PidMapScope,
    webviewPanel?: vscode.WebviewPanel,
  ) {
    this.initPosted = new Promise((resolve) => (this.resolveInit = resolve));
    this.webviewPanel = webviewPanel ?? vscode.window.createWebviewPanel(
      PidMapPanel.viewType,
      'PID Map',
      { viewColumn: vscode.ViewColumn.Active, preserveFocus: false },
      PidMapPanel.webviewOptions(deps.extensionUri),
    );
    const webview = this.webviewPanel.webview;
    webview.options = PidMapPanel.webviewOptions(deps.extensionUri);
    PidMapPanel.panels.add(this);
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      // A hidden webview is torn down; when shown again it reloads and says `ready` once more.
      this.webviewPanel.onDidChangeViewState((e) => { if (!e.webviewPanel.visible) this.ready = false; }),
      this.webviewPanel.onDidDispose(() => this.dispose()),
      deps.onSnapshot((id, snapshot) => { if (id === this.hostId) this.update(snapshot); }),
    );
    this.webviewPanel.title = `PID Map: ${this.buildModel().title}`;
    webview.html = this.html(webview);
  }

  get scope(): PidMapScope {
    return this.scopeValue;
  }

  /** Posts a fresh model built from this snapshot; the webview keeps its scroll position and selection. */
  update(snapshot?: Snapshot): void {
    if (this.disposed) return;
    const model = this.buildModel(snapshot);
    this.webviewPanel.title = `PID Map: ${model.title}`;
    if (this.ready) this.post('update', model, snapshot);
  }

  setScope(scope: PidMapScope): void {
    this.scopeValue = scope;
    this.update();
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    PidMapPanel.panels.delete(this);
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.disposeEmitter.fire();
    this.disposeEmitter.dispose();
  }

  private buildModel(snapshot = this.deps.getSnapshot(this.hostId)): PidMapModel {
    if (!snapshot) return unavailablePidMap(this.scopeValue, `No snapshot of ${this.hostLabel()} yet: connect to the host or refresh the Namespaces view.`);
    return buildPidMap(snapshot, this.scopeValue);
  }

  private hostLabel(snapshot = this.deps.getSnapshot(this.hostId)): string {
    return this.deps.hostLabel?.(this.hostId) ?? snapshot?.host.hostname ?? this.hostId;
  }

  private post(type: PidMapExtensionMessage['type'], model: PidMapModel, snapshot = this.deps.getSnapshot(this.hostId)): void {
    const message: PidMapExtensionMessage = {
      type,
      hostId: this.hostId,
      hostLabel: this.hostLabel(snapshot),
      takenAt: snapshot?.host.takenAt ?? 0,
      model,
    };
    this.lastPostedModel = model;
    void this.webviewPanel.webview.postMessage(message);
    if (type === 'init') this.resolveInit(model);
  }

  private onMessage(raw: unknown): void {
    if (!isPidMapWebviewMessage(raw)) return;
    const m: PidMapWebviewMessage = raw;
    switch (m.type) {
      case 'ready':
        this.ready = true;
        this.post('init', this.buildModel());
        return;
      case 'setScope':
        this.setScope(m.scope);
        return;
      case 'copyPid':
        void vscode.env.clipboard.writeText(String(m.pid)).then(() => vscode.window.setStatusBarMessage(`Copied PID ${m.pid}`, 2500));
        return;
      case 'enterNamespace':
      case 'revealInSidebar': {
        // Act only on PIDs this panel showed: the webview's messages are requests, not orders.
        if (!this.lastPostedModel?.rows.some((r) => r.hostPid === m.pid)) return;
        const verb = m.type === 'enterNamespace' ? 'enter the namespaces of' : 'reveal';
        void Promise.resolve()
          .then(() => (m.type === 'enterNamespace' ? this.deps.enterNamespace(this.hostId, m.pid) : this.deps.revealInSidebar(this.hostId, m.pid)))
          .catch((err: unknown) => this.showError(`Could not ${verb} PID ${m.pid} on ${this.hostLabel()}: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
    }
  }

  private showError(message: string): void {
    void vscode.window.showErrorMessage(message, vscode.l10n.t('Show Log')).then((choice) => {
      if (choice) void vscode.commands.executeCommand('nsExplorer.showLog');
    });
  }

  private html(webview: vscode.Webview): string {
    const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(this.deps.extensionUri, ...path)).toString();
    return pidMapHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      codiconCssUri: uri('media', 'codicons', 'codicon.css'),
      styleUri: uri('media', 'pidmap.css'),
      scriptUri: uri('dist', 'webview', 'pidmap.js'),
    });
  }
}

export interface PidMapPanels extends vscode.Disposable {
  show(hostId: string, scope: PidMapScope): PidMapPanel;
}

/**
 * Registers the serializer that brings PID map panels back after a window reload (from the hostId and
 * scope the webview saved with setState). Needs `onWebviewPanel:nsExplorer.pidMap` in activationEvents.
 */
export function registerPidMapPanel(context: Pick<vscode.ExtensionContext, 'subscriptions'>, deps: PidMapPanelDeps): PidMapPanels {
  const serializer = vscode.window.registerWebviewPanelSerializer(PidMapPanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      if (!isPidMapViewState(state)) {
        panel.dispose();
        return;
      }
      new PidMapPanel(deps, state.hostId, state.scope, panel);
    },
  });
  const panels: PidMapPanels = {
    show: (hostId, scope) => PidMapPanel.show(deps, hostId, scope),
    dispose: () => {
      serializer.dispose();
      for (const p of PidMapPanel.all()) p.dispose();
    },
  };
  context.subscriptions.push(panels);
  return panels;
}
