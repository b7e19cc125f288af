/**
 * The isolation report panel: hosts webview/isolation, feeds it the report built from the host's latest
 * snapshot (src/model/isolation.ts) for the whole host or some containers, follows refreshes, and turns
 * its requests (reveal a container, export Markdown) into the extension's own actions.
 */
import { randomBytes } from 'crypto';
import * as vscode from 'vscode';
import { buildIsolationReport, isolationMarkdown, type IsolationReport } from '../model/isolation';
import type { Snapshot } from '../model/snapshot';
import {
  isIsolationViewState,
  isIsolationWebviewMessage,
  type IsolationExtensionMessage,
} from '../protocol/isolation';
import { panelHtml } from './panelHtml';

export interface IsolationPanelDeps {
  extensionUri: vscode.Uri;
  getSnapshot(hostId: string): Snapshot | undefined;
  onSnapshot(listener: (hostId: string, snapshot: Snapshot) => void): vscode.Disposable;
  hostLabel?(hostId: string): string;
  /** Selects the container (`engine:id`) in the Namespaces sidebar. */
  revealContainer(hostId: string, ref: string): unknown;
}

const scopeKey = (refs?: readonly string[]) => (refs ? [...refs].sort().join(' ') : '*');

export class IsolationPanel implements vscode.Disposable {
  static readonly viewType = 'nsExplorer.isolation';
  private static readonly panels = new Set<IsolationPanel>();

  lastPostedReport: IsolationReport | undefined;
  readonly initPosted: Promise<IsolationReport>;
  readonly webviewPanel: vscode.WebviewPanel;
  /** The Markdown documents Export opened (for tests). */
  readonly exported: vscode.TextDocument[] = [];
  private resolveInit!: (r: IsolationReport) => void;
  private ready = false;
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  static show(deps: IsolationPanelDeps, hostId: string, refs?: string[]): IsolationPanel {
    const existing = [...IsolationPanel.panels].find((p) => p.hostId === hostId && scopeKey(p.refs) === scopeKey(refs));
    if (existing) {
      existing.webviewPanel.reveal();
      return existing;
    }
    return new IsolationPanel(deps, hostId, refs);
  }

  static all(): readonly IsolationPanel[] {
    return [...IsolationPanel.panels];
  }

  private static options(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')] };
  }

  constructor(private readonly deps: IsolationPanelDeps, readonly hostId: string, readonly refs?: string[], webviewPanel?: vscode.WebviewPanel) {
    this.initPosted = new Promise((resolve) => (this.resolveInit = resolve));
    this.webviewPanel = webviewPanel ?? vscode.window.createWebviewPanel(IsolationPanel.viewType, 'Isolation Report', { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, IsolationPanel.options(deps.extensionUri));
    const webview = this.webviewPanel.webview;
    webview.options = IsolationPanel.options(deps.extensionUri);
    IsolationPanel.panels.add(this);
    this.disposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.onMessage(m)),
      this.webviewPanel.onDidChangeViewState((e) => { if (!e.webviewPanel.visible) this.ready = false; }),
      this.webviewPanel.onDidDispose(() => this.dispose()),
      deps.onSnapshot((id, snapshot) => { if (id === this.hostId && this.ready) this.post('update', snapshot); }),
    );
    this.webviewPanel.title = this.title();
    const uri = (...path: string[]) => webview.asWebviewUri(vscode.Uri.joinPath(deps.extensionUri, ...path)).toString();
    webview.html = panelHtml({
      title: 'Isolation Report',
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('base64'),
      codiconCssUri: uri('media', 'codicons', 'codicon.css'),
      styleUri: uri('media', 'isolation.css'),
      scriptUri: uri('dist', 'webview', 'isolation.js'),
    });
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    IsolationPanel.panels.delete(this);
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private hostLabel(snapshot = this.deps.getSnapshot(this.hostId)): string {
    return this.deps.hostLabel?.(this.hostId) ?? snapshot?.host.hostname ?? this.hostId;
  }

  private title(): string {
    const r = this.lastPostedReport;
    const one = this.refs?.length === 1 ? r?.rows.find((x) => x.ref === this.refs![0])?.name : undefined;
    return one ? vscode.l10n.t('Isolation: {0}', one) : vscode.l10n.t('Isolation: {0}', this.hostLabel());
  }

  private build(snapshot = this.deps.getSnapshot(this.hostId)): IsolationReport {
    if (!snapshot) return { title: this.hostLabel(), rows: [], summary: [vscode.l10n.t('No snapshot of {0} yet: connect to the host or refresh the Namespaces view.', this.hostLabel())], warnings: [] };
    return buildIsolationReport(snapshot, this.refs, this.hostLabel(snapshot));
  }

  private post(type: IsolationExtensionMessage['type'], snapshot = this.deps.getSnapshot(this.hostId)): void {
    const report = this.build(snapshot);
    this.lastPostedReport = report;
    this.webviewPanel.title = this.title();
    const message: IsolationExtensionMessage = { type, hostId: this.hostId, hostLabel: this.hostLabel(snapshot), takenAt: snapshot?.host.takenAt ?? 0, report, ...(this.refs ? { refs: this.refs } : {}) };
    void this.webviewPanel.webview.postMessage(message);
    if (type === 'init') this.resolveInit(report);
  }

  /** Opens the Markdown of these rows in an untitled editor, where the user can read, copy or save it. */
  async exportMarkdown(refs: readonly string[]): Promise<vscode.TextDocument | undefined> {
    const r = this.lastPostedReport;
    if (!r) return undefined;
    const byRef = new Map(r.rows.map((x) => [x.ref, x]));
    const rows = refs.map((ref) => byRef.get(ref)).filter((x) => x !== undefined);
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: isolationMarkdown(r, rows) });
    this.exported.push(doc);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
    return doc;
  }

  private onMessage(raw: unknown): void {
    if (!isIsolationWebviewMessage(raw)) return;
    switch (raw.type) {
      case 'ready':
        this.ready = true;
        this.post('init');
        return;
      case 'exportMarkdown':
        void this.exportMarkdown(raw.refs);
        return;
      case 'revealContainer': {
        if (!this.lastPostedReport?.rows.some((x) => x.ref === raw.ref)) return;
        void Promise.resolve().then(() => this.deps.revealContainer(this.hostId, raw.ref)).catch((err: unknown) => {
          void vscode.window.showErrorMessage(vscode.l10n.t('Could not reveal {0}: {1}', raw.ref, err instanceof Error ? err.message : String(err)));
        });
        return;
      }
    }
  }
}

export interface IsolationPanels extends vscode.Disposable {
  show(hostId: string, refs?: string[]): IsolationPanel;
}

export function registerIsolationPanel(context: Pick<vscode.ExtensionContext, 'subscriptions'>, deps: IsolationPanelDeps): IsolationPanels {
  const serializer = vscode.window.registerWebviewPanelSerializer(IsolationPanel.viewType, {
    async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
      if (!isIsolationViewState(state)) {
        panel.dispose();
        return;
      }
      new IsolationPanel(deps, state.hostId, state.refs, panel);
    },
  });
  const panels: IsolationPanels = {
    show: (hostId, refs) => IsolationPanel.show(deps, hostId, refs),
    dispose: () => {
      serializer.dispose();
      for (const p of IsolationPanel.all()) p.dispose();
    },
  };
  context.subscriptions.push(panels);
  return panels;
}
