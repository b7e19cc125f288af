/**
 * The hosts the user has opened in the sidebar: one connection and the latest snapshot each, refreshed
 * on demand or on a timer. One connection per host, shared by the tree, terminals, panels and workflows.
 */
import * as vscode from 'vscode';
import { DEFAULT_BUDGETS, DEFAULT_REFRESH_BUDGET_MS, discover, DiscoverStage, DiscoveryCache, DiscoveryCancelled, ProbeBudgets } from '../discovery/discover';
import { openConnection } from '../host/connect';
import { ConnectionState, HostConnection, HostInfo } from '../host/hostConnection';
import { LocalConnection } from '../host/localConnection';
import { Logger } from '../host/log';
import { SudoSetting } from '../host/privilege';
import { isTransportSetting } from '../host/transport';
import { Snapshot } from '../model/snapshot';
import { fromSaved, toSaved } from '../model/savedSnapshot';
import { SnapshotIndex } from '../model/snapshotIndex';
import { SshPrompts } from '../host/sshConnection';
import { vscodePrompts } from './prompts';

export class HostSession implements vscode.Disposable {
  snapshot: Snapshot | undefined;
  index: SnapshotIndex | undefined;
  info: HostInfo | undefined;
  error: string | undefined;
  loading = false;
  /** Where the running refresh is (shown on the host item); undefined between refreshes. */
  stage: DiscoverStage | undefined;
  /** The snapshot shown was kept from before a window reload; no refresh has replaced it yet. */
  restored = false;
  /** Connecting asked the user something: after a reload the host waits for a click. */
  prompted = false;
  private refreshing: Promise<void> | undefined;
  private cancelSource: vscode.CancellationTokenSource | undefined;
  private readonly changed = new vscode.EventEmitter<HostSession>();
  readonly onDidChange = this.changed.event;
  private readonly subs: vscode.Disposable[] = [];
  private readonly log: Logger;
  /** The engine CLIs' output, reused by the probe while the engines' databases are unchanged. */
  private readonly discoveryCache = new DiscoveryCache();

  constructor(
    readonly spec: string,
    readonly conn: HostConnection,
  ) {
    this.log = new Logger(`host ${conn.label}`);
    let previous = conn.state.kind;
    const sub = conn.onStateChange((s) => {
      // Back after a dropped link: the greyed snapshot is replaced by a fresh one.
      if (s.kind === 'connected' && previous === 'reconnecting' && !this.loading) {
        this.refresh().catch(() => undefined);
      }
      previous = s.kind;
      this.changed.fire(this);
    });
    this.subs.push({ dispose: () => sub.dispose() });
  }

  get id(): string {
    return this.conn.id;
  }

  get label(): string {
    return this.conn.label;
  }

  get state(): ConnectionState {
    return this.conn.state;
  }

  /** Connect when needed, then take a new snapshot; concurrent calls share one run. */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Shows a snapshot kept from before a window reload, until a refresh replaces it. */
  showRestored(snapshot: Snapshot): void {
    this.snapshot = snapshot;
    this.index = new SnapshotIndex(snapshot);
    this.restored = true;
    this.changed.fire(this);
  }

  /** Stops the running refresh on the host; the last snapshot stays. */
  cancelRefresh(): void {
    this.cancelSource?.cancel();
  }

  private async doRefresh(): Promise<void> {
    this.loading = true;
    this.stage = undefined;
    const cancel = new vscode.CancellationTokenSource();
    this.cancelSource = cancel;
    this.changed.fire(this);
    const cfg = vscode.workspace.getConfiguration('nsExplorer.refresh');
    const budgets: ProbeBudgets = {
      engineSeconds: cfg.get<number>('engineTimeoutSeconds', DEFAULT_BUDGETS.engineSeconds),
      lsnsSeconds: cfg.get<number>('lsnsTimeoutSeconds', DEFAULT_BUDGETS.lsnsSeconds),
      ipSeconds: cfg.get<number>('ipTimeoutSeconds', DEFAULT_BUDGETS.ipSeconds),
    };
    const budgetMs = cfg.get<number>('budgetSeconds', DEFAULT_REFRESH_BUDGET_MS / 1000) * 1000;
    try {
      await vscode.window.withProgress(
        { location: { viewId: 'nsExplorer.hosts' }, title: vscode.l10n.t("Reading {0}…", this.label) },
        async () => {
          if (this.conn.state.kind !== 'connected') {
            this.info = await (this.conn.retryNow ? this.conn.retryNow() : this.conn.connect(cancel.token));
          }
          this.info ??= await this.conn.connect(cancel.token);
          // The first time, the tree shows its first levels as soon as the probe has printed them.
          const first = !this.snapshot;
          const snapshot = await discover(this.conn, {
            hostInfo: this.info,
            cache: this.discoveryCache,
            token: cancel.token,
            budgets,
            timeoutMs: budgetMs,
            onStage: (stage) => {
              this.stage = stage;
              this.changed.fire(this);
            },
            onTree: first
              ? (partial) => {
                  if (!this.snapshot) {
                    this.snapshot = partial;
                    this.index = new SnapshotIndex(partial);
                    this.changed.fire(this);
                  }
                }
              : undefined,
          });
          this.snapshot = snapshot;
          this.index = new SnapshotIndex(snapshot);
          this.error = undefined;
          this.restored = false;
          if (snapshot.host.partial) {
            this.log.warn(`partial snapshot: ${snapshot.host.warnings.join(' | ')}`);
          }
        },
      );
    } catch (e) {
      if (e instanceof DiscoveryCancelled) {
        // The user stopped it: the host is as it was, and the last snapshot stays.
        this.log.info(e.message);
        return;
      }
      this.error = (e as Error).message;
      this.log.error(`refresh failed: ${this.error}`);
      throw e;
    } finally {
      this.loading = false;
      this.stage = undefined;
      if (this.cancelSource === cancel) {
        this.cancelSource = undefined;
      }
      cancel.dispose();
      this.changed.fire(this);
    }
  }

  dispose(): void {
    this.subs.forEach((s) => s.dispose());
    this.changed.dispose();
    this.conn.dispose();
  }
}

const OPEN_HOSTS_KEY = 'nsExplorer.openHosts';
const SAVED_KEY = (spec: string): string => `nsExplorer.lastSnapshot:${spec}`;

/** The prompts, noting on `seen` that one was shown (a host that prompts waits for a click after a reload). */
function noticedPrompts(prompts: SshPrompts, seen: () => void): SshPrompts {
  const out = { ...prompts } as Record<string, unknown>;
  for (const [name, fn] of Object.entries(prompts)) {
    if (typeof fn === 'function') {
      out[name] = (...args: unknown[]) => {
        seen();
        return (fn as (...a: unknown[]) => unknown).apply(prompts, args);
      };
    }
  }
  return out as unknown as SshPrompts;
}

export class HostSessions implements vscode.Disposable {
  private readonly sessions = new Map<string, HostSession>();
  private readonly pendingOpen = new Map<string, Promise<HostSession>>();
  private readonly changed = new vscode.EventEmitter<HostSession | undefined>();
  readonly onDidChange = this.changed.event;
  private readonly snapshotListeners = new Set<(hostId: string, snapshot: Snapshot) => void>();
  private autoTimer: NodeJS.Timeout | undefined;
  private readonly savedAt = new Map<string, number>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    /** Where the list of open hosts is kept, so they are back (not connected) after a reload. */
    private readonly memento?: vscode.Memento,
  ) {}

  /**
   * Puts back the hosts that were open in the last window: each shows its last snapshot at once (greyed,
   * with its time, until it is connected), and reconnects by itself unless connecting asked the user
   * something last time; such a host waits for a click (Refresh, Retry).
   */
  async restore(): Promise<void> {
    for (const spec of this.memento?.get<string[]>(OPEN_HOSTS_KEY, []) ?? []) {
      const session = await this.open(spec).catch(() => undefined);
      if (!session) continue;
      const saved = fromSaved(this.memento?.get(SAVED_KEY(spec)));
      if (saved && !session.snapshot) {
        session.showRestored(saved.snapshot);
      }
      if (saved && !saved.needsPrompt) {
        session.refresh().catch(() => undefined);
      }
    }
  }

  /** Keeps the host's last full snapshot for the next window (once per snapshot). */
  private save(s: HostSession): void {
    const snap = s.snapshot;
    if (!this.memento || !snap || s.restored || snap.host.scope === 'tree' || this.savedAt.get(s.spec) === snap.host.takenAt) {
      return;
    }
    this.savedAt.set(s.spec, snap.host.takenAt);
    void this.memento.update(SAVED_KEY(s.spec), toSaved(snap, s.prompted));
  }

  private remember(): void {
    void this.memento?.update(OPEN_HOSTS_KEY, [...new Set(this.list().map((s) => s.spec))]);
  }

  list(): HostSession[] {
    return [...this.sessions.values()];
  }

  get(id: string): HostSession | undefined {
    return this.sessions.get(id);
  }

  onSnapshot(listener: (hostId: string, snapshot: Snapshot) => void): vscode.Disposable {
    this.snapshotListeners.add(listener);
    return new vscode.Disposable(() => this.snapshotListeners.delete(listener));
  }

  /** Open (or return) the session for what the user typed; concurrent opens of one host share one. */
  open(spec: string): Promise<HostSession> {
    const key = spec.trim();
    let p = this.pendingOpen.get(key);
    if (!p) {
      p = this.doOpen(key).finally(() => this.pendingOpen.delete(key));
      this.pendingOpen.set(key, p);
    }
    return p;
  }

  private async doOpen(spec: string): Promise<HostSession> {
    const cfg = vscode.workspace.getConfiguration('nsExplorer');
    const holder: { session?: HostSession; prompted?: boolean } = {};
    const transport = cfg.get<string>('transport', 'auto');
    const conn = await openConnection(spec, {
      prompts: noticedPrompts(vscodePrompts(), () => {
        holder.prompted = true;
        if (holder.session) holder.session.prompted = true;
      }),
      secrets: this.secrets,
      sudo: cfg.get<SudoSetting>('sudo', 'auto'),
      reconnect: true,
      keepaliveSeconds: cfg.get<number>('keepaliveSeconds', 15),
      transport: isTransportSetting(transport) ? transport : 'auto',
      sshConfig: cfg.get<string>('sshConfigFile') ? { configPath: cfg.get<string>('sshConfigFile') } : undefined,
    });
    const existing = this.sessions.get(conn.id);
    if (existing) {
      conn.dispose();
      return existing;
    }
    const session = new HostSession(spec, conn);
    holder.session = session;
    session.prompted = holder.prompted === true;
    this.sessions.set(conn.id, session);
    this.remember();
    session.onDidChange((s) => {
      this.changed.fire(s);
      if (s.snapshot && !s.loading) {
        this.save(s);
        for (const l of this.snapshotListeners) {
          l(s.id, s.snapshot);
        }
      }
    });
    this.changed.fire(undefined);
    return session;
  }

  remove(id: string): void {
    const s = this.sessions.get(id);
    if (s) {
      this.sessions.delete(id);
      this.remember();
      // Disconnected by the user: nothing of the host is kept for the next window.
      this.savedAt.delete(s.spec);
      void this.memento?.update(SAVED_KEY(s.spec), undefined);
      s.dispose();
      this.changed.fire(undefined);
    }
  }

  /** Restart the auto-refresh timer from the setting (0 = off). */
  configureAutoRefresh(): void {
    if (this.autoTimer) {
      clearInterval(this.autoTimer);
      this.autoTimer = undefined;
    }
    const seconds = vscode.workspace.getConfiguration('nsExplorer').get<number>('autoRefreshSeconds', 0);
    if (seconds > 0) {
      this.autoTimer = setInterval(() => {
        for (const s of this.sessions.values()) {
          if (s.state.kind === 'connected' && !s.loading) {
            s.refresh().catch(() => undefined);
          }
        }
      }, Math.max(2, seconds) * 1000);
    }
  }

  dispose(): void {
    if (this.autoTimer) {
      clearInterval(this.autoTimer);
    }
    for (const s of this.sessions.values()) {
      s.dispose();
    }
    this.sessions.clear();
    this.changed.dispose();
  }
}

export function isLocal(conn: HostConnection): boolean {
  return conn instanceof LocalConnection;
}
