/**
 * "Enter Namespace…": a VS Code terminal running nsenter in the chosen namespaces of a target. Over SSH it
 * is a Pseudoterminal on a PTY channel of the host's open connection (no new handshake); on This machine
 * it is VS Code's own terminal running nsenter directly.
 */
import { StringDecoder } from 'string_decoder';
import * as vscode from 'vscode';
import { commandLine } from '../host/commandLine';
import { PtyChannel } from '../host/hostConnection';
import { LocalConnection } from '../host/localConnection';
import { Logger } from '../host/log';
import { displayLabel, displayText } from '../model/displayText';
import { NS_TYPES, NsType } from '../model/snapshot';
import { EnterPlan, EnterTarget, planEnter } from '../workflows/enter';
import { HostSession } from '../views/hostSessions';

const log = new Logger('terminal');

/** A failure within this long of opening keeps its message on screen until a key is pressed. */
const EARLY_EXIT_MS = 3000;

export class SshEnterPty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  private channel: PtyChannel | undefined;
  private openedAt = 0;
  private waitingForKey = false;
  private pendingSize: vscode.TerminalDimensions | undefined;

  constructor(
    private readonly session: HostSession,
    private readonly plan: EnterPlan,
    /** For tests and the benchmark: resolves at the first byte the shell sends. */
    private readonly onFirstByte?: () => void,
  ) {}

  open(dims: vscode.TerminalDimensions | undefined): void {
    this.openedAt = Date.now();
    const size = { cols: dims?.columns ?? 80, rows: dims?.rows ?? 24 };
    this.session.conn
      .openPty(this.plan.argv, { ...size, privileged: true })
      .then((channel) => {
        this.channel = channel;
        if (this.pendingSize) {
          channel.resize({ cols: this.pendingSize.columns, rows: this.pendingSize.rows });
        }
        let first = true;
        // The shell session's own output passes unchanged (a character split across chunks kept whole).
        const utf8 = new StringDecoder('utf8');
        channel.onData((d) => {
          if (first) {
            first = false;
            this.onFirstByte?.();
          }
          const text = utf8.write(d);
          if (text) {
            this.writeEmitter.fire(text);
          }
        });
        channel.onExit((code) => this.exited(code));
      })
      .catch((e: Error) => {
        this.fail(vscode.l10n.t('Could not open a terminal on {0}: {1}', this.session.label, e.message));
      });
  }

  private exited(code: number | null): void {
    this.channel = undefined;
    if (code !== 0 && Date.now() - this.openedAt < EARLY_EXIT_MS) {
      this.fail(vscode.l10n.t('{0} exited with code {1}.', this.plan.title, code ?? '?'));
      return;
    }
    this.closeEmitter.fire(code ?? undefined);
  }

  /**
   * What the extension itself writes into the terminal. Its message holds host text (error text, the
   * target's name), so it is shown escaped: only the session's own output may drive the terminal.
   */
  private fail(message: string): void {
    log.warn(message);
    this.waitingForKey = true;
    this.writeEmitter.fire(`\r\n\x1b[31m${displayText(message)}\x1b[0m\r\n\r\n${vscode.l10n.t('Press any key to close this terminal.')}\r\n`);
  }

  handleInput(data: string): void {
    if (this.waitingForKey) {
      this.closeEmitter.fire(1);
      return;
    }
    this.channel?.write(data);
  }

  setDimensions(dims: vscode.TerminalDimensions): void {
    if (this.channel) {
      this.channel.resize({ cols: dims.columns, rows: dims.rows });
    } else {
      this.pendingSize = dims;
    }
  }

  close(): void {
    this.channel?.close();
    this.channel = undefined;
  }
}

export interface EnterRequest {
  session: HostSession;
  target: EnterTarget;
  types: NsType[];
}

/** Open the terminal for a target; returns it (tests read its name and content). */
export function openEnterTerminal(req: EnterRequest, onFirstByte?: () => void): vscode.Terminal {
  const snapshot = req.session.snapshot;
  if (!snapshot) {
    throw new Error(vscode.l10n.t('{0} has no snapshot yet; refresh it first.', req.session.label));
  }
  const shell = vscode.workspace.getConfiguration('nsExplorer.terminal').get<string>('shell', '').trim() || undefined;
  const plan = planEnter(snapshot, req.target, req.types, { shell, hostLabel: req.session.label, host: req.session.info });
  log.info(`enter ${plan.title}: ${commandLine(plan.argv)}`);
  const iconPath = new vscode.ThemeIcon('symbol-namespace');
  // The title holds the target's name, which the host chose.
  const name = displayLabel(plan.title);
  if (req.session.conn instanceof LocalConnection) {
    const decision = req.session.conn.privilegeDecision;
    const argv = decision && decision.uid !== 0 && decision.level === 'sudo' ? ['sudo', '--', ...plan.argv] : plan.argv;
    const t = vscode.window.createTerminal({ name, shellPath: argv[0], shellArgs: argv.slice(1), iconPath });
    t.show();
    return t;
  }
  const t = vscode.window.createTerminal({ name, pty: new SshEnterPty(req.session, plan, onFirstByte), iconPath });
  t.show();
  return t;
}

type NsPickItem = vscode.QuickPickItem & { types?: NsType[]; preset?: 'all' | 'net' };

/**
 * Which namespaces to enter: all, network only (host tools), or any subset. The last choice is remembered
 * per target kind; the setting nsExplorer.terminal.defaultNamespaces is the first default.
 */
export async function pickNamespaces(memento: vscode.Memento, targetKind: EnterTarget['kind'], available: readonly NsType[]): Promise<NsType[] | undefined> {
  if (targetKind === 'netns') {
    return ['net'];
  }
  const key = `nsExplorer.lastNamespaces.${targetKind}`;
  const setting = vscode.workspace.getConfiguration('nsExplorer.terminal').get<string[]>('defaultNamespaces', ['all']);
  const fromSetting = setting.includes('all') ? [...NS_TYPES] : (setting.filter((t) => (NS_TYPES as readonly string[]).includes(t)) as NsType[]);
  const last = memento.get<NsType[]>(key) ?? fromSetting;
  const qp = vscode.window.createQuickPick<NsPickItem>();
  qp.title = vscode.l10n.t('Enter which namespaces?');
  qp.placeholder = vscode.l10n.t('All of them, only the network namespace (so host tools work), or any subset');
  qp.canSelectMany = true;
  const all: NsPickItem = { label: `$(check-all) ${vscode.l10n.t('All namespaces')}`, description: vscode.l10n.t('a shell as if inside the target'), preset: 'all' };
  const net: NsPickItem = { label: `$(globe) ${vscode.l10n.t('Network only')}`, description: vscode.l10n.t("the host's tools (ip, ss, tcpdump) in the target's network"), preset: 'net' };
  const typeItems: NsPickItem[] = NS_TYPES.filter((t) => available.includes(t)).map((t) => ({ label: t, types: [t] }));
  qp.items = [all, net, { label: vscode.l10n.t('namespaces'), kind: vscode.QuickPickItemKind.Separator }, ...typeItems];
  qp.selectedItems = typeItems.filter((i) => last.includes(i.types![0]));
  let previous = new Set(qp.selectedItems);
  qp.onDidChangeSelection((sel) => {
    const added = sel.filter((s) => !previous.has(s));
    if (added.includes(all)) {
      qp.selectedItems = typeItems;
    } else if (added.includes(net)) {
      qp.selectedItems = typeItems.filter((i) => i.types![0] === 'net');
    }
    previous = new Set(qp.selectedItems);
  });
  const result = await new Promise<NsType[] | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const types = qp.selectedItems.flatMap((i) => i.types ?? []);
      resolve(types.length > 0 ? types : undefined);
      qp.hide();
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  if (result) {
    await memento.update(key, result);
  }
  return result;
}
