/**
 * A host reached through the system's OpenSSH client, for what ssh2 cannot do (GSSAPI, FIDO keys, PKCS#11,
 * certificates, Match exec, …): `ssh HOST` exactly as the user types it, so it connects wherever their own
 * ssh does. One master connection per host (ControlMaster, its ControlPath in a private folder); every
 * exec, the probe and every terminal is a session multiplexed over it; disconnecting ends the master and
 * removes the folder. OpenSSH checks host keys itself, as configured; its prompts come to the user through
 * the askpass bridge. Privilege, the orphan guard and terminals behave as on the ssh2 transport.
 */
import { ChildProcess, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { AskpassBridge, AskpassQuestion } from './askpass';
import { commandLine, PrivilegeMode, ptyCommandLine, ptySudoMarkers, remoteCommandLine, sizedPtyCommandLine, parsePtyTtyLine } from './commandLine';
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
import { HostSpec } from './hostSpec';
import { Logger, SecretScope } from './log';
import { decidePrivilege, fixedSudoPassword, forgetPrivilege, PrivilegeDecision, privilegedExec, SecretStoreLike, SudoSetting } from './privilege';
import { ptyChannel } from './ptyChannel';
import { ResolvedHost } from './sshConfig';
import { SshPrompts } from './sshConnection';

export interface OpenSshConnectionOptions {
  id: string;
  label: string;
  /** What the user typed, parsed: passed to ssh as typed, so ssh resolves it with its own config. */
  spec: Extract<HostSpec, { kind: 'ssh' }>;
  /** Our reading of the config (for keepalive defaults and messages); OpenSSH's own reading wins. */
  target: ResolvedHost;
  /** The ssh program (default "ssh" on PATH). */
  sshPath?: string;
  /** `ssh -F`: the config file to read instead of ~/.ssh/config and the system one. */
  configFile?: string;
  /** Extra identity files (`-i`). */
  identities?: string[];
  /** Known hosts files used instead of the config's. */
  knownHosts?: string[];
  acceptNewHostKey?: boolean;
  password?: string;
  sudoPassword?: string;
  agentSocket?: string;
  prompts?: SshPrompts;
  secrets?: SecretStoreLike;
  sudo?: SudoSetting;
  keepaliveSeconds?: number;
  reconnect?: boolean;
}

const RECONNECT_MAX_ATTEMPTS = 40;
const RECONNECT_MAX_DELAY_MS = 30_000;
/** Upper bound on waiting for the master, prompts included. */
const MASTER_READY_MAX_MS = 10 * 60_000;
const MASTER_POLL_MS = 25;
const STDERR_KEPT = 8192;
/** How long an exit status of 255 waits for news of the master's death before it counts as the command's. */
const SESSION_255_GRACE_MS = 500;

/** Quote a value for ssh's own `-o Key=Value` parsing (whitespace splits; double quotes group). */
function sshOptionValue(value: string): string {
  if (/["\n]/.test(value)) {
    throw new ConnectionError(`The path ${JSON.stringify(value)} cannot be passed to ssh.`, 'config');
  }
  return /\s/.test(value) ? `"${value}"` : value;
}

/**
 * The local argv of the master: `ssh HOST` as the user would type it, plus the multiplexing options.
 * Command-line options win over ssh config, so only what must differ is given here.
 */
export function masterArgv(options: OpenSshConnectionOptions, controlPath: string): string[] {
  const argv: string[] = [];
  if (options.configFile) {
    argv.push('-F', options.configFile);
  }
  argv.push('-o', 'ControlMaster=yes', '-o', `ControlPath=${sshOptionValue(controlPath)}`, '-o', 'ControlPersist=no');
  // The master only carries sessions: none of the config's forwardings (their ports may be taken by the
  // user's own ssh), remote or local commands, or terminal.
  argv.push('-o', 'ClearAllForwardings=yes', '-o', 'RemoteCommand=none', '-o', 'RequestTTY=no', '-o', 'PermitLocalCommand=no');
  // Keepalive as on ssh2: ServerAliveInterval from ssh config wins, else the extension's setting.
  const keepalive = options.keepaliveSeconds ?? 15;
  if (options.target.serverAliveInterval === 0 && keepalive > 0) {
    argv.push('-o', `ServerAliveInterval=${keepalive}`);
  }
  for (const id of options.identities ?? []) {
    argv.push('-i', id);
  }
  if (options.knownHosts?.length) {
    argv.push('-o', `UserKnownHostsFile=${options.knownHosts.map(sshOptionValue).join(' ')}`, '-o', 'GlobalKnownHostsFile=/dev/null');
  }
  if (options.acceptNewHostKey) {
    argv.push('-o', 'StrictHostKeyChecking=accept-new');
  }
  if (options.agentSocket !== undefined) {
    // As on ssh2: an explicit socket, or "" for no agent at all.
    argv.push('-o', `IdentityAgent=${options.agentSocket === '' ? 'none' : sshOptionValue(options.agentSocket)}`);
  }
  if (options.spec.user !== undefined) {
    argv.push('-l', options.spec.user);
  }
  if (options.spec.port !== undefined) {
    argv.push('-p', String(options.spec.port));
  }
  argv.push('-N', '-T', '--', options.spec.host);
  return argv;
}

/**
 * The local argv of one session over the master. No config is read (`-F /dev/null`): the master holds
 * the connection, and a Match exec in the user's config must not run again for every command.
 */
export function sessionArgv(controlPath: string, remoteLine: string, tty: boolean): string[] {
  return [
    '-F', '/dev/null',
    '-o', `ControlPath=${sshOptionValue(controlPath)}`,
    '-o', 'ControlMaster=no',
    '-o', 'BatchMode=yes',
    // Were the master gone, ssh would fall back to connecting to the placeholder host itself: make that
    // fail at once, locally, with no name lookup and no packet sent.
    '-o', 'ProxyCommand=false',
    '-q',
    tty ? '-tt' : '-T',
    '--', 'nsx-master', remoteLine,
  ];
}

/** What ssh's stderr says went wrong, for the error's reason (ssh itself exits 255 for all of them). */
function reasonOf(stderr: string): ConnectionError['reason'] {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|host key .* (revoked|changed)|No .* host key is known/i.test(stderr)) {
    return 'hostkey';
  }
  if (/Permission denied|Too many authentication failures|Authentication failed/i.test(stderr)) {
    return 'auth';
  }
  if (/timed out|Timeout/i.test(stderr)) {
    return 'timeout';
  }
  return 'connect';
}

const STALE_SWEEP_MAX = 64;

/**
 * Removes the private folders of connections whose extension host died without disconnecting (a crash,
 * a killed window): this user's own `nsx-ssh-*` folders whose askpass socket no longer answers. A live
 * connection always listens there, so its folder is never touched. Bounded in count and time.
 */
export async function sweepStaleDirs(base: string, log: Logger): Promise<void> {
  let names: string[];
  try {
    names = (await fs.promises.readdir(base)).filter((n) => /^nsx-ssh-[A-Za-z0-9]{6}$/.test(n)).slice(0, STALE_SWEEP_MAX);
  } catch {
    return;
  }
  const uid = process.getuid?.();
  await Promise.all(
    names.map(async (name) => {
      const dir = path.join(base, name);
      try {
        const st = await fs.promises.lstat(dir);
        if (!st.isDirectory() || (uid !== undefined && st.uid !== uid) || (st.mode & 0o777) !== 0o700) {
          return;
        }
        const alive = await new Promise<boolean>((resolve) => {
          const sock = net.connect(path.join(dir, 'askpass.sock'));
          const done = (v: boolean) => {
            sock.destroy();
            resolve(v);
          };
          sock.setTimeout(1000, () => done(true)); // slow to answer: leave it alone
          sock.once('connect', () => done(true));
          // No listener on the socket: dead. No socket yet: dead only if the folder is not being set up
          // right now by another window (it is made a moment before the socket).
          sock.once('error', (e: NodeJS.ErrnoException) =>
            done(!(e.code === 'ECONNREFUSED' || (e.code === 'ENOENT' && Date.now() - st.mtimeMs > 60_000))));
        });
        if (!alive) {
          await fs.promises.rm(dir, { recursive: true, force: true });
          log.info(`removed ${dir}, left by a connection that ended without disconnecting`);
        }
      } catch {
        // gone meanwhile, or not ours
      }
    }),
  );
}

export class OpenSshConnection implements HostConnection {
  readonly id: string;
  readonly label: string;
  readonly transport = 'openssh';
  private _state: ConnectionState = { kind: 'connecting' };
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private pending: Promise<HostInfo> | undefined;
  private privilege: PrivilegeDecision | undefined;
  private info: HostInfo | undefined;
  private master: ChildProcess | undefined;
  private dir: string | undefined;
  private askpass: AskpassBridge | undefined;
  private readonly inflight = new Set<ExecCollector>();
  private readonly sessions = new Set<ChildProcess>();
  private disposed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly redaction = new SecretScope();
  private loginPassword: string | undefined;
  private readonly passphrases = new Map<string, string>();
  /** Answers of the attempt under way: kept for reconnects only once ssh has logged in with them. */
  private candidate: { password?: string; passphrases: Map<string, string> } = { passphrases: new Map() };
  private readonly log: Logger;
  private readonly ssh: string;

  constructor(private readonly options: OpenSshConnectionOptions) {
    this.id = options.id;
    this.label = options.label;
    this.log = new Logger(`openssh ${options.label}`);
    this.ssh = options.sshPath ?? 'ssh';
    this.loginPassword = options.password;
    this.redaction.add(options.password);
    this.redaction.add(options.sudoPassword);
  }

  get state(): ConnectionState {
    return this._state;
  }

  get hostInfo(): HostInfo | undefined {
    return this.info;
  }

  get privilegeDecision(): PrivilegeDecision | undefined {
    return this.privilege;
  }

  /** The master's ControlPath while connected (tests check it is gone after disconnect). */
  get controlPath(): string | undefined {
    return this.dir ? path.join(this.dir, 'cm') : undefined;
  }

  /** The master ssh process's PID while connected. */
  get masterPid(): number | undefined {
    return this.master?.pid;
  }

  onStateChange(listener: (state: ConnectionState) => void): DisposableLike {
    return this.stateEmitter.event(listener);
  }

  connect(token?: CancellationTokenLike): Promise<HostInfo> {
    if (this.disposed) {
      return Promise.reject(new ConnectionError(`The connection to ${this.label} was closed.`, 'closed'));
    }
    if (this._state.kind === 'connected' && this.info) {
      return Promise.resolve(this.info);
    }
    this.pending ??= this.doConnect(token).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  retryNow(): Promise<HostInfo> {
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
    }
    return this.connect();
  }

  private async doConnect(token?: CancellationTokenLike): Promise<HostInfo> {
    if (this._state.kind !== 'reconnecting') {
      this.setState({ kind: 'connecting' });
    }
    try {
      await this.startMaster(token);
    } catch (e) {
      this.teardownMaster();
      const err = e instanceof ConnectionError ? e : new ConnectionError(String((e as Error).message ?? e), 'connect');
      if (this._state.kind !== 'reconnecting') {
        this.setState({ kind: 'disconnected', reason: err.message });
      }
      throw err;
    }
    if (!this.privilege) {
      const fixed = this.options.sudoPassword;
      try {
        this.privilege = await decidePrivilege((argv, mode, stdin) => this.run(argv, mode, { stdin }), {
          hostLabel: this.label,
          secretKey: `sudo:${this.id}`,
          setting: this.options.sudo ?? 'auto',
          prompts: fixed !== undefined ? fixedSudoPassword(fixed) : this.options.prompts,
          secrets: this.options.secrets,
          log: this.log,
          redaction: this.redaction,
        });
      } catch (e) {
        this.teardownMaster();
        this.setState({ kind: 'disconnected', reason: (e as Error).message });
        throw e;
      }
    }
    this.info = { label: this.label, user: this.privilege.user, uid: this.privilege.uid, privilege: this.privilege.level };
    this.setState({ kind: 'connected' });
    this.log.info(`connected as ${this.info.user} (uid ${this.info.uid}, ${this.info.privilege}) through OpenSSH`);
    return this.info;
  }

  private async startMaster(token?: CancellationTokenLike): Promise<void> {
    // A private folder (0700) for the ControlPath and the askpass socket; short, as a Unix socket path
    // must fit in 104-108 bytes.
    const base = process.platform === 'win32' ? os.tmpdir() : fs.existsSync('/tmp') ? '/tmp' : os.tmpdir();
    this.candidate = { passphrases: new Map() };
    await sweepStaleDirs(base, this.log);
    const dir = await fs.promises.mkdtemp(path.join(base, 'nsx-ssh-'));
    await fs.promises.chmod(dir, 0o700);
    this.dir = dir;
    const controlPath = path.join(dir, 'cm');
    const askpass = new AskpassBridge(dir, (q, retry) => this.answer(q, retry), this.log);
    await askpass.start();
    this.askpass = askpass;
    const argv = masterArgv(this.options, controlPath);
    this.log.info(`connecting: ${this.ssh} ${argv.join(' ')}`);
    const master = spawn(this.ssh, argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...askpass.env() },
    });
    this.master = master;
    let stderr = '';
    let lineBuf = '';
    master.stderr!.setEncoding('utf8');
    master.stderr!.on('data', (c: string) => {
      stderr = (stderr + c).slice(-STDERR_KEPT);
      lineBuf += c;
      const lines = lineBuf.split('\n');
      lineBuf = lines.pop() ?? '';
      for (const l of lines) {
        if (l.trim()) {
          this.log.info(`ssh: ${l.replace(/\r$/, '')}`);
        }
      }
    });
    let exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
    master.once('error', (error) => {
      exit ??= { code: null, signal: null, error };
    });
    master.once('exit', (code, signal) => {
      exit ??= { code, signal };
    });
    const started = Date.now();
    let cancelled = false;
    const sub = token?.onCancellationRequested(() => {
      cancelled = true;
    });
    try {
      // Bounded: the master either authenticates (its socket appears), exits, or is cancelled.
      while (!fs.existsSync(controlPath)) {
        if (exit) {
          // Let the last stderr lines arrive.
          await new Promise((r) => setTimeout(r, 50));
          const said = stderr.trim();
          if (exit.error) {
            const missing = (exit.error as NodeJS.ErrnoException).code === 'ENOENT';
            throw new ConnectionError(
              missing
                ? `The OpenSSH client "${this.ssh}" was not found. Install OpenSSH (ssh) or set nsExplorer.transport to "ssh2".`
                : `Could not run ${this.ssh}: ${exit.error.message}`,
              'config',
            );
          }
          throw new ConnectionError(
            `ssh could not connect to ${this.label} (exit code ${exit.code ?? exit.signal})${said ? `: ${said}` : '.'}`,
            reasonOf(said),
          );
        }
        if (cancelled) {
          throw new ConnectionError(`Connecting to ${this.label} was cancelled.`, 'cancelled');
        }
        if (Date.now() - started > MASTER_READY_MAX_MS) {
          throw new ConnectionError(`ssh did not connect to ${this.label} within ${MASTER_READY_MAX_MS / 60_000} minutes.`, 'timeout');
        }
        await new Promise((r) => setTimeout(r, MASTER_POLL_MS));
      }
    } finally {
      sub?.dispose();
    }
    this.log.info(`master connection up (pid ${master.pid}) in ${Date.now() - started} ms`);
    // Logged in: what was typed worked (a wrong answer would have been asked again, or failed).
    if (this.candidate.password !== undefined) {
      this.loginPassword = this.candidate.password;
    }
    for (const [k, v] of this.candidate.passphrases) {
      this.passphrases.set(k, v);
    }
    this.candidate = { passphrases: new Map() };
    master.once('exit', (code, signal) => {
      const last = stderr.trim().split('\n').pop()?.trim();
      this.onLinkLost(master, last || `ssh exited (${signal ?? `code ${code}`})`);
    });
  }

  /** Answers one ssh prompt through the injected prompts (the VS Code layer shows input boxes). */
  private async answer(q: AskpassQuestion, retry: boolean): Promise<string | undefined> {
    const prompts = this.options.prompts;
    switch (q.kind) {
      case 'passphrase': {
        const known = this.passphrases.get(q.keyPath);
        if (known !== undefined && !retry) {
          return known;
        }
        const p = await prompts?.passphrase(q.keyPath, retry);
        if (p !== undefined) {
          this.redaction.add(p);
          this.candidate.passphrases.set(q.keyPath, p);
        }
        return p;
      }
      case 'password': {
        if (this.loginPassword !== undefined && !retry) {
          return this.loginPassword;
        }
        const p = await prompts?.password(this.label, q.user);
        if (p !== undefined) {
          this.redaction.add(p);
          this.candidate.password = p;
        }
        return p;
      }
      case 'hostKey': {
        if (!prompts) {
          return undefined;
        }
        const choice = await prompts.unknownHostKey({
          host: q.host,
          port: q.port,
          keyType: q.keyType,
          fingerprint: q.fingerprint,
          otherTypes: [],
          rememberOnly: true,
        });
        // OpenSSH records a key it accepts; it cannot trust one for this connection only.
        return choice === 'remember' ? 'yes' : 'no';
      }
      case 'notice':
        void prompts?.notice?.(this.label, q.text);
        return '';
      case 'confirm': {
        const answers = await prompts?.keyboardInteractive(this.label, 'ssh', q.text, [{ prompt: `${q.text} (yes/no)`, echo: true }]);
        return answers?.[0];
      }
      case 'other': {
        const answers = await prompts?.keyboardInteractive(this.label, 'ssh', '', [{ prompt: q.text, echo: false }]);
        answers?.forEach((a) => this.redaction.add(a));
        return answers?.[0];
      }
    }
  }

  private onLinkLost(master: ChildProcess, reason: string): void {
    if (this.master !== master) {
      return;
    }
    this.teardownMaster();
    this.info = undefined;
    for (const c of [...this.inflight]) {
      c.fail(`The connection to ${this.label} was lost (${reason}) while a command was running.`);
    }
    this.inflight.clear();
    if (this.disposed) {
      return;
    }
    this.log.warn(`connection lost: ${reason}`);
    this.setState({ kind: 'disconnected', reason });
    if (this.options.reconnect) {
      this.scheduleReconnect(1, reason);
    }
  }

  private scheduleReconnect(attempt: number, reason: string): void {
    if (this.disposed || attempt > RECONNECT_MAX_ATTEMPTS) {
      return;
    }
    const delay = Math.min(RECONNECT_MAX_DELAY_MS, 1000 * 2 ** (attempt - 1));
    this.setState({ kind: 'reconnecting', attempt, reason });
    this.reconnectTimer = setTimeout(() => {
      this.connect().then(
        () => this.log.info(`reconnected after ${attempt} attempt(s)`),
        (e: ConnectionError) => {
          if (e.reason === 'hostkey' || e.reason === 'auth' || e.reason === 'config') {
            this.setState({ kind: 'disconnected', reason: e.message });
            return;
          }
          this.scheduleReconnect(attempt + 1, e.message);
        },
      );
    }, delay);
  }

  /** Ends the master, every session and the askpass bridge, and removes the private folder. */
  private teardownMaster(): void {
    const master = this.master;
    this.master = undefined;
    for (const s of this.sessions) {
      s.kill('SIGTERM');
    }
    this.sessions.clear();
    if (master && master.exitCode === null && master.signalCode === null) {
      // SIGTERM: ssh closes the connection and removes its ControlPath.
      master.kill('SIGTERM');
    }
    this.askpass?.dispose();
    this.askpass = undefined;
    if (this.dir) {
      fs.rmSync(this.dir, { recursive: true, force: true });
      this.dir = undefined;
    }
  }

  private requireMaster(): string {
    const cp = this.controlPath;
    if (!this.master || !cp || (this._state.kind !== 'connected' && this._state.kind !== 'connecting' && this._state.kind !== 'reconnecting')) {
      const why = this._state.kind === 'disconnected' || this._state.kind === 'reconnecting' ? ` (${this._state.reason})` : '';
      throw new ConnectionError(`Not connected to ${this.label}${why}.`, 'closed');
    }
    return cp;
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (this._state.kind !== 'connected') {
      return Promise.reject(new ConnectionError(`Not connected to ${this.label}.`, 'closed'));
    }
    const { mode, stdin } = privilegedExec(this.privilege, options.privileged, options.stdin);
    return this.run(argv, mode, { ...options, stdin });
  }

  /** One session over the master; the connection's privilege only decides `mode`, never the caller. */
  private run(argv: readonly string[], mode: PrivilegeMode, options: ExecOptions): Promise<ExecResult> {
    let cp: string;
    try {
      cp = this.requireMaster();
    } catch (e) {
      return Promise.reject(e);
    }
    const master = this.master;
    const line = remoteCommandLine(argv, mode);
    this.log.trace(`exec ${commandLine(argv)}${mode.kind.startsWith('sudo') ? ' (sudo)' : ''}`);
    const child = spawn(this.ssh, sessionArgv(cp, line, false), { stdio: ['pipe', 'pipe', 'pipe'] });
    this.sessions.add(child);
    const collector = new ExecCollector(argv, options, () => child.kill('SIGTERM'), this.label);
    this.inflight.add(collector);
    collector.promise.then(
      () => this.inflight.delete(collector),
      () => this.inflight.delete(collector),
    );
    child.stdout!.on('data', (c: Buffer) => collector.stdout(c));
    child.stderr!.on('data', (c: Buffer) => collector.stderr(c));
    child.stdin!.on('error', () => undefined);
    child.once('error', (e) => collector.fail(`Could not start "${argv[0]}" on ${this.label}: ${e.message}`));
    child.once('close', (code, signal) => {
      this.sessions.delete(child);
      if (code === 255 && (this.master !== master || !fs.existsSync(cp))) {
        collector.fail(`"${argv[0]}" on ${this.label} ended without an exit status (the connection closed).`);
      } else if (code === 255) {
        // ssh's own failure and a remote exit status of 255 look alike: if the master dies meanwhile, the
        // connection was lost (onLinkLost fails the command first); else it was the command's status.
        setTimeout(() => collector.exit(255, undefined), SESSION_255_GRACE_MS);
      } else if (signal) {
        collector.fail(`"${argv[0]}" on ${this.label} was stopped (${signal}).`);
      } else {
        collector.exit(code, undefined);
      }
    });
    child.stdin!.end(options.stdin ?? '');
    return collector.promise;
  }

  async openPty(argv: readonly string[], options: PtyOptions): Promise<PtyChannel> {
    const cp = this.requireMaster();
    const decision = this.privilege;
    const { mode } = privilegedExec(decision, options.privileged, undefined);
    const password = mode.kind === 'sudo-password' ? decision?.password : undefined;
    const markers = password !== undefined ? ptySudoMarkers(crypto.randomBytes(8).toString('hex')) : undefined;
    // ssh has no local terminal here to take the size from: the remote side sets it, and reports its tty
    // so that a resize can set it again (stty -F TTY, which signals SIGWINCH to the foreground).
    const ttyToken = crypto.randomBytes(8).toString('hex');
    const line = sizedPtyCommandLine(ptyCommandLine(argv, mode, markers), options, ttyToken);
    this.log.info(`terminal: ${commandLine(argv)}${mode.kind.startsWith('sudo') ? ' (sudo)' : ''}`);
    const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color' };
    const child = spawn(this.ssh, sessionArgv(cp, line, true), { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.sessions.add(child);
    child.stdin!.on('error', () => undefined);
    let tty: string | undefined;
    let size = { cols: options.cols, rows: options.rows };
    // Input and resizes in order: what is typed after a resize reaches the terminal once it has the new
    // size, as with ssh2's window-change request on the same channel.
    let order: Promise<unknown> = Promise.resolve();
    let resizing = 0;
    const applySize = () => {
      if (!tty) {
        return;
      }
      const device = tty;
      const want = { ...size };
      resizing++;
      order = order
        .then(() => this.run(['stty', '-F', device, 'rows', String(want.rows), 'cols', String(want.cols)], { kind: 'none' }, { timeoutMs: 10_000 }))
        .catch((e: Error) => this.log.warn(`terminal resize: ${e.message}`))
        .finally(() => resizing--);
    };
    const { channel, events } = ptyChannel(
      {
        write: (d) => {
          if (resizing > 0) {
            order = order.then(() => child.stdin!.write(d));
          } else {
            child.stdin!.write(d);
          }
        },
        resize: (s) => {
          size = { cols: s.cols, rows: s.rows };
          applySize();
        },
        close: () => child.kill('SIGTERM'),
      },
      markers && password !== undefined ? { markers, password, user: decision?.user ?? '?' } : undefined,
      this.log,
    );
    // Until the tty line has come, output is held and searched for it (bounded).
    let head: Buffer | undefined = Buffer.alloc(0);
    const onOutput = (c: Buffer) => {
      if (head === undefined) {
        events.output(c);
        return;
      }
      head = Buffer.concat([head, c]);
      const found = parsePtyTtyLine(head, ttyToken);
      if (found) {
        tty = found.tty;
        head = undefined;
        if (found.before.length) {
          events.output(found.before);
        }
        if (size.cols !== options.cols || size.rows !== options.rows) {
          applySize();
        }
        if (found.after.length) {
          events.output(found.after);
        }
      } else if (head.length > 64 * 1024) {
        const all = head;
        head = undefined;
        this.log.warn('terminal: no tty report from the host; resizing is off for this terminal');
        events.output(all);
      }
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', (e) => {
      events.output(Buffer.from(`\r\n${e.message}\r\n`));
      events.closed(null);
    });
    child.once('close', (code, signal) => {
      this.sessions.delete(child);
      if (head && head.length) {
        events.output(head);
      }
      events.closed(signal ? null : code, signal ?? undefined);
    });
    return channel;
  }

  private setState(state: ConnectionState): void {
    this._state = state;
    this.stateEmitter.fire(state);
  }

  dispose(): void {
    this.disposed = true;
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
    }
    this.teardownMaster();
    this.loginPassword = undefined;
    this.passphrases.clear();
    this.candidate = { passphrases: new Map() };
    forgetPrivilege(this.privilege, this.redaction);
    this.redaction.forget();
    this.options.password = undefined;
    this.options.sudoPassword = undefined;
    this.setState({ kind: 'disposed' });
    this.stateEmitter.dispose();
  }
}
