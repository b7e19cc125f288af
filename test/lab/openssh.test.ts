// The OpenSSH transport and ProxyCommand against the lab's real sshd (and the one inside netns nsx_ssh):
// the same snapshot as over ssh2, a terminal, a workflow with undo, the orphan guard when the master dies,
// nothing left behind after disconnect; ProxyCommand (ssh -W, nc, one that fails) on both transports;
// ssh's prompts through the askpass bridge; auto choosing OpenSSH where the config needs it.
// Run while the lab is up:  npx mocha --timeout 120000 out/test/lab/openssh.test.js
import * as assert from 'assert';
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connect, undo } from '../../src/cli/netnsCommands';
import { discover } from '../../src/discovery/discover';
import { openConnection, OpenOptions } from '../../src/host/connect';
import { CancellationSourceLike, ConnectionError, HostConnection } from '../../src/host/hostConnection';
import { LogLevel, setLogSink } from '../../src/host/log';
import { OpenSshConnection } from '../../src/host/opensshConnection';
import { HostKeyChoice, HostKeyQuestion, SshConnection, SshPrompts } from '../../src/host/sshConnection';
import { TransportKind } from '../../src/host/transport';
import { Snapshot } from '../../src/model/snapshot';
import { planEnter } from '../../src/workflows/enter';
import { FileJournalStore, Journal } from '../../src/workflows/journal';
import { needTool } from '../support/needTool';
import { isLabUp, LabEnv, loadLab } from './labEnv';
import { PtySession } from './ptySession';

const TRANSPORTS: TransportKind[] = ['ssh2', 'openssh'];

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
}

/** Poll every 100 ms until `check` holds or `ms` pass; true when it held. */
async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** PIDs whose command line contains `text` (read from /proc here, not through the connection). */
function pidsWith(text: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').join(' ');
      const state = /\) (\S)/.exec(fs.readFileSync(`/proc/${d}/stat`, 'utf8'))?.[1];
      if (cmd.includes(text) && state !== 'Z' && Number(d) !== process.pid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

function linkState(prefix: string[]): string[] {
  return [...sh([...prefix, 'ip', '-o', 'link']).split('\n'), ...sh([...prefix, 'ip', '-o', 'addr']).split('\n')]
    .filter(Boolean)
    .map((l) => l.replace(/valid_lft \S+ preferred_lft \S+/, ''))
    .sort();
}

/** Prompts answered from queues; every call recorded. */
function scripted(answers: { passphrase?: Array<string | undefined>; password?: string[]; hostKey?: HostKeyChoice }) {
  const calls = { passphrase: [] as Array<{ file: string; retry: boolean }>, password: [] as string[], hostKey: [] as HostKeyQuestion[], other: [] as string[] };
  const passphrase = [...(answers.passphrase ?? [])];
  const password = [...(answers.password ?? [])];
  const prompts: SshPrompts = {
    password: async (_l, user) => {
      calls.password.push(user);
      return password.shift();
    },
    passphrase: async (file, retry) => {
      calls.passphrase.push({ file, retry });
      return passphrase.shift();
    },
    keyboardInteractive: async (_l, _n, _i, ps) => {
      calls.other.push(...ps.map((p) => p.prompt));
      return undefined;
    },
    sudoPassword: async () => undefined,
    unknownHostKey: async (q) => {
      calls.hostKey.push(q);
      return answers.hostKey ?? 'cancel';
    },
  };
  return { prompts, calls };
}

const labUp = process.platform === 'linux' && isLabUp();

(labUp ? describe : describe.skip)('OpenSSH transport and ProxyCommand (lab)', function () {
  this.timeout(120_000);
  let lab: LabEnv;
  let dir: string;
  let config: string;
  const logLines: string[] = [];
  const opened: HostConnection[] = [];

  function options(transport: TransportKind, extra: OpenOptions = {}): OpenOptions {
    return { sshConfig: { configPath: config, systemConfigPath: null }, transport, agentSocket: undefined, reconnect: false, ...extra };
  }

  async function open(target: string, transport: TransportKind, extra: OpenOptions = {}): Promise<HostConnection> {
    const conn = await openConnection(target, options(transport, extra));
    opened.push(conn);
    return conn;
  }

  before(() => {
    lab = loadLab();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-ossh-test-'));
    config = path.join(dir, 'config');
    const key = lab.keys.ed25519.path;
    const common = `  User nsxkey\n  IdentityFile ${key}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${lab.ssh.knownHosts}\n  StrictHostKeyChecking yes\n  ConnectTimeout 5\n`;
    fs.writeFileSync(
      config,
      [
        `Host lab\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n${common}`,
        // The sshd inside netns nsx_ssh, reached through a ProxyCommand that itself uses the lab alias.
        `Host via-w\n  HostName ${lab.sshInner.host}\n  Port ${lab.sshInner.port}\n  ProxyCommand ssh -F ${config} -W %h:%p lab\n${common}`,
        `Host via-nc\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  ProxyCommand nc %h %p\n${common}`,
        `Host via-fail\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  ProxyCommand sh -c 'echo "bastion-7 says: access denied for %r" >&2; exit 3'\n${common}`,
        `Host needs-openssh\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n${common}Match originalhost needs-openssh exec "test -n %h"\n  ConnectTimeout 6\n`,
      ].join('\n'),
    );
    setLogSink({ log: (level: LogLevel, line: string) => logLines.push(`${level} ${line}`) });
  });

  after(() => {
    for (const c of opened) c.dispose();
    setLogSink({ log: () => undefined });
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('the OpenSSH transport', () => {
    it('takes the same snapshot as ssh2', async () => {
      const viaSsh2 = await open('lab', 'ssh2');
      const viaOpenssh = await open('lab', 'openssh');
      assert.ok(viaSsh2 instanceof SshConnection);
      assert.ok(viaOpenssh instanceof OpenSshConnection);
      assert.strictEqual(viaOpenssh.id, viaSsh2.id, 'one host, one id, whichever transport');
      const [a, b] = await Promise.all([viaSsh2.connect(), viaOpenssh.connect()]);
      assert.deepStrictEqual(b, a);
      const [s1, s2] = await Promise.all([discover(viaSsh2), discover(viaOpenssh)]);
      // What the lab made is the same, read either way; processes come and go between the two reads.
      const stable = (s: Snapshot) => ({
        host: [s.host.hostname, s.host.kernel, s.host.uid, s.host.privileged],
        containers: s.containers.map((c) => `${c.engine}/${c.name}/${c.pid}/${JSON.stringify(c.ns)}`).sort(),
        netns: s.netns.map((n) => `${n.name}/${n.inode}`).sort(),
        interfaces: s.interfaces.map((i) => `${i.ns}/${i.ifindex}/${i.name}/${i.peer ? `${i.peer.ns}/${i.peer.ifindex}` : ''}`).sort(),
        namespaces: s.namespaces.filter((n) => n.nsfsPaths.length > 0 || n.initial).map((n) => `${n.type}:${n.inode}`).sort(),
      });
      assert.deepStrictEqual(stable(s2), stable(s1));
      assert.ok(s2.containers.some((c) => c.name === 'lab-c1' && c.pid === lab.docker.containers['lab-c1'].pid), 'lab-c1 with its pid');
    });

    it('enters lab-c1 in a terminal, with the size set and resized, and exits with the code', async () => {
      const conn = await open('lab', 'openssh');
      const info = await conn.connect();
      const snap = await discover(conn);
      const plan = planEnter(snap, { kind: 'container', ref: 'lab-c1' }, ['net', 'pid', 'mnt', 'uts', 'ipc'], { hostLabel: conn.label, host: info });
      const s = new PtySession(await conn.openPty(plan.argv, { cols: 91, rows: 27, privileged: true }));
      try {
        assert.strictEqual((await s.run('hostname')).trim(), 'lab-c1');
        assert.strictEqual((await s.run('stty size')).trim(), '27 91');
        s.channel.resize({ cols: 132, rows: 41 });
        let size = '';
        for (let i = 0; i < 20 && size !== '41 132'; i++) {
          size = (await s.run('stty size')).trim();
          if (size !== '41 132') await new Promise((r) => setTimeout(r, 200));
        }
        assert.strictEqual(size, '41 132', 'stty size after resize');
        assert.doesNotMatch(s.output, /nsx-tty-/, 'the tty report is not shown to the user');
        s.channel.write('exit 7\n');
        assert.strictEqual((await s.exited()).code, 7);
      } finally {
        s.close();
      }
    });

    it('runs a workflow (Connect Namespaces) and undoes it exactly', async () => {
      const conn = await open('lab', 'openssh');
      await conn.connect();
      const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-journal-'));
      try {
        const journal = new Journal(new FileJournalStore(journalDir));
        const pid = lab.docker.containers['lab-none'].pid!;
        const inB = ['ip', 'netns', 'exec', 'nsx_b'];
        const inC = ['nsenter', '-t', String(pid), '-n'];
        const before = { b: linkState(inB), c: linkState(inC) };
        const r = await connect(conn, await discover(conn), 'netns:nsx_b', 'container:lab-none', { journal });
        try {
          assert.strictEqual(r.exitCode, 0, r.output);
          assert.match(r.output, /Check: 3\/3 replies/, r.output);
          assert.notDeepStrictEqual(linkState(inB), before.b, 'nothing changed in nsx_b');
        } finally {
          const u = await undo(conn, journal);
          assert.strictEqual(u.exitCode, 0, u.output);
        }
        assert.deepStrictEqual(linkState(inB), before.b);
        assert.deepStrictEqual(linkState(inC), before.c);
      } finally {
        fs.rmSync(journalDir, { recursive: true, force: true });
      }
    });

    it('kills a running command when the master dies (orphan guard), and leaves no ControlPath behind', async () => {
      const conn = (await open('lab', 'openssh')) as OpenSshConnection;
      await conn.connect();
      const cp = conn.controlPath!;
      const cpDir = path.dirname(cp);
      assert.ok(fs.statSync(cp).isSocket(), 'the ControlPath is a socket while connected');
      assert.strictEqual(fs.statSync(cpDir).mode & 0o777, 0o700, 'the ControlPath folder is private');
      const mark = `nsx-orphan-${process.pid}-${Date.now()}`;
      const running = conn.exec(['sh', '-c', `exec -a ${mark} sleep 300`], { privileged: true });
      running.catch(() => undefined);
      assert.ok(await waitFor(() => pidsWith(mark).length > 0, 10_000), 'the remote command did not start');
      const master = conn.masterPid!;
      process.kill(master, 'SIGKILL');
      await assert.rejects(running, /connection .*(lost|closed)/i);
      assert.ok(await waitFor(() => pidsWith(mark).length === 0, 10_000), `the command outlived the master: ${pidsWith(mark).join(',')}`);
      assert.ok(!fs.existsSync(cpDir), 'the ControlPath folder is removed after the master died');
      assert.strictEqual(conn.state.kind, 'disconnected');
    });

    it('stops a cancelled command on the host, and the connection stays usable', async () => {
      const conn = await open('lab', 'openssh');
      await conn.connect();
      const mark = `nsx-cancel-${process.pid}-${Date.now()}`;
      const source = new CancellationSourceLike();
      const running = conn.exec(['sh', '-c', `exec -a ${mark} sleep 300`], { privileged: true, token: source });
      running.catch(() => undefined);
      assert.ok(await waitFor(() => pidsWith(mark).length > 0, 10_000), 'the remote command did not start');
      source.cancel();
      await assert.rejects(running, /cancelled/);
      assert.ok(await waitFor(() => pidsWith(mark).length === 0, 10_000), `the cancelled command runs on: ${pidsWith(mark).join(',')}`);
      assert.strictEqual((await conn.exec(['echo', 'still here'])).stdout, 'still here\n');
    });

    it('removes the master and its socket on disconnect', async () => {
      const conn = (await open('lab', 'openssh')) as OpenSshConnection;
      await conn.connect();
      const cp = conn.controlPath!;
      const master = conn.masterPid!;
      assert.strictEqual((await conn.exec(['id', '-un'])).stdout.trim(), 'nsxkey');
      // A command's own status, 255 included (which ssh also uses for its own failures), comes back as is.
      assert.strictEqual((await conn.exec(['sh', '-c', 'exit 3'])).code, 3);
      assert.strictEqual((await conn.exec(['sh', '-c', 'echo out; echo err >&2; exit 255'])).code, 255);
      const io = await conn.exec(['sh', '-c', 'cat; echo err >&2'], { stdin: 'in\n' });
      assert.deepStrictEqual([io.code, io.stdout, io.stderr], [0, 'in\n', 'err\n']);
      conn.dispose();
      assert.ok(!fs.existsSync(path.dirname(cp)), 'the ControlPath folder is gone at once');
      assert.ok(await waitFor(() => !fs.existsSync(`/proc/${master}`) || /\) Z/.test(fs.readFileSync(`/proc/${master}/stat`, 'utf8')), 5000), 'the master ssh still runs');
      assert.deepStrictEqual(pidsWith(cp), [], 'an ssh session of this connection still runs');
    });

    it('removes the folder a crashed connection left, and leaves a live connection\'s alone', async () => {
      const live = (await open('lab', 'openssh')) as OpenSshConnection;
      await live.connect();
      // What a killed extension host leaves: the folder with its askpass files and a socket no one serves.
      const stale = fs.mkdtempSync('/tmp/nsx-ssh-');
      fs.chmodSync(stale, 0o700);
      // A listener killed with SIGKILL leaves its socket file behind, as a crashed extension host does.
      const sock = path.join(stale, 'askpass.sock');
      const holder = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(sock)}); setInterval(() => {}, 1e6)`], { stdio: 'ignore' });
      assert.ok(await waitFor(() => fs.existsSync(sock), 5000), 'the socket was not made');
      holder.kill('SIGKILL');
      await new Promise((r) => holder.once('exit', r));
      assert.ok(fs.existsSync(sock), 'the socket file should outlive its killed listener');
      fs.writeFileSync(path.join(stale, 'askpass.sh'), '#!/bin/sh\n');
      const next = await open('lab', 'openssh');
      await next.connect();
      assert.ok(!fs.existsSync(stale), 'the stale folder is still there');
      assert.ok(fs.existsSync(live.controlPath!), 'the live connection lost its ControlPath');
      assert.strictEqual((await live.exec(['echo', 'ok'])).stdout, 'ok\n');
    });

    it('auto picks OpenSSH for a config that needs it, and says why in the log', async () => {
      logLines.length = 0;
      const auto = await openConnection('needs-openssh', { ...options('ssh2'), transport: 'auto' });
      opened.push(auto);
      assert.ok(auto instanceof OpenSshConnection, 'Match exec needs OpenSSH');
      assert.ok(logLines.some((l) => /needs-openssh: using OpenSSH .*Match exec/.test(l)), logLines.join('\n'));
      assert.strictEqual((await auto.connect()).user, 'nsxkey');
      const plain = await openConnection('lab', { ...options('ssh2'), transport: 'auto' });
      opened.push(plain);
      assert.ok(plain instanceof SshConnection, 'a plain host stays on ssh2');
    });
  });

  for (const transport of TRANSPORTS) {
    describe(`ProxyCommand over ${transport}`, () => {
      it('reaches the sshd inside netns nsx_ssh through "ssh -W %h:%p lab"', async () => {
        const conn = await open('via-w', transport);
        await conn.connect();
        const net = (await conn.exec(['readlink', '/proc/self/ns/net'])).stdout.trim();
        assert.strictEqual(net, `net:[${lab.netns.nsx_ssh.inode}]`, 'the session runs in nsx_ssh');
        const proxies = pidsWith(`-W ${lab.sshInner.host}:${lab.sshInner.port} lab`);
        assert.ok(proxies.length > 0, 'the ProxyCommand runs while connected');
        conn.dispose();
        assert.ok(await waitFor(() => pidsWith(`-W ${lab.sshInner.host}:${lab.sshInner.port} lab`).length === 0, 5000), 'the ProxyCommand outlived the connection');
      });

      it('connects through "nc %h %p"', async function () {
        needTool(this, ['sh', '-c', 'command -v nc'], 'netcat-openbsd');
        const conn = await open('via-nc', transport);
        assert.strictEqual((await conn.connect()).user, 'nsxkey');
        assert.strictEqual((await conn.exec(['echo', 'through nc'])).stdout, 'through nc\n');
      });

      it('quotes the stderr of a ProxyCommand that exits at once', async () => {
        const conn = await open('via-fail', transport);
        const started = Date.now();
        await assert.rejects(conn.connect(), (e: Error) => {
          assert.ok(e instanceof ConnectionError, String(e));
          assert.match(e.message, /bastion-7 says: access denied for nsxkey/);
          return true;
        });
        assert.ok(Date.now() - started < 10_000, 'the failure took too long');
        assert.strictEqual(conn.state.kind, 'disconnected');
      });
    });
  }

  describe('ssh prompts through the askpass bridge (OpenSSH)', () => {
    it('asks about an unknown host key with its real fingerprint; cancel fails cleanly, remember records it', async () => {
      const empty = path.join(dir, 'known_hosts_empty');
      fs.writeFileSync(empty, '');
      const strictAsk = path.join(dir, 'config-ask');
      fs.writeFileSync(strictAsk, `Host lab\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxkey\n  IdentityFile ${lab.keys.ed25519.path}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${empty}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking ask\n  HostKeyAlgorithms ssh-ed25519\n`);
      const no = scripted({ hostKey: 'cancel' });
      const c1 = await openConnection('lab', { sshConfig: { configPath: strictAsk, systemConfigPath: null }, transport: 'openssh', prompts: no.prompts });
      opened.push(c1);
      await assert.rejects(c1.connect(), (e: Error) => e instanceof ConnectionError && e.reason === 'hostkey');
      assert.strictEqual(no.calls.hostKey.length, 1);
      assert.strictEqual(no.calls.hostKey[0].fingerprint, lab.ssh.hostKeys.ed25519.fingerprint);
      assert.strictEqual(no.calls.hostKey[0].port, lab.ssh.port);
      assert.strictEqual(no.calls.hostKey[0].rememberOnly, true);
      assert.strictEqual(fs.readFileSync(empty, 'utf8'), '', 'nothing recorded after cancel');
      const yes = scripted({ hostKey: 'remember' });
      const c2 = await openConnection('lab', { sshConfig: { configPath: strictAsk, systemConfigPath: null }, transport: 'openssh', prompts: yes.prompts });
      opened.push(c2);
      assert.strictEqual((await c2.connect()).user, 'nsxkey');
      const recorded = spawnSync('ssh-keygen', ['-F', `[127.0.0.1]:${lab.ssh.port}`, '-f', empty], { encoding: 'utf8' }).stdout;
      assert.ok(recorded.includes(lab.ssh.hostKeys.ed25519.publicKey.split(' ')[1]), `known_hosts now holds the key: ${recorded}`);
    });

    it('asks the passphrase of an encrypted key: a wrong one then cancel fails cleanly, the right one logs in', async () => {
      const enc = lab.keys.ed25519Encrypted;
      const cfg = path.join(dir, 'config-enc');
      fs.writeFileSync(cfg, `Host lab\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxkey\n  IdentityFile ${enc.path}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${lab.ssh.knownHosts}\n  PasswordAuthentication no\n  KbdInteractiveAuthentication no\n`);
      const bad = scripted({ passphrase: ['not-it', undefined, enc.passphrase!] });
      const c1 = await openConnection('lab', { sshConfig: { configPath: cfg, systemConfigPath: null }, transport: 'openssh', prompts: bad.prompts, agentSocket: '/nonexistent' });
      opened.push(c1);
      await assert.rejects(c1.connect(), (e: Error) => e instanceof ConnectionError && e.reason === 'auth' && /Permission denied/.test(e.message));
      assert.deepStrictEqual(bad.calls.passphrase.map((p) => [p.file, p.retry]), [[enc.path, false], [enc.path, true]]);
      // Trying again on the same connection asks afresh: the wrong passphrase was not kept.
      assert.strictEqual((await c1.connect()).user, 'nsxkey');
      assert.deepStrictEqual(bad.calls.passphrase.map((p) => [p.file, p.retry]), [[enc.path, false], [enc.path, true], [enc.path, false]]);
      const good = scripted({ passphrase: [enc.passphrase!] });
      const c2 = await openConnection('lab', { sshConfig: { configPath: cfg, systemConfigPath: null }, transport: 'openssh', prompts: good.prompts, agentSocket: '/nonexistent' });
      opened.push(c2);
      assert.strictEqual((await c2.connect()).user, 'nsxkey');
      assert.strictEqual(good.calls.passphrase.length, 1);
      assert.ok(!logLines.some((l) => l.includes(enc.passphrase!)), 'the passphrase reached the log');
    });

    it('asks a login password and passes a given one without asking', async () => {
      const cfg = path.join(dir, 'config-pass');
      fs.writeFileSync(cfg, `Host lab\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxpass\n  PubkeyAuthentication no\n  UserKnownHostsFile ${lab.ssh.knownHosts}\n`);
      const asked = scripted({ password: ['wrong-one', lab.users.nsxpass.password!] });
      const c1 = await openConnection('lab', { sshConfig: { configPath: cfg, systemConfigPath: null }, transport: 'openssh', prompts: asked.prompts, sudo: 'never' });
      opened.push(c1);
      assert.strictEqual((await c1.connect()).user, 'nsxpass');
      assert.deepStrictEqual(asked.calls.password, ['nsxpass', 'nsxpass']);
      const given = scripted({});
      const c2 = await openConnection('lab', {
        sshConfig: { configPath: cfg, systemConfigPath: null }, transport: 'openssh', prompts: given.prompts, sudo: 'never', password: lab.users.nsxpass.password!,
      });
      opened.push(c2);
      assert.strictEqual((await c2.connect()).user, 'nsxpass');
      assert.deepStrictEqual(given.calls.password, []);
    });
  });
});
