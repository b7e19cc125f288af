// "Connect like the user's own ssh does", against the lab's real sshd: keys, passphrases, passwords, an
// agent, ProxyJump through ssh config, host keys, privilege, and faults (a killed session, a cut link).
// Run while the lab is up:  npx mocha --timeout 120000 out/test/lab/host.test.js
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { openConnection, OpenOptions } from '../../src/host/connect';
import { CancellationSourceLike, ConnectionError, ConnectionState, HostConnection } from '../../src/host/hostConnection';
import { LogLevel, setLogSink } from '../../src/host/log';
import { PrivilegeError } from '../../src/host/privilege';
import { HostKeyChoice, HostKeyQuestion, SshConnection, SshPrompts } from '../../src/host/sshConnection';
import { LabEnv, loadLab } from './labEnv';

interface PromptCalls {
  password: string[];
  passphrase: Array<{ file: string; retry: boolean }>;
  sudo: boolean[];
  hostKey: HostKeyQuestion[];
}

/** Prompts answered from queues (undefined once a queue is empty); every call is recorded. */
function scriptedPrompts(answers: {
  password?: string[];
  passphrase?: string[];
  sudo?: string[];
  hostKey?: HostKeyChoice;
}): { prompts: SshPrompts; calls: PromptCalls } {
  const calls: PromptCalls = { password: [], passphrase: [], sudo: [], hostKey: [] };
  const password = [...(answers.password ?? [])];
  const passphrase = [...(answers.passphrase ?? [])];
  const sudo = [...(answers.sudo ?? [])];
  const prompts: SshPrompts = {
    password: async (_label, user) => {
      calls.password.push(user);
      return password.shift();
    },
    passphrase: async (file, retry) => {
      calls.passphrase.push({ file, retry });
      return passphrase.shift();
    },
    keyboardInteractive: async () => undefined,
    sudoPassword: async (_label, _user, retry) => {
      calls.sudo.push(retry);
      return sudo.shift();
    },
    unknownHostKey: async (q) => {
      calls.hostKey.push(q);
      return answers.hostKey ?? 'cancel';
    },
  };
  return { prompts, calls };
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30_000 }).trim();
}

interface Proc {
  pid: number;
  ppid: number;
  user: string;
  args: string;
}

function processes(): Proc[] {
  return sh('ps', ['-eo', 'pid=,ppid=,user:32=,args=']).split('\n').flatMap((line) => {
    const m = /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    return m ? [{ pid: Number(m[1]), ppid: Number(m[2]), user: m[3], args: m[4] }] : [];
  });
}

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

/** Poll `check` every 100 ms until it holds or `ms` pass; returns the elapsed ms, or -1. */
async function waitFor(check: () => boolean, ms: number): Promise<number> {
  const start = Date.now();
  for (let i = 0; i < Math.ceil(ms / 100) + 1; i++) {
    if (check()) {
      return Date.now() - start;
    }
    if (Date.now() - start > ms) {
      break;
    }
    await sleep(100);
  }
  return check() ? Date.now() - start : -1;
}

describe('host layer against the lab sshd', function () {
  this.timeout(120_000);
  let lab: LabEnv;
  let tmp: string;
  let emptyConfig: string;
  let open: HostConnection[] = [];

  before(function () {
    lab = loadLab();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-hosttest-'));
    emptyConfig = path.join(tmp, 'empty_config');
    fs.writeFileSync(emptyConfig, '');
  });
  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });
  afterEach(function () {
    for (const c of open) c.dispose();
    open = [];
    setLogSink({ log: () => undefined });
  });

  const direct = (user: string) => `${user}@${lab.ssh.host}:${lab.ssh.port}`;

  /** openConnection with nothing from ~/.ssh, /etc/ssh or $SSH_AUTH_SOCK unless the test says so. */
  async function conn(target: string, options: OpenOptions = {}): Promise<SshConnection> {
    const c = await openConnection(target, {
      sshConfig: { configPath: emptyConfig, systemConfigPath: null },
      knownHosts: [lab.ssh.knownHosts],
      agentSocket: '',
      ...options,
    });
    open.push(c);
    assert.ok(c instanceof SshConnection, 'expected an SSH connection');
    return c;
  }

  async function remoteEnv(c: HostConnection, name: string): Promise<string> {
    const r = await c.exec(['printenv', name]);
    return r.stdout.trim();
  }

  describe('authentication', function () {
    it('logs in with an ed25519 key', async function () {
      const { prompts, calls } = scriptedPrompts({});
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path], prompts, sudo: 'never' });
      const info = await c.connect();
      assert.strictEqual(info.user, 'nsxkey');
      assert.strictEqual(info.uid, lab.users.nsxkey.uid);
      assert.deepStrictEqual(calls.password, [], 'no password prompt for a key login');
    });

    it('logs in with an RSA key in PEM format', async function () {
      const { prompts, calls } = scriptedPrompts({});
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.rsaPem.path], prompts, sudo: 'never' });
      assert.strictEqual((await c.connect()).uid, lab.users.nsxkey.uid);
      assert.deepStrictEqual(calls.password, []);
    });

    it('asks the passphrase of an encrypted key again after a wrong one', async function () {
      const key = lab.keys.ed25519Encrypted;
      const { prompts, calls } = scriptedPrompts({ passphrase: ['not-the-phrase', key.passphrase!] });
      const c = await conn(direct('nsxkey'), { identities: [key.path], prompts, sudo: 'never' });
      assert.strictEqual((await c.connect()).uid, lab.users.nsxkey.uid);
      assert.deepStrictEqual(calls.passphrase, [
        { file: key.path, retry: false },
        { file: key.path, retry: true },
      ]);
      assert.deepStrictEqual(calls.password, []);
    });

    it('logs in with a password answered through the prompt', async function () {
      const { prompts, calls } = scriptedPrompts({ password: [lab.users.nsxpass.password!] });
      const c = await conn(direct('nsxpass'), { prompts, sudo: 'never' });
      assert.strictEqual((await c.connect()).uid, lab.users.nsxpass.uid);
      assert.deepStrictEqual(calls.password, ['nsxpass']);
    });

    it('fails authentication with a wrong password (prompt says no more)', async function () {
      const { prompts } = scriptedPrompts({ password: ['wrong-password'] });
      const c = await conn(direct('nsxpass'), { prompts, sudo: 'never' });
      await assert.rejects(c.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'auth' && /Authentication .* failed/.test(e.message));
    });

    it('stops at keyboard-interactive prompts it has no answer for, sending no blank answers', async function () {
      // Password cancelled, keyboard-interactive unanswered: before, blank answers were sent, which sshd
      // logs (and counts) as a failed login.
      const before = fs.readFileSync(lab.ssh.log, 'utf8').length;
      const { prompts } = scriptedPrompts({});
      const c = await conn(direct('nsxpass'), { prompts, sudo: 'never', identities: [], agentSocket: '/nonexistent' });
      await assert.rejects(c.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'auth' && /keyboard-interactive prompts \("Password:"\) and none were given/.test(e.message));
      await new Promise((r) => setTimeout(r, 500));
      const added = fs.readFileSync(lab.ssh.log, 'utf8').slice(before);
      assert.match(added, /Postponed keyboard-interactive for nsxpass/, 'the server asked');
      assert.doesNotMatch(added, /Failed keyboard-interactive/);
    });

    describe('through an ssh-agent the test starts', function () {
      let agentPid = 0;
      let sock = '';
      before(function () {
        sock = path.join(tmp, 'agent.sock');
        const outText = sh('ssh-agent', ['-s', '-a', sock]);
        agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(outText)?.[1]);
        assert.ok(agentPid > 0, `ssh-agent printed no pid: ${outText}`);
        const add = spawnSync('ssh-add', [lab.keys.ecdsa.path], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8', timeout: 10_000 });
        assert.strictEqual(add.status, 0, add.stderr);
      });
      after(function () {
        if (agentPid > 0) {
          try {
            process.kill(agentPid, 'SIGTERM');
          } catch {
            // already gone
          }
        }
      });

      it('logs in with the agent given as agentSocket and no identity files', async function () {
        const { prompts, calls } = scriptedPrompts({});
        const c = await conn(direct('nsxkey'), { agentSocket: sock, prompts, sudo: 'never' });
        assert.strictEqual((await c.connect()).uid, lab.users.nsxkey.uid);
        assert.deepStrictEqual(calls.password, []);
      });

      it('logs in with the agent from $SSH_AUTH_SOCK', async function () {
        const saved = process.env.SSH_AUTH_SOCK;
        process.env.SSH_AUTH_SOCK = sock;
        try {
          const { prompts, calls } = scriptedPrompts({});
          const c = await conn(direct('nsxkey'), { agentSocket: undefined, prompts, sudo: 'never' });
          assert.strictEqual((await c.connect()).uid, lab.users.nsxkey.uid);
          assert.deepStrictEqual(calls.password, []);
        } finally {
          if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
          else process.env.SSH_AUTH_SOCK = saved;
        }
      });

      it('cannot log in without the agent (the control)', async function () {
        const c = await conn(direct('nsxkey'), { sudo: 'never' });
        await assert.rejects(c.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'auth');
      });
    });

    describe('through an ssh config file with Include', function () {
      let config = '';
      before(function () {
        const hosts = path.join(tmp, 'hosts.conf');
        fs.writeFileSync(
          hosts,
          [
            'Host nsx-jump',
            `  HostName ${lab.ssh.host}`,
            `  Port ${lab.ssh.port}`,
            '  User nsxkey',
            'Host nsx-inner',
            `  HostName ${lab.sshInner.host}`,
            `  Port ${lab.sshInner.port}`,
            '  User nsxkey',
            '  ProxyJump nsx-jump',
            '',
          ].join('\n'),
        );
        config = path.join(tmp, 'config');
        fs.writeFileSync(
          config,
          [
            `Include ${hosts}`,
            'Host *',
            `  IdentityFile ${lab.keys.ed25519.path}`,
            '  IdentitiesOnly yes',
            `  UserKnownHostsFile ${lab.ssh.knownHosts}`,
            '  StrictHostKeyChecking yes',
            '',
          ].join('\n'),
        );
      });

      it('resolves an alias from the included file', async function () {
        const c = await conn('nsx-jump', { sshConfig: { configPath: config, systemConfigPath: null }, knownHosts: undefined, sudo: 'never' });
        assert.strictEqual((await c.connect()).user, 'nsxkey');
        const [, , serverIp, serverPort] = (await remoteEnv(c, 'SSH_CONNECTION')).split(' ');
        assert.deepStrictEqual([serverIp, Number(serverPort)], [lab.ssh.host, lab.ssh.port]);
      });

      it('reaches the netns-hosted sshd through ProxyJump (two hops)', async function () {
        const c = await conn('nsx-inner', { sshConfig: { configPath: config, systemConfigPath: null }, knownHosts: undefined, sudo: 'never' });
        assert.strictEqual((await c.connect()).user, 'nsxkey');
        const [clientIp, , serverIp, serverPort] = (await remoteEnv(c, 'SSH_CONNECTION')).split(' ');
        assert.strictEqual(serverIp, lab.sshInner.host, 'the session must be served by the inner sshd');
        assert.strictEqual(Number(serverPort), lab.sshInner.port);
        assert.strictEqual(clientIp, lab.sshInner.hostAddress.split('/')[0], 'the inner sshd sees the jump host as its client');
      });
    });
  });

  describe('host keys', function () {
    it('accepts a host listed in a plain known_hosts', async function () {
      const { prompts, calls } = scriptedPrompts({});
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path], prompts, sudo: 'never' });
      await c.connect();
      assert.deepStrictEqual(calls.hostKey, []);
    });

    it('accepts a host listed in a hashed known_hosts', async function () {
      const { prompts, calls } = scriptedPrompts({});
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path], knownHosts: [lab.ssh.knownHostsHashed], prompts, sudo: 'never' });
      await c.connect();
      assert.deepStrictEqual(calls.hostKey, []);
    });

    it("connects once without writing known_hosts when the prompt answers 'once'", async function () {
      const file = path.join(tmp, 'known_hosts_once');
      fs.writeFileSync(file, '');
      const { prompts, calls } = scriptedPrompts({ hostKey: 'once' });
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path], knownHosts: [file], prompts, sudo: 'never' });
      await c.connect();
      assert.strictEqual(calls.hostKey.length, 1);
      const q = calls.hostKey[0];
      const served = Object.values(lab.ssh.hostKeys).map((k) => k.fingerprint);
      assert.ok(served.includes(q.fingerprint), `prompt showed ${q.fingerprint}, not one of the lab's host keys`);
      assert.strictEqual(q.port, lab.ssh.port);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), '', 'known_hosts must stay unchanged');
    });

    it("refuses the host when the prompt answers 'cancel'", async function () {
      const file = path.join(tmp, 'known_hosts_cancel');
      fs.writeFileSync(file, '');
      const { prompts, calls } = scriptedPrompts({ hostKey: 'cancel' });
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path], knownHosts: [file], prompts, sudo: 'never' });
      await assert.rejects(c.connect(), (e: unknown) => e instanceof ConnectionError && e.reason === 'hostkey');
      assert.strictEqual(calls.hostKey.length, 1);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), '');
    });
  });

  describe('privilege', function () {
    it('root is level root', async function () {
      const c = await conn(direct('root'), { identities: [lab.keys.ed25519.path] });
      const info = await c.connect();
      assert.deepStrictEqual([info.uid, info.privilege], [0, 'root']);
    });

    it('nsxkey (sudo without password) is level sudo and a privileged exec runs as root', async function () {
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path] });
      assert.strictEqual((await c.connect()).privilege, 'sudo');
      assert.strictEqual(c.privilegeDecision?.mode.kind, 'sudo-nopasswd');
      assert.strictEqual((await c.exec(['id', '-u'], { privileged: true })).stdout.trim(), '0');
      assert.strictEqual((await c.exec(['id', '-u'])).stdout.trim(), String(lab.users.nsxkey.uid));
    });

    it('nsxpass with the right sudo password is level sudo, and the password never reaches the log', async function () {
      const secret = lab.users.nsxpass.password!;
      const lines: Array<{ level: LogLevel; line: string }> = [];
      setLogSink({ log: (level, line) => lines.push({ level, line }) });
      const { prompts, calls } = scriptedPrompts({ password: [secret], sudo: [secret] });
      const c = await conn(direct('nsxpass'), { prompts });
      assert.strictEqual((await c.connect()).privilege, 'sudo');
      assert.deepStrictEqual(calls.sudo, [false]);
      const r = await c.exec(['id', '-u'], { privileged: true });
      assert.strictEqual(r.stdout.trim(), '0', r.stderr);
      // stdin after the sudo password line still reaches the command
      assert.strictEqual((await c.exec(['cat'], { privileged: true, stdin: 'payload\n' })).stdout, 'payload\n');
      assert.ok(lines.length > 3, 'the sink must have received the connection log');
      const leaked = lines.filter((l) => l.line.includes(secret));
      assert.deepStrictEqual(leaked, [], 'the password appeared in the log');
    });

    it('nsxpass with a wrong sudo password is asked again with retry=true, then fails clearly after 3', async function () {
      const secret = lab.users.nsxpass.password!;
      const { prompts, calls } = scriptedPrompts({ password: [secret], sudo: ['wrong-1', 'wrong-2', 'wrong-3', secret] });
      const c = await conn(direct('nsxpass'), { prompts });
      await assert.rejects(c.connect(), (e: unknown) => e instanceof PrivilegeError && /sudo password .* wrong 3 times/.test((e as Error).message));
      assert.deepStrictEqual(calls.sudo, [false, true, true]);
      assert.strictEqual(c.state.kind, 'disconnected', 'a failed privilege decision must close the link, not stay "connecting"');
    });

    it('nsxnosudo is level limited with a note, and a privileged exec runs unprivileged', async function () {
      const c = await conn(direct('nsxnosudo'), { identities: [lab.keys.ed25519.path] });
      assert.strictEqual((await c.connect()).privilege, 'limited');
      // sudo -n cannot tell "not in sudoers" from "needs a password" without one
      assert.match(c.privilegeDecision?.note ?? '', /sudo needs a password for nsxnosudo/);
      assert.strictEqual((await c.exec(['id', '-u'], { privileged: true })).stdout.trim(), String(lab.users.nsxnosudo.uid));
    });

    it('nsxnosudo answering the sudo prompt is told it may not use sudo', async function () {
      const { prompts, calls } = scriptedPrompts({ sudo: [lab.users.nsxnosudo.password!] });
      const c = await conn(direct('nsxnosudo'), { identities: [lab.keys.ed25519.path], prompts });
      assert.strictEqual((await c.connect()).privilege, 'limited');
      assert.deepStrictEqual(calls.sudo, [false]);
      assert.match(c.privilegeDecision?.note ?? '', /nsxnosudo may not use sudo/);
      assert.strictEqual((await c.exec(['id', '-u'], { privileged: true })).stdout.trim(), String(lab.users.nsxnosudo.uid));
    });
  });

  describe('faults', function () {
    for (const who of ['root', 'nsxkey'] as const) {
      it(`a cancelled exec stops its command on the host (${who}${who === 'nsxkey' ? ', through sudo' : ''})`, async function () {
        const marker = `nsx-cancel-${who}-${process.pid}-${Date.now()}`;
        const c = await conn(direct(who), { identities: [lab.keys.ed25519.path], sudo: who === 'root' ? 'never' : 'always' });
        await c.connect();
        const cancel = new CancellationSourceLike();
        const running = c.exec(['bash', '-c', `exec -a ${marker} sleep 30`], { token: cancel, privileged: who !== 'root' });
        running.catch(() => undefined);
        await waitFor(() => processes().some((p) => p.args.startsWith(marker)), 10_000);
        assert.ok(processes().some((p) => p.args.startsWith(marker) && p.user === 'root'), 'the marked sleep runs as root');
        cancel.cancel();
        await assert.rejects(running, /was cancelled/);
        // The guard looks once a second; it then kills the command's process group.
        const gone = await waitFor(() => !processes().some((p) => p.args.includes(marker)), 5_000);
        assert.deepStrictEqual(processes().filter((p) => p.args.includes(marker)), [], 'the cancelled command still runs');
        console.log(`      gone ${gone} ms after the cancel`);
        // The connection stays usable.
        assert.strictEqual((await c.exec(['echo', 'ok'])).stdout.trim(), 'ok');
        c.dispose();
      });
    }

    it('a killed sshd session fails the running command and leaves no process behind', async function () {
      const marker = `nsx-orphan-${process.pid}-${Date.now()}`;
      const c = await conn(direct('nsxkey'), { identities: [lab.keys.ed25519.path], sudo: 'never' });
      await c.connect();
      const started = Date.now();
      const running = c.exec(['bash', '-c', `exec -a ${marker} sleep 30`]);
      running.catch(() => undefined);
      let sleeper: Proc | undefined;
      await waitFor(() => (sleeper = processes().find((p) => p.args.startsWith(marker))) !== undefined, 10_000);
      assert.ok(sleeper, 'the marked sleep never started');
      // Walk up to the unprivileged sshd serving this connection (child of "sshd: nsxkey [priv]", whose
      // parent is the lab's listener); killing [priv] alone does not end a privilege-separated session.
      const all = processes();
      const byPid = new Map(all.map((p) => [p.pid, p]));
      let p: Proc | undefined = sleeper;
      let session: Proc | undefined;
      for (let i = 0; i < 10 && p; i++) {
        if (/^sshd: nsxkey@/.test(p.args) && p.user === 'nsxkey') {
          session = p;
          break;
        }
        p = byPid.get(p.ppid);
      }
      assert.ok(session, 'no sshd session process above the command');
      const monitor = byPid.get(session.ppid);
      assert.strictEqual(monitor?.ppid, lab.ssh.pid, 'the session must belong to the lab sshd');
      process.kill(session.pid, 'SIGKILL');
      const killedAt = Date.now();
      await assert.rejects(running, /connection to .* was lost/i);
      const failedAfter = Date.now() - killedAt;
      assert.ok(Date.now() - started < 15_000, 'the command must fail well before sleep 30 ends');
      const gone = await waitFor(() => !processes().some((q) => q.args.includes(marker)), 5_000);
      const left = processes().filter((q) => q.args.includes(marker));
      assert.deepStrictEqual(left, [], 'processes with the marker remain on the host');
      console.log(`      exec failed ${failedAfter} ms after the kill; marked processes gone after ${gone} ms`);
      assert.strictEqual(c.state.kind, 'disconnected');
    });

    describe('a cut link to the netns-hosted sshd', function () {
      const ROUTE = ['route', 'add', 'unreachable', '10.200.9.0/24', 'metric', '4242'];
      let config = '';
      before(function () {
        config = path.join(tmp, 'config-keepalive');
        fs.writeFileSync(
          config,
          [
            'Host nsx-jump',
            `  HostName ${lab.ssh.host}`,
            `  Port ${lab.ssh.port}`,
            'Host nsx-inner',
            `  HostName ${lab.sshInner.host}`,
            '  ProxyJump nsx-jump',
            '  ServerAliveInterval 1',
            '  ServerAliveCountMax 2',
            'Host *',
            '  User nsxkey',
            `  IdentityFile ${lab.keys.ed25519.path}`,
            `  UserKnownHostsFile ${lab.ssh.knownHosts}`,
            '  StrictHostKeyChecking yes',
            '',
          ].join('\n'),
        );
        // While nsxs0 is down its connected route is gone; this fallback keeps packets for the inner
        // sshd from leaving through the default route (the connected route, metric 0, wins when up).
        spawnSync('ip', ['route', 'del', 'unreachable', '10.200.9.0/24', 'metric', '4242']);
        sh('ip', ROUTE);
      });
      after(function () {
        spawnSync('ip', ['link', 'set', lab.sshInner.hostVeth, 'up']);
        spawnSync('ip', ['route', 'del', 'unreachable', '10.200.9.0/24', 'metric', '4242']);
      });

      for (const transport of ['ssh2', 'openssh'] as const) {
        it(`is detected by keepalive, fails the in-flight exec, and reconnects once the link is back (${transport})`, async function () {
          const options: OpenOptions = { sshConfig: { configPath: config, systemConfigPath: null }, knownHosts: undefined, sudo: 'never', reconnect: true };
          let c: HostConnection;
          if (transport === 'ssh2') {
            c = await conn('nsx-inner', options);
          } else {
            c = await openConnection('nsx-inner', { ...options, transport, agentSocket: '' });
            open.push(c);
          }
          await c.connect();
          const states: Array<{ at: number; state: ConnectionState }> = [];
          c.onStateChange((s) => states.push({ at: Date.now(), state: s }));
          const inflight = c.exec(['sleep', '60']);
          inflight.catch(() => undefined);
          await sleep(300);
          const downAt = Date.now();
          try {
            sh('ip', ['link', 'set', lab.sshInner.hostVeth, 'down']);
            const detected = await waitFor(() => c.state.kind === 'disconnected' || c.state.kind === 'reconnecting', 15_000);
            assert.ok(detected >= 0, `the link loss was not noticed within 15 s (state ${c.state.kind})`);
            const detectMs = Date.now() - downAt;
            await assert.rejects(inflight, /connection to .* was lost/i);
            // keepalive 1 s x 2 misses: noticed within a few seconds, not TCP's minutes
            assert.ok(detectMs < 8_000, `link loss noticed only after ${detectMs} ms`);
            await sleep(1500); // let at least one reconnect attempt fail against the cut link
            assert.notStrictEqual(c.state.kind, 'connected');
            const upAt = Date.now();
            sh('ip', ['link', 'set', lab.sshInner.hostVeth, 'up']);
            const back = await waitFor(() => c.state.kind === 'connected', 45_000);
            assert.ok(back >= 0, `no reconnect within 45 s after the link came back (state ${JSON.stringify(c.state)})`);
            const reconnectMs = Date.now() - upAt;
            const r = await c.exec(['printenv', 'SSH_CONNECTION']);
            assert.strictEqual(r.stdout.trim().split(' ')[2], lab.sshInner.host);
            console.log(
              `      ${transport}: link loss noticed after ${detectMs} ms; reconnected ${reconnectMs} ms after the link came back; states: ` +
                states.map((s) => `${s.state.kind}${'attempt' in s.state ? `#${s.state.attempt}` : ''}@${s.at - downAt}`).join(' '),
            );
          } finally {
            spawnSync('ip', ['link', 'set', lab.sshInner.hostVeth, 'up']);
          }
        });
      }
    });
  });
});
