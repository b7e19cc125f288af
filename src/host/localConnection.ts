/**
 * "This machine": commands run on the machine the extension host runs on (Linux only), through the same
 * argv quoting and privilege modes as a remote host.
 */
import { spawn } from 'child_process';
import * as os from 'os';
import { commandLine, execWithPrivilege, PrivilegeMode } from './commandLine';
import { Emitter } from './events';
import { ExecCollector } from './execCollector';
import {
  CancellationTokenLike,
  ConnectionError,
  ConnectionState,
  DisposableLike,
  ExecOptions,
  ExecResult,
  HostConnection,
  HostInfo,
  PtyChannel,
  PtyOptions,
} from './hostConnection';
import { Logger, SecretScope } from './log';
import { decidePrivilege, fixedSudoPassword, forgetPrivilege, PrivilegeDecision, privilegedExec, SecretStoreLike, SudoPrompts, SudoSetting } from './privilege';

export const LOCAL_HOST_ID = 'local';
export const LOCAL_HOST_LABEL = 'This machine';

export function localAvailable(): boolean {
  return process.platform === 'linux';
}

export interface LocalConnectionOptions {
  sudo?: SudoSetting;
  prompts?: SudoPrompts;
  secrets?: SecretStoreLike;
  /** A sudo password given up front (CLI --sudo-password-env). */
  sudoPassword?: string;
}

export class LocalConnection implements HostConnection {
  readonly id = LOCAL_HOST_ID;
  readonly label = LOCAL_HOST_LABEL;
  private _state: ConnectionState = { kind: 'connecting' };
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private privilege: PrivilegeDecision | undefined;
  private pending: Promise<HostInfo> | undefined;
  private readonly log = new Logger('local');
  /** The sudo passwords tried, masked in the log until dispose. */
  private readonly redaction = new SecretScope();

  constructor(private readonly options: LocalConnectionOptions = {}) {}

  get state(): ConnectionState {
    return this._state;
  }

  onStateChange(listener: (state: ConnectionState) => void): DisposableLike {
    return this.stateEmitter.event(listener);
  }

  get privilegeDecision(): PrivilegeDecision | undefined {
    return this.privilege;
  }

  connect(_token?: CancellationTokenLike): Promise<HostInfo> {
    if (!localAvailable()) {
      return Promise.reject(new ConnectionError('"This machine" is only available when VS Code runs on Linux.', 'config'));
    }
    this.pending ??= this.doConnect().catch((e) => {
      this.pending = undefined;
      throw e;
    });
    return this.pending;
  }

  private async doConnect(): Promise<HostInfo> {
    const fixed = this.options.sudoPassword;
    this.privilege = await decidePrivilege((argv, mode, stdin) => this.run(argv, mode, { stdin }), {
      hostLabel: this.label,
      secretKey: `sudo:${this.id}:${os.userInfo().username}`,
      setting: this.options.sudo ?? 'auto',
      prompts: fixed !== undefined ? fixedSudoPassword(fixed) : this.options.prompts,
      secrets: this.options.secrets,
      log: this.log,
      redaction: this.redaction,
    });
    this.setState({ kind: 'connected' });
    return { label: this.label, user: this.privilege.user, uid: this.privilege.uid, privilege: this.privilege.level };
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { mode, stdin } = privilegedExec(this.privilege, options.privileged, options.stdin);
    return this.run(argv, mode, { ...options, stdin });
  }

  private run(argv: readonly string[], mode: PrivilegeMode, options: ExecOptions): Promise<ExecResult> {
    const line = commandLine(execWithPrivilege(argv, mode));
    this.log.trace(`exec ${commandLine(argv)}${mode.kind.startsWith('sudo') ? ' (sudo)' : ''}`);
    const child = spawn('sh', ['-c', line], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const collector = new ExecCollector(
      argv,
      options,
      () => {
        try {
          if (child.pid) {
            process.kill(-child.pid, 'SIGKILL');
          }
        } catch {
          // already gone
        }
      },
      this.label,
    );
    child.stdout.on('data', (c: Buffer) => collector.stdout(c));
    child.stderr.on('data', (c: Buffer) => collector.stderr(c));
    child.on('error', (e) => collector.fail(`Could not run "${argv[0]}" on ${this.label}: ${e.message}`));
    child.on('close', (code, signal) => collector.exit(code, signal ?? undefined));
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
    return collector.promise;
  }

  openPty(_argv: readonly string[], _options: PtyOptions): Promise<PtyChannel> {
    return Promise.reject(
      new ConnectionError('This machine runs terminals in VS Code\'s own terminal; no PTY channel is needed.', 'config'),
    );
  }

  private setState(state: ConnectionState): void {
    this._state = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    forgetPrivilege(this.privilege, this.redaction);
    this.options.sudoPassword = undefined;
    this.setState({ kind: 'disposed' });
    this.stateEmitter.dispose();
  }
}
