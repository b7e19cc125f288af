/**
 * The terminal of a packet capture: the host tool's decoded lines as they come, the pcap going to a local
 * file meanwhile. Ctrl+C, `q`, Stop Capture or closing the terminal stop it; the last lines say why it
 * ended and where the file is.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { Logger } from '../host/log';
import { displayText } from '../model/displayText';
import { CapturePlan, CaptureResult, RunningCapture, startCapture } from '../workflows/capture';
import { HostSession } from '../views/hostSessions';

const log = new Logger('capture');

export interface CaptureHandle {
  readonly plan: CapturePlan;
  readonly file: string;
  readonly terminal: vscode.Terminal;
  readonly done: Promise<CaptureResult>;
  /** Lines shown so far (for tests). */
  readonly lines: readonly string[];
  stop(): Promise<CaptureResult>;
}

function reasonText(r: CaptureResult): string {
  switch (r.reason) {
    case 'requested':
      return vscode.l10n.t('Stopped.');
    case 'seconds':
      return vscode.l10n.t('Stopped at the time limit (nsExplorer.capture.maxSeconds).');
    case 'bytes':
      return vscode.l10n.t('Stopped at the size limit (nsExplorer.capture.maxMegabytes).');
    case 'ended':
      return r.toolExit !== undefined && r.toolExit !== 0
        ? vscode.l10n.t('The capture tool ended with exit code {0}.', r.toolExit)
        : vscode.l10n.t('The capture ended (packet limit reached or the tool stopped).');
    case 'failed':
      return vscode.l10n.t('The capture failed: {0}', r.error ?? '?');
  }
}

class CapturePty implements vscode.Pseudoterminal {
  private readonly writeEmitter = new vscode.EventEmitter<string>();
  private readonly closeEmitter = new vscode.EventEmitter<number | void>();
  readonly onDidWrite = this.writeEmitter.event;
  readonly onDidClose = this.closeEmitter.event;
  running: RunningCapture | undefined;
  result: CaptureResult | undefined;
  readonly lines: string[] = [];
  private readonly opened: Promise<void>;
  private markOpened!: () => void;
  private closed = false;

  constructor(
    private readonly session: HostSession,
    readonly plan: CapturePlan,
    readonly file: string,
    private readonly onEnd: (r: CaptureResult) => void,
  ) {
    this.opened = new Promise((resolve) => (this.markOpened = resolve));
  }

  /** Starts once VS Code has opened the terminal, so no line is lost. */
  start(): Promise<CaptureResult> {
    return this.opened.then(() => {
      this.running = startCapture(this.session.conn, this.plan, this.file, {
        onLine: (text) => this.print(text),
        onEvent: (e) => {
          if (e.kind === 'filter') this.note(vscode.l10n.t('Filter on the host: {0}', e.filter || vscode.l10n.t('(none)')));
        },
      });
      return this.running.done.then((r) => {
        this.result = r;
        this.note('');
        this.note(reasonText(r));
        this.note(vscode.l10n.t('{0} bytes written to {1}', r.bytes, r.file));
        if (!this.closed) this.note(vscode.l10n.t('Press any key to close this terminal.'));
        this.onEnd(r);
        return r;
      });
    });
  }

  open(): void {
    this.note(vscode.l10n.t('Capturing on {0} @{1}', this.plan.label, this.session.label));
    this.note(vscode.l10n.t('Writing {0}', this.file));
    this.note(vscode.l10n.t('Limits: {0} packets, {1} s, {2} MB. Press Ctrl+C or close this terminal to stop.', this.plan.limits.packets, this.plan.limits.seconds, Math.round(this.plan.limits.bytes / (1024 * 1024))));
    this.markOpened();
  }

  /** A line from the host: escaped, so no byte of a packet can drive the terminal. */
  private print(text: string): void {
    this.lines.push(text);
    this.writeEmitter.fire(`${displayText(text)}\r\n`);
  }

  private note(text: string): void {
    this.lines.push(text);
    this.writeEmitter.fire(`\x1b[2m${displayText(text)}\x1b[0m\r\n`);
  }

  handleInput(data: string): void {
    if (this.result) {
      this.closeEmitter.fire();
      return;
    }
    if (data === '\x03' || data === 'q') void this.stop();
  }

  stop(): Promise<CaptureResult> {
    if (this.result) return Promise.resolve(this.result);
    if (!this.running) {
      // Not started yet: the terminal never opened.
      this.markOpened();
    }
    return this.opened.then(() => (this.running ? this.running.stop() : Promise.reject(new Error('not started'))));
  }

  close(): void {
    this.closed = true;
    if (!this.result) void this.stop().catch(() => undefined);
  }
}

/** A name for the local file: host, interface, namespace and time, in characters every file system takes. */
export function captureFileName(hostLabel: string, plan: CapturePlan, now: Date): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, 40) || 'x';
  const stamp = now.toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  return `${safe(hostLabel)}-${safe(plan.endpoint.label)}-${safe(plan.iface)}-${stamp}.pcap`;
}

/** Opens the capture's terminal and starts it there. */
export function openCaptureTerminal(session: HostSession, plan: CapturePlan, dir: string, onEnd: (h: CaptureHandle, r: CaptureResult) => void): CaptureHandle {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, captureFileName(session.label, plan, new Date()));
  log.info(`capture on ${session.label}: ${plan.display} > ${file}`);
  const ref: { handle?: CaptureHandle } = {};
  const pty = new CapturePty(session, plan, file, (r) => ref.handle && onEnd(ref.handle, r));
  const terminal = vscode.window.createTerminal({
    name: displayText(vscode.l10n.t('Capture: {0} @{1}', plan.label, session.label)),
    pty,
    iconPath: new vscode.ThemeIcon('record'),
  });
  const done = pty.start();
  const handle: CaptureHandle = { plan, file, terminal, done, lines: pty.lines, stop: () => pty.stop() };
  ref.handle = handle;
  terminal.show();
  return handle;
}

/** The first executable `name` on PATH, or undefined (Wireshark: offered only when it is there). */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        fs.accessSync(candidate, fs.constants.X_OK);
        if (fs.statSync(candidate).isFile()) return candidate;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}
