/**
 * A host reached over SSH with ssh2: one connection per host, every command and terminal a channel on it.
 * Honours the resolved ssh config (ProxyJump chains, identities, known hosts, keepalive), checks host keys
 * as strictly as OpenSSH, authenticates in OpenSSH's order, decides privilege once, and reconnects with
 * backoff after a dropped link.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import { Client, ClientChannel, ConnectConfig, utils as sshUtils } from 'ssh2';
import { commandLine, PrivilegeMode, ptyCommandLine, ptySudoMarkers, remoteCommandLine } from './commandLine';
import { ptyChannel } from './ptyChannel';
import { Emitter } from './events';
import { loadIdentity } from './identity';
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
  PtySize,
} from './hostConnection';
import {
  appendKnownHost,
  fingerprintSha256,
  formatKnownHostsLine,
  hostKeyAlgorithmsFor,
  KnownHostsEntry,
  knownHostsName,
  keyTypeOfBlob,
  loadKnownHosts,
  loadRevokedHostKeys,
  RevokedHostKeys,
  verifyHostKeyInEntries,
} from './knownHosts';
import { Logger, SecretScope } from './log';
import { decidePrivilege, fixedSudoPassword, forgetPrivilege, PrivilegeDecision, privilegedExec, SecretStoreLike, SudoPrompts, SudoSetting } from './privilege';
import { ProxyProcess, startProxyCommand } from './proxyCommand';
import { agentSocketFor } from './platformPaths';
import { ResolvedHost } from './sshConfig';

export type HostKeyChoice = 'remember' | 'once' | 'cancel';

export interface HostKeyQuestion {
  host: string;
  port: number;
  keyType: string;
  fingerprint: string;
  /** Key types the host is already known by, as OpenSSH warns. */
  otherTypes: string[];
  /** The transport can only remember an accepted key, not trust it once (OpenSSH): offer no "once". */
  rememberOnly?: boolean;
}

export interface SshPrompts extends SudoPrompts {
  password(hostLabel: string, user: string): Promise<string | undefined>;
  passphrase(keyPath: string, retry: boolean): Promise<string | undefined>;
  keyboardInteractive(
    hostLabel: string,
    name: string,
    instructions: string,
    prompts: Array<{ prompt: string; echo: boolean }>,
  ): Promise<string[] | undefined>;
  unknownHostKey(question: HostKeyQuestion): Promise<HostKeyChoice>;
  /** Something to tell the user that needs no answer (OpenSSH: "Confirm user presence for key …"). */
  notice?(hostLabel: string, text: string): Promise<void>;
}

export interface SshConnectionOptions {
  id: string;
  label: string;
  target: ResolvedHost;
  prompts?: SshPrompts;
  secrets?: SecretStoreLike;
  sudo?: SudoSetting;
  /** Accept and remember an unknown host key without asking (CLI --accept-new-host-key). */
  acceptNewHostKey?: boolean;
  /** A login password given up front (CLI --password-env). */
  password?: string;
  /** A sudo password given up front (CLI --sudo-password-env). */
  sudoPassword?: string;
  /** SSH agent socket; defaults to $SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** Keepalive when ssh config sets no ServerAliveInterval; 0 turns it off. */
  keepaliveSeconds?: number;
  /** Reconnect after a dropped link (the extension does; the CLI does not). */
  reconnect?: boolean;
}

interface Hop {
  client: Client;
  target: ResolvedHost;
  /** The first hop's ProxyCommand, killed with the connection. */
  proxy?: ProxyProcess;
}

const RECONNECT_MAX_ATTEMPTS = 40;
const RECONNECT_MAX_DELAY_MS = 30_000;

export class SshConnection implements HostConnection {
  readonly id: string;
  readonly label: string;
  private _state: ConnectionState = { kind: 'connecting' };
  private readonly stateEmitter = new Emitter<ConnectionState>();
  private hops: Hop[] = [];
  private pending: Promise<HostInfo> | undefined;
  private privilege: PrivilegeDecision | undefined;
  private info: HostInfo | undefined;
  private readonly inflight = new Set<ExecCollector>();
  private readonly ptys = new Set<ClientChannel>();
  private disposed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Secrets that worked, kept in memory so a reconnect needs no prompt. */
  private readonly passphrases = new Map<string, string>();
  private loginPassword: string | undefined;
  /** Every password and passphrase of this connection, masked in the log until dispose. */
  private readonly redaction = new SecretScope();
  /** Host keys the user trusted once (not written to known_hosts), by known_hosts name (knownHostsName). */
  private readonly trustedOnce = new Map<string, Buffer>();
  private readonly log: Logger;

  constructor(private readonly options: SshConnectionOptions) {
    this.id = options.id;
    this.label = options.label;
    this.log = new Logger(`ssh ${options.label}`);
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

  onStateChange(listener: (state: ConnectionState) => void): DisposableLike {
    return this.stateEmitter.event(listener);
  }

  /** Concurrent callers share one pending attempt. */
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

  private async doConnect(token?: CancellationTokenLike): Promise<HostInfo> {
    if (this._state.kind !== 'reconnecting') {
      this.setState({ kind: 'connecting' });
    }
    const chain = [...this.options.target.proxyJump, this.options.target];
    const hops: Hop[] = [];
    let proxy: ProxyProcess | undefined;
    const cancelSub = token?.onCancellationRequested(() => {
      hops.forEach((h) => h.client.end());
      proxy?.kill();
    });
    try {
      let sock: NodeJS.ReadableStream | undefined;
      for (let i = 0; i < chain.length; i++) {
        const target = chain[i];
        if (token?.isCancellationRequested) {
          throw new ConnectionError(`Connecting to ${this.label} was cancelled.`, 'cancelled');
        }
        if (i === 0 && target.proxyCommand !== null) {
          proxy = startProxyCommand(target.proxyCommand, this.log);
          sock = proxy.sock;
        }
        let client: Client;
        try {
          client = await this.connectHop(target, sock, i === chain.length - 1);
        } catch (e) {
          // A ProxyCommand that failed explains the failure better than ssh2's "connection lost".
          const why = i === 0 && proxy && !(e instanceof ConnectionError && (e.reason === 'hostkey' || e.reason === 'auth'))
            ? await proxy.failure(`${target.user}@${target.hostname}:${target.port}`)
            : undefined;
          throw why ?? e;
        }
        hops.push({ client, target, proxy: i === 0 ? proxy : undefined });
        if (i < chain.length - 1) {
          const next = chain[i + 1];
          sock = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
            client.forwardOut('127.0.0.1', 0, next.hostname, next.port, (err, stream) =>
              err
                ? reject(new ConnectionError(`Jump host ${target.alias} could not reach ${next.hostname}:${next.port}: ${err.message}`, 'connect'))
                : resolve(stream),
            );
          });
        }
      }
    } catch (e) {
      for (const h of hops.reverse()) {
        h.client.end();
      }
      proxy?.kill();
      const err = e instanceof ConnectionError ? e : new ConnectionError(String((e as Error).message ?? e), 'connect');
      if (this._state.kind !== 'reconnecting') {
        this.setState({ kind: 'disconnected', reason: err.message });
      }
      throw err;
    } finally {
      cancelSub?.dispose();
    }
    this.hops = hops;
    const last = hops[hops.length - 1].client;
    last.on('close', () => this.onLinkLost(last, 'the connection was closed'));
    last.on('error', (e: Error) => this.onLinkLost(last, e.message));
    for (const h of hops.slice(0, -1)) {
      h.client.on('close', () => this.onLinkLost(last, `jump host ${h.target.alias} closed the connection`));
    }
    if (!this.privilege) {
      const fixed = this.options.sudoPassword;
      try {
        this.privilege = await decidePrivilege((argv, mode, stdin) => this.run(argv, mode, { stdin }), {
          hostLabel: this.label,
          secretKey: `sudo:${this.id}`,
          setting: this.options.sudo ?? 'auto',
          prompts:
            fixed !== undefined ? fixedSudoPassword(fixed) : this.options.prompts,
          secrets: this.options.secrets,
          log: this.log,
          redaction: this.redaction,
        });
      } catch (e) {
        // Without a privilege decision the host is unusable: close the link rather than leave it open
        // in state "connecting".
        this.hops = [];
        endHops(hops);
        this.setState({ kind: 'disconnected', reason: (e as Error).message });
        throw e;
      }
    }
    this.info = {
      label: this.label,
      user: this.privilege.user,
      uid: this.privilege.uid,
      privilege: this.privilege.level,
    };
    this.setState({ kind: 'connected' });
    this.log.info(`connected as ${this.info.user} (uid ${this.info.uid}, ${this.info.privilege})`);
    return this.info;
  }

  /**
   * What the host key check needs, read before connecting: known_hosts (whose key types order the host
   * key algorithms, as OpenSSH does) and the RevokedHostKeys file, which fails closed.
   */
  private async hostKeyContext(target: ResolvedHost): Promise<{ entries: KnownHostsEntry[]; revoked?: RevokedHostKeys; algorithms: string[] }> {
    const name = knownHostsName(target.hostname, target.port, target.hostKeyAlias);
    let entries: KnownHostsEntry[];
    let revoked: RevokedHostKeys | undefined;
    try {
      const known = await loadKnownHosts([...target.userKnownHostsFiles, ...target.globalKnownHostsFiles]);
      for (const p of known.problems) {
        this.log.warn(`${p.file} line ${p.line} skipped: ${p.message}`);
      }
      entries = known.entries;
      if (target.revokedHostKeys !== null) {
        revoked = await loadRevokedHostKeys(target.revokedHostKeys);
      }
    } catch (e) {
      this.log.error((e as Error).message);
      throw new ConnectionError(`Cannot check the host key of ${name}: ${(e as Error).message}`, 'hostkey');
    }
    const algorithms = hostKeyAlgorithmsFor(target.hostKeyAlgorithms, entries, name);
    this.log.debug(`host key algorithms for ${name}: ${algorithms.join(',')}`);
    return { entries, revoked, algorithms };
  }

  private async connectHop(target: ResolvedHost, sock: NodeJS.ReadableStream | undefined, isFinal: boolean): Promise<Client> {
    const where = `${target.user}@${target.hostname}:${target.port}`;
    this.log.info(`connecting to ${where}${sock ? ' through the jump host' : ''}`);
    const hostKeys = await this.hostKeyContext(target);
    return new Promise<Client>((resolve, reject) => {
      const client = new Client();
      let hostKeyFailure: ConnectionError | undefined;
      const tried: string[] = [];
      /** Why identity files the user named could not be used, added to an authentication failure. */
      const problems: string[] = [];
      let settled = false;
      const fail = (err: ConnectionError) => {
        if (!settled) {
          settled = true;
          client.end();
          reject(err);
        }
      };
      client.once('ready', () => {
        settled = true;
        // Small SSH packets (a channel request, a keystroke, a channel close) go out at once instead of
        // waiting for the previous one's ACK: without this every exec took ~40 ms longer (Nagle against
        // delayed ACKs), as OpenSSH avoids with TCP_NODELAY for interactive sessions.
        client.setNoDelay(true);
        resolve(client);
      });
      const authFailure = (extra = ''): ConnectionError =>
        new ConnectionError(
          `Authentication to ${where} failed. Tried: ${tried.length ? [...new Set(tried)].join(', ') : 'no method'}.` +
            problems.map((p) => ` ${p}`).join('') +
            (extra ? ` ${extra}` : ''),
          'auth',
        );
      client.once('error', (e: Error & { level?: string }) => {
        if (hostKeyFailure) {
          fail(hostKeyFailure);
        } else if (e.level === 'client-authentication') {
          fail(authFailure());
        } else if (e.level === 'client-timeout' || /Timed out/i.test(e.message)) {
          fail(new ConnectionError(`Connecting to ${where} timed out.`, 'timeout'));
        } else {
          fail(new ConnectionError(`Cannot connect to ${where}: ${e.message}`, 'connect'));
        }
      });
      client.once('close', () => fail(hostKeyFailure ?? new ConnectionError(`${where} closed the connection.`, 'connect')));
      const config: ConnectConfig = {
        host: sock ? undefined : target.hostname,
        port: sock ? undefined : target.port,
        sock: sock as ConnectConfig['sock'],
        username: target.user,
        readyTimeout: (target.connectTimeout ?? 20) * 1000,
        // ServerAliveInterval from ssh config wins; else the extension's keepalive setting (0 = off).
        keepaliveInterval: (target.serverAliveInterval || (this.options.keepaliveSeconds ?? 15)) * 1000,
        keepaliveCountMax: target.serverAliveCountMax ?? 3,
        // Known key types first, so a host known by one key type is asked for that one (no first-use prompt).
        algorithms: { serverHostKey: hostKeys.algorithms as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
        hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
          this.verifyHostKey(target, key, hostKeys.entries, hostKeys.revoked).then(
            () => verify(true),
            (e: ConnectionError) => {
              hostKeyFailure = e;
              verify(false);
            },
          );
        }) as unknown as ConnectConfig['hostVerifier'],
        authHandler: this.authHandler(target, tried, problems, isFinal, (why) => fail(authFailure(why))) as unknown as ConnectConfig['authHandler'],
      };
      try {
        client.connect(config);
      } catch (e) {
        fail(new ConnectionError(`Cannot connect to ${where}: ${(e as Error).message}`, 'connect'));
      }
    });
  }

  private async verifyHostKey(target: ResolvedHost, key: Buffer, entries: readonly KnownHostsEntry[], revoked?: RevokedHostKeys): Promise<void> {
    const alias = target.hostKeyAlias;
    const host = alias ?? target.hostname;
    const port = target.port;
    const keyType = keyTypeOfBlob(key) ?? 'unknown';
    const fingerprint = fingerprintSha256(key);
    const files = target.userKnownHostsFiles;
    let verdict;
    try {
      verdict = verifyHostKeyInEntries({ host: target.hostname, port, hostKeyAlias: alias, keyBlob: key }, entries, revoked);
    } catch (e) {
      throw new ConnectionError(`The host key of ${target.hostname}:${port} cannot be checked: ${(e as Error).message}`, 'hostkey');
    }
    // As OpenSSH names it in known_hosts: the bare alias, or host / [host]:port.
    const name = knownHostsName(target.hostname, port, alias);
    if (verdict.status === 'known') {
      return;
    }
    if (verdict.status === 'revoked') {
      const where = verdict.line > 0 ? `${verdict.file}:${verdict.line}` : verdict.file;
      this.log.error(`host key of ${name} (${keyType} ${fingerprint}) is revoked by ${where}`);
      const listed = verdict.source === 'RevokedHostKeys' ? `listed in your RevokedHostKeys file ${where}` : `marked @revoked in ${where}`;
      throw new ConnectionError(
        `The host key of ${name} (${keyType} ${fingerprint}) is ${listed}. Refusing to connect: the key was revoked, so ` +
          'someone else may be answering for this host. Ask its administrator for its current key.',
        'hostkey',
      );
    }
    if (verdict.status === 'changed') {
      this.log.error(`host key of ${name} changed: now ${keyType} ${fingerprint}, known in ${verdict.file}:${verdict.line}`);
      throw new ConnectionError(
        `WARNING: the host key of ${name} has changed (${keyType} ${fingerprint}). Someone may be intercepting the ` +
          `connection (a man-in-the-middle attack), or the host key was replaced. The known key is in ` +
          `${verdict.file} line ${verdict.line}. If you are sure the change is legitimate, remove that line ` +
          `(ssh-keygen -R "${name}" -f ${verdict.file}) and connect again.`,
        'hostkey',
      );
    }
    const once = this.trustedOnce.get(name);
    if (once && once.equals(key)) {
      return;
    }
    const remember = async () => {
      const file = files[0];
      if (file === undefined) {
        throw new ConnectionError(`The host key of ${name} cannot be remembered: UserKnownHostsFile is none.`, 'hostkey');
      }
      try {
        await appendKnownHost(file, formatKnownHostsLine(target.hostname, port, keyType, key, { hostKeyAlias: alias }));
      } catch (e) {
        throw new ConnectionError((e as Error).message, 'hostkey');
      }
      this.log.info(`added ${name} ${keyType} ${fingerprint} to ${file}`);
    };
    const strict = target.strictHostKeyChecking;
    if (this.options.acceptNewHostKey || strict === 'accept-new') {
      return remember();
    }
    if (strict === 'no') {
      this.log.warn(`accepting unknown host key of ${name} (${keyType} ${fingerprint}): StrictHostKeyChecking ${strict}`);
      this.trustedOnce.set(name, key);
      return;
    }
    if (strict === 'yes' || !this.options.prompts) {
      throw new ConnectionError(
        `The host key of ${name} is not known (${keyType} ${fingerprint}). ` +
          (strict === 'yes'
            ? 'StrictHostKeyChecking is yes; add the key to your known_hosts first.'
            : 'Verify the fingerprint, then connect with --accept-new-host-key or add it to known_hosts.'),
        'hostkey',
      );
    }
    const choice = await this.options.prompts.unknownHostKey({ host, port, keyType, fingerprint, otherTypes: verdict.otherTypes });
    if (choice === 'remember') {
      return remember();
    }
    if (choice === 'once') {
      this.trustedOnce.set(name, key);
      return;
    }
    throw new ConnectionError(`Connection to ${name} cancelled: its host key was not trusted.`, 'hostkey');
  }

  /** OpenSSH's order: agent, identity files, password, keyboard-interactive. */
  private authHandler(target: ResolvedHost, tried: string[], problems: string[], isFinal: boolean, cancel: (why: string) => void) {
    type Auth = Record<string, unknown> & { type: string };
    const queue: Array<() => Promise<Auth | undefined>> = [];
    const username = target.user;
    // An explicit socket (CLI, tests) wins; then IdentityAgent from ssh config; then $SSH_AUTH_SOCK or the
    // platform's agent (Windows: the OpenSSH agent pipe, else Pageant).
    const agent = this.options.agentSocket ?? agentSocketFor(target.identityAgent);
    if (agent && !target.identitiesOnly && (agent === 'pageant' || agent.startsWith('\\\\.\\pipe\\') || fs.existsSync(agent))) {
      queue.push(async () => {
        tried.push('agent');
        return { type: 'agent', username, agent };
      });
    }
    for (const file of target.identityFiles) {
      queue.push(async () => this.identityAuth(username, file, tried, target.identityFilesFromConfig ? problems : undefined));
    }
    queue.push(async () => {
      const password = this.loginPassword ?? (await this.options.prompts?.password(this.hopLabel(target, isFinal), username));
      if (password === undefined) {
        return undefined;
      }
      this.redaction.add(password);
      tried.push('password');
      // Keep it for reconnects once the server accepts it (cleared on dispose).
      this.loginPassword = password;
      return { type: 'password', username, password };
    });
    queue.push(async () => {
      tried.push('keyboard-interactive');
      return {
        type: 'keyboard-interactive',
        username,
        prompt: (
          name: string,
          instructions: string,
          _lang: string,
          prompts: Array<{ prompt: string; echo: boolean }>,
          finish: (answers: string[]) => void,
        ) => {
          if (prompts.length === 0) {
            finish([]);
            return;
          }
          const known = this.loginPassword;
          if (known !== undefined && prompts.every((p) => /password/i.test(p.prompt))) {
            finish(prompts.map(() => known));
            return;
          }
          void (this.options.prompts?.keyboardInteractive(this.hopLabel(target, isFinal), name, instructions, prompts) ??
            Promise.resolve(undefined)).then((answers) => {
            if (!answers) {
              // No one to ask, or the user cancelled: stop here rather than send blank answers, which
              // the server would count as a failed login (MaxAuthTries, lockouts, fail2ban).
              cancel(`It needs answers to keyboard-interactive prompts (${prompts.map((p) => JSON.stringify(p.prompt.trim())).join(', ')}) and none were given.`);
              return;
            }
            answers.forEach((a) => this.redaction.add(a));
            finish(answers);
          });
        },
      };
    });
    const methodOf: Record<string, string> = { agent: 'publickey', publickey: 'publickey' };
    return (methodsLeft: string[] | null, _partial: boolean, next: (auth: Auth | false) => void) => {
      const step = async (): Promise<void> => {
        while (queue.length > 0) {
          const make = queue.shift()!;
          const auth = await make();
          if (!auth) {
            continue;
          }
          const method = methodOf[auth.type] ?? auth.type;
          if (methodsLeft && !methodsLeft.includes(method)) {
            continue;
          }
          next(auth);
          return;
        }
        next(false);
      };
      step().catch(() => next(false));
    };
  }

  private hopLabel(target: ResolvedHost, isFinal: boolean): string {
    return isFinal ? this.label : `${target.user}@${target.hostname} (jump host)`;
  }

  /** `problems` is given for files the user named (config or --identity), whose failure is worth telling. */
  private async identityAuth(
    username: string,
    file: string,
    tried: string[],
    problems?: string[],
  ): Promise<Record<string, unknown> & { type: string } | undefined> {
    let data: Buffer;
    try {
      data = await fs.promises.readFile(file);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' || problems) {
        // loadIdentity words why (missing, a folder, permissions) and what to do.
        const { message } = await loadIdentity(file);
        this.log.warn(message);
        problems?.push(message);
      }
      return undefined;
    }
    let passphrase = this.passphrases.get(file);
    let parsed = sshUtils.parseKey(data, passphrase);
    let retry = false;
    for (let attempt = 0; parsed instanceof Error && /encrypted|passphrase|bad decrypt/i.test(parsed.message) && attempt < 3; attempt++) {
      passphrase = await this.options.prompts?.passphrase(file, retry);
      if (passphrase === undefined) {
        problems?.push(`Identity file ${file} is protected by a passphrase, and none was given.`);
        return undefined;
      }
      this.redaction.add(passphrase);
      parsed = sshUtils.parseKey(data, passphrase);
      retry = true;
    }
    if (parsed instanceof Error) {
      this.log.warn(`identity file ${file} not usable: ${parsed.message}`);
      problems?.push(`Identity file ${file} is not usable: ${parsed.message}.`);
      return undefined;
    }
    if (passphrase !== undefined) {
      this.passphrases.set(file, passphrase);
    }
    tried.push(`publickey (${file.replace(os.homedir(), '~')})`);
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    return { type: 'publickey', username, key };
  }

  private onLinkLost(client: Client, reason: string): void {
    if (this.hops.length === 0 || this.hops[this.hops.length - 1].client !== client) {
      return;
    }
    endHops(this.hops);
    this.hops = [];
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
          if (e.reason === 'hostkey' || e.reason === 'auth') {
            this.setState({ kind: 'disconnected', reason: e.message });
            return;
          }
          this.scheduleReconnect(attempt + 1, e.message);
        },
      );
    }, delay);
  }

  /** Reconnect now (the tree's Retry), dropping any scheduled attempt. */
  retryNow(): Promise<HostInfo> {
    if (this.reconnectTimer) {
      clearTimeout(this.reconnectTimer);
    }
    return this.connect();
  }

  private get client(): Client {
    const hop = this.hops[this.hops.length - 1];
    if (!hop || this._state.kind !== 'connected') {
      const why = this._state.kind === 'disconnected' || this._state.kind === 'reconnecting' ? ` (${this._state.reason})` : '';
      throw new ConnectionError(`Not connected to ${this.label}${why}.`, 'closed');
    }
    return hop.client;
  }

  exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const { mode, stdin } = privilegedExec(this.privilege, options.privileged, options.stdin);
    return this.run(argv, mode, { ...options, stdin });
  }

  /** One exec channel; the connection's privilege only decides `mode`, never the caller. */
  private run(argv: readonly string[], mode: PrivilegeMode, options: ExecOptions): Promise<ExecResult> {
    let client: Client;
    try {
      client = this.hops[this.hops.length - 1]?.client ?? this.client;
    } catch (e) {
      return Promise.reject(e);
    }
    const line = remoteCommandLine(argv, mode);
    this.log.trace(`exec ${commandLine(argv)}${mode.kind.startsWith('sudo') ? ' (sudo)' : ''}`);
    let channel: ClientChannel | undefined;
    const collector = new ExecCollector(
      argv,
      options,
      () => {
        if (channel) {
          try {
            signalChannel(channel, 'TERM');
          } catch {
            // the channel may be gone
          }
          channel.close();
        }
      },
      this.label,
    );
    this.inflight.add(collector);
    collector.promise.then(
      () => this.inflight.delete(collector),
      () => this.inflight.delete(collector),
    );
    client.exec(line, (err, stream) => {
      if (err) {
        collector.fail(`Could not start "${argv[0]}" on ${this.label}: ${err.message}`);
        return;
      }
      channel = stream;
      let code: number | null = null;
      let signal: string | undefined;
      stream.on('data', (c: Buffer) => collector.stdout(c));
      stream.stderr.on('data', (c: Buffer) => collector.stderr(c));
      stream.on('exit', (c: number | null, s?: string) => {
        code = c;
        signal = s ?? undefined;
      });
      stream.on('close', () => {
        if (code === null && signal === undefined) {
          collector.fail(`"${argv[0]}" on ${this.label} ended without an exit status (the session closed).`);
        } else {
          collector.exit(code, signal);
        }
      });
      stream.end(options.stdin ?? '');
    });
    return collector.promise;
  }

  async openPty(argv: readonly string[], options: PtyOptions): Promise<PtyChannel> {
    const client = this.client;
    const decision = this.privilege;
    const { mode } = privilegedExec(decision, options.privileged, undefined);
    const password = mode.kind === 'sudo-password' ? decision?.password : undefined;
    // With a sudo password, the password is written only at sudo's own prompt, and output and input are
    // held until sudo is done with the terminal (see ptyCommandLine and PtySudoGate).
    const markers = password !== undefined ? ptySudoMarkers(crypto.randomBytes(8).toString('hex')) : undefined;
    const line = ptyCommandLine(argv, mode, markers);
    this.log.info(`terminal: ${commandLine(argv)}${mode.kind.startsWith('sudo') ? ' (sudo)' : ''}`);
    const stream = await new Promise<ClientChannel>((resolve, reject) => {
      client.exec(
        line,
        { pty: { cols: options.cols, rows: options.rows, term: 'xterm-256color' }, env: options.env },
        (err, s) => (err ? reject(new ConnectionError(`Could not open a terminal on ${this.label}: ${err.message}`, 'closed')) : resolve(s)),
      );
    });
    this.ptys.add(stream);
    let exit: { code: number | null; signal?: string } = { code: null };
    const { channel, events } = ptyChannel(
      {
        write: (d) => stream.write(d),
        resize: (size: PtySize) => stream.setWindow(size.rows, size.cols, 0, 0),
        close: () => stream.close(),
      },
      markers && password !== undefined ? { markers, password, user: decision?.user ?? '?' } : undefined,
      this.log,
    );
    stream.on('data', (c: Buffer) => events.output(c));
    stream.stderr.on('data', (c: Buffer) => events.output(c));
    stream.on('exit', (code: number | null, signal?: string) => {
      exit = { code, signal: signal ?? undefined };
    });
    stream.on('close', () => {
      this.ptys.delete(stream);
      events.closed(exit.code, exit.signal);
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
    for (const p of this.ptys) {
      p.close();
    }
    endHops(this.hops);
    this.hops = [];
    this.loginPassword = undefined;
    this.passphrases.clear();
    // Disconnected: the sudo password, passphrases and login password are forgotten, and so no longer
    // masked in the log (nothing of this connection can log them any more).
    forgetPrivilege(this.privilege, this.redaction);
    this.options.password = undefined;
    this.options.sudoPassword = undefined;
    this.setState({ kind: 'disposed' });
    this.stateEmitter.dispose();
  }
}

/** Close every hop, last first, and kill the first hop's ProxyCommand. */
function endHops(hops: readonly Hop[]): void {
  for (const h of [...hops].reverse()) {
    h.client.end();
    h.proxy?.kill();
  }
}

/**
 * Sends a signal request on a session channel (RFC 4254 6.9): sshd signals the command's process group,
 * and the orphan guard there kills the command's whole group. ssh2's Channel.signal() sends nothing once
 * the channel's stdin is ended (every exec ends it at once), so the request goes through the channel's
 * protocol object while the channel is open (its stdin ended: state "eof"); otherwise through signal().
 */
export function signalChannel(channel: ClientChannel, name: 'TERM' | 'INT' | 'HUP' | 'KILL'): void {
  const c = channel as unknown as {
    type?: string;
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, signal: string) => void } };
  };
  const protocol = c._client?._protocol;
  if (c.type === 'session' && (c.outgoing?.state === 'open' || c.outgoing?.state === 'eof') && typeof c.outgoing.id === 'number' && typeof protocol?.signal === 'function') {
    protocol.signal(c.outgoing.id, name);
  } else {
    channel.signal(name);
  }
}
