// "Enter namespace" against the lab's real sshd, containers and namespaces, through both ways in: the
// CLI's `exec` (a program run in the namespaces, its exit code passed on) and the terminal's PTY channel
// (openPty on an open SshConnection, a shell picked by planEnter, commands typed, output read until a
// marker). Every wait is bounded. Run while the lab is up:
//   npx tsc -p tsconfig.test.json && npx mocha --timeout 120000 out/test/lab/enter.test.js
import * as assert from 'assert';
import { execFile, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover } from '../../src/discovery/discover';
import { openConnection, OpenOptions } from '../../src/host/connect';
import { HostConnection, HostInfo } from '../../src/host/hostConnection';
import { NS_TYPES, NsType, Snapshot } from '../../src/model/snapshot';
import { EnterPrivilegeError, EnterTarget, planEnter } from '../../src/workflows/enter';
import { LabEnv, labTransport, loadLab, requireLab } from './labEnv';
import { PtySession } from './ptySession';

type LabUserName = 'root' | 'nsxkey' | 'nsxpass' | 'nsxnosudo';

const CLI = path.resolve(__dirname, '../../src/cli/main.js');
const SUDO_PASSWORD_VAR = 'NSX_ENTER_TEST_PASSWORD';

/** The inode of a namespace link, e.g. "net:[4026532177]" -> 4026532177. */
function nsInode(link: string): number {
  const m = /\[(\d+)\]/.exec(link);
  assert.ok(m, `not a namespace link: ${link}`);
  return Number(m[1]);
}

function hostNs(pid: number, type: string): number {
  return nsInode(fs.readlinkSync(`/proc/${pid}/ns/${type}`));
}

function cmdlineOf(pid: number): string {
  return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
}

/** Lines printed as KEY=VALUE by the probe scripts below. */
function fields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.replace(/\r/g, '').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) {
      out.set(m[1], m[2].trim());
    }
  }
  return out;
}

function field(f: Map<string, string>, key: string): string {
  const v = f.get(key);
  assert.ok(v !== undefined, `${key}= missing from the output`);
  return v;
}

/**
 * What a shell in the entered namespaces reports about itself. Only busybox-compatible sh (the lab's
 * containers have nothing else). `readlink` of the ns links is taken in the shell itself ($$), not in a
 * child, so the PID namespace is the one the shell joined.
 */
const PROBE = [
  'echo "HOSTNAME=$(hostname)"',
  'echo "SELF=$$"',
  'echo "INIT=$(tr "\\000" " " </proc/1/cmdline)"',
  'echo "NSPID=$(grep NSpid /proc/$$/status | cut -f2-)"',
  'for t in net pid mnt uts; do echo "NS_$(echo $t | tr a-z A-Z)=$(readlink /proc/$$/ns/$t)"; done',
  'echo "PIDNS_CHILDREN=$(readlink /proc/$$/ns/pid_for_children)"',
  'echo "NETDEV=$(tr -s " " </proc/net/dev | cut -d: -f1 | tr -d " " | tail -n +3 | tr "\\n" ",")"',
  'if [ -r /run/nsx-lab/lab.json ]; then echo LABJSON=visible; else echo LABJSON=absent; fi',
].join('; ');

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

function labConnectionFlags(lab: LabEnv, user: LabUserName): string[] {
  const flags = ['--target', `${user}@${lab.ssh.host}:${lab.ssh.port}`, '--known-hosts', lab.ssh.knownHosts, '--transport', labTransport()];
  if (lab.users[user].keyLogin) {
    flags.push('--identity', lab.keys.ed25519.path);
  } else {
    flags.push('--password-env', SUDO_PASSWORD_VAR);
  }
  if (lab.users[user].sudo === 'password') {
    flags.push('--sudo-password-env', SUDO_PASSWORD_VAR);
  }
  return flags;
}

function runCli(lab: LabEnv, user: LabUserName, args: string[]): Promise<CliRun> {
  const started = Date.now();
  const env = { ...process.env, SSH_AUTH_SOCK: '', [SUDO_PASSWORD_VAR]: lab.users[user].password ?? '' };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'exec', ...labConnectionFlags(lab, user), ...args],
      { env, timeout: 90_000, maxBuffer: 4 << 20, encoding: 'utf8' },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr, ms: Date.now() - started });
      },
    );
  });
}

function connectionOptions(lab: LabEnv, user: LabUserName): OpenOptions {
  const u = lab.users[user];
  return {
    identities: u.keyLogin ? [lab.keys.ed25519.path] : [],
    knownHosts: [lab.ssh.knownHosts],
    password: u.keyLogin ? undefined : (u.password ?? undefined),
    sudoPassword: u.sudo === 'password' ? (u.password ?? undefined) : undefined,
    agentSocket: '',
    reconnect: false,
    transport: labTransport(),
  };
}

async function openLab(lab: LabEnv, user: LabUserName): Promise<{ conn: HostConnection; info: HostInfo }> {
  const conn = await openConnection(`${user}@${lab.ssh.host}:${lab.ssh.port}`, connectionOptions(lab, user));
  const info = await conn.connect();
  return { conn, info };
}

describe('Enter namespace (lab)', function () {
  this.timeout(120_000);
  let lab: LabEnv;
  let root: HostConnection;
  let rootInfo: HostInfo;
  let snapshot: Snapshot;
  const opened: PtySession[] = [];
  const others: HostConnection[] = [];

  async function pty(target: EnterTarget, types: readonly NsType[], conn = root, snap = snapshot, info = rootInfo): Promise<PtySession> {
    const plan = planEnter(snap, target, types, { hostLabel: conn.label, host: info });
    const s = await PtySession.open(conn, plan.argv);
    opened.push(s);
    return s;
  }

  before(async function () {
    requireLab(this);
    lab = loadLab();
    ({ conn: root, info: rootInfo } = await openLab(lab, 'root'));
    snapshot = await discover(root);
  });

  after(() => {
    for (const s of opened) {
      s.close();
    }
    for (const c of others) {
      c.dispose();
    }
    root?.dispose();
  });

  // The same four targets, checked the same way through both paths.
  interface Way {
    name: string;
    /** Runs PROBE (or `script`) in the target's namespaces and returns its output. */
    probe(target: EnterTarget, types: readonly NsType[], script?: string): Promise<string>;
  }
  const ways: Way[] = [
    {
      name: 'CLI exec',
      async probe(target, types, script = PROBE) {
        const t =
          target.kind === 'container' ? ['--container', target.ref]
          : target.kind === 'pid' ? ['--pid', String(target.pid)]
          : target.kind === 'netns' ? ['--netns', target.name]
          : assert.fail('the CLI enters containers, PIDs and named netns');
        const r = await runCli(lab, 'root', [...t, '--ns', types.join(','), '--', 'sh', '-c', script]);
        assert.strictEqual(r.code, 0, `exec failed (${r.code}): ${r.stderr}`);
        return r.stdout;
      },
    },
    {
      name: 'PTY',
      async probe(target, types, script = PROBE) {
        const s = await pty(target, types);
        const out = await s.run(script);
        s.channel.write('exit\n');
        await s.exited();
        return out;
      },
    },
  ];

  for (const way of ways) {
    describe(`through the ${way.name}`, () => {
      it('all namespaces of lab-c1: its hostname, its init as PID 1, its PID namespace', async () => {
        const c1 = lab.docker.containers['lab-c1'];
        const f = fields(await way.probe({ kind: 'container', ref: 'lab-c1' }, NS_TYPES));
        assert.strictEqual(field(f, 'HOSTNAME'), 'lab-c1');
        assert.strictEqual(field(f, 'INIT'), cmdlineOf(c1.pid!), "PID 1 is the container's init");
        assert.notStrictEqual(field(f, 'INIT'), cmdlineOf(1), "PID 1 is not the host's init");
        for (const t of ['net', 'pid', 'mnt', 'uts']) {
          assert.strictEqual(nsInode(field(f, `NS_${t.toUpperCase()}`)), hostNs(c1.pid!, t), `${t} namespace is lab-c1's`);
        }
        // $$ is the shell's PID in lab-c1's numbering: the container's own /proc lists it under that number
        // with one level of NSpid, which a host PID could not be.
        const self = Number(field(f, 'SELF'));
        assert.ok(self > 1, `shell PID ${self}`);
        assert.strictEqual(field(f, 'NSPID'), String(self));
        assert.strictEqual(field(f, 'LABJSON'), 'absent', "the container's file system, not the host's");
      });

      it("network only (--ns net) into lab-c1: the container's eth0, the host's file system and hostname", async () => {
        const c1 = lab.docker.containers['lab-c1'];
        const f = fields(await way.probe({ kind: 'container', ref: 'lab-c1' }, ['net']));
        const devs = field(f, 'NETDEV').split(',').filter(Boolean);
        assert.ok(devs.includes('eth0') && devs.includes('nsxc1'), `lab-c1's interfaces, got ${devs.join(' ')}`);
        assert.ok(!devs.includes('nsxbr0'), "the host's bridge is not in the container's netns");
        assert.strictEqual(nsInode(field(f, 'NS_NET')), hostNs(c1.pid!, 'net'));
        assert.strictEqual(nsInode(field(f, 'NS_MNT')), hostNs(lab.ssh.pid, 'mnt'), "the host's mount namespace");
        assert.strictEqual(field(f, 'LABJSON'), 'visible', 'a file only the host has is visible');
        assert.strictEqual(field(f, 'HOSTNAME'), os.hostname(), "the host's hostname");
      });

      it('a named netns without a process (nsx_b) through ip netns exec: its veths', async () => {
        const f = fields(await way.probe({ kind: 'netns', name: 'nsx_b' }, ['net'], `${PROBE}; echo "LINKS=$(ip -o link | cut -d: -f2 | cut -d@ -f1 | tr -d ' ' | tr '\\n' ,)"`));
        assert.strictEqual(nsInode(field(f, 'NS_NET')), lab.netns.nsx_b.inode);
        const links = field(f, 'LINKS').split(',');
        assert.ok(links.includes('nsxb0') && links.includes('nsxb1'), `nsx_b's veths, got ${links.join(' ')}`);
      });

      it('the nested unshare tree at its innermost level (pid+mnt): the sleep is PID 1 there', async () => {
        const inner = lab.nested.innermostPid;
        const f = fields(await way.probe({ kind: 'pid', pid: inner }, ['pid', 'mnt']));
        assert.strictEqual(nsInode(field(f, 'NS_PID')), hostNs(inner, 'pid'), "the innermost PID namespace");
        assert.strictEqual(nsInode(field(f, 'NS_MNT')), hostNs(inner, 'mnt'));
        assert.strictEqual(field(f, 'INIT'), cmdlineOf(inner), 'PID 1 is the innermost sleep');
        assert.strictEqual(lab.nested.nspid[lab.nested.nspid.length - 1], 1);
        const self = Number(field(f, 'SELF'));
        assert.ok(self > 1, `shell PID ${self}`);
        // Its /proc is the innermost one, so NSpid shows that level's numbering only.
        assert.strictEqual(field(f, 'NSPID'), String(self));
        assert.strictEqual(nsInode(field(f, 'NS_NET')), hostNs(lab.ssh.pid, 'net'), 'net was not entered');
      });
    });
  }

  describe('through the CLI exec', () => {
    it("passes on the command's exit code and output", async () => {
      const r = await runCli(lab, 'root', ['--container', 'lab-c1', '--', 'sh', '-c', 'echo out-$((2+3)); echo err >&2; exit 5']);
      assert.strictEqual(r.code, 5, r.stderr);
      assert.strictEqual(r.stdout.trim(), 'out-5');
      assert.match(r.stderr, /err/);
    });

    it('nsxkey (sudo without a password) can enter lab-c1', async () => {
      const r = await runCli(lab, 'nsxkey', ['--container', 'lab-c1', '--', 'hostname']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), 'lab-c1');
    });

    it('nsxpass (sudo with the password from --sudo-password-env) can enter lab-c1', async () => {
      const r = await runCli(lab, 'nsxpass', ['--container', 'lab-c1', '--', 'hostname']);
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), 'lab-c1');
      assert.ok(!r.stdout.includes(lab.users.nsxpass.password!) && !r.stderr.includes(lab.users.nsxpass.password!));
    });

    it('nsxnosudo (no sudo) is refused up front: non-zero, "needs root", no nsenter attempt', async () => {
      const r = await runCli(lab, 'nsxnosudo', ['--container', 'lab-c1', '--', 'hostname']);
      assert.strictEqual(r.code, 3, `exit code ${r.code}: ${r.stderr}`);
      assert.match(r.stderr, /needs root/);
      assert.match(r.stderr, /sudo/);
      assert.match(r.stderr, /nsxnosudo/);
      assert.doesNotMatch(r.stderr, /Operation not permitted|No container named/);
      assert.strictEqual(r.stdout, '');
    });

    it('a PID that is gone is reported, non-zero, at once', async () => {
      const r = await runCli(lab, 'root', ['--pid', '999999', '--', 'true']);
      assert.notStrictEqual(r.code, 0);
      assert.match(r.stderr, /No process 999999/);
    });
  });

  describe('through the PTY', () => {
    it('the shell picker runs busybox /bin/sh in lab-c1 (no bash there)', async () => {
      const s = await pty({ kind: 'container', ref: 'lab-c1' }, NS_TYPES);
      const f = fields(await s.run('echo "ARG0=$0"; echo "EXE=$(readlink /proc/$$/exe)"; if [ -e /bin/bash ]; then echo BASH=yes; else echo BASH=no; fi'));
      assert.strictEqual(field(f, 'BASH'), 'no');
      assert.strictEqual(field(f, 'ARG0'), '/bin/sh');
      assert.strictEqual(field(f, 'EXE'), '/bin/busybox');
      s.channel.write('exit\n');
      assert.strictEqual((await s.exited()).code, 0);
    });

    it('resize: stty size follows the new rows and columns', async () => {
      const s = await pty({ kind: 'container', ref: 'lab-c1' }, NS_TYPES);
      assert.strictEqual(fields(await s.run('echo "SIZE=$(stty size)"')).get('SIZE'), '24 80');
      s.channel.resize({ cols: 132, rows: 43 });
      assert.strictEqual(fields(await s.run('echo "SIZE=$(stty size)"')).get('SIZE'), '43 132');
      s.channel.resize({ cols: 61, rows: 17 });
      assert.strictEqual(fields(await s.run('echo "SIZE=$(stty size)"')).get('SIZE'), '17 61');
      s.channel.write('exit\n');
      await s.exited();
    });

    it('`exit 7` closes the channel with exit code 7', async () => {
      const s = await pty({ kind: 'container', ref: 'lab-c1' }, NS_TYPES);
      await s.run('true');
      s.channel.write('exit 7\n');
      const e = await s.exited();
      assert.strictEqual(e.code, 7);
    });

    for (const types of [['net'], [...NS_TYPES]] as NsType[][]) {
      it(`a process that vanished after discovery (${types.length === 1 ? 'net only' : 'all namespaces'}): non-zero exit, quickly, with a reason`, async () => {
        const sleeper = spawn('sleep', ['300'], { stdio: 'ignore' });
        try {
          const pid = sleeper.pid!;
          const snap = await discover(root);
          assert.ok(snap.processes.some((p) => p.pid === pid), 'the sleep is in the snapshot');
          const plan = planEnter(snap, { kind: 'pid', pid }, types, { hostLabel: root.label, host: rootInfo });
          const gone = new Promise((resolve) => sleeper.once('exit', resolve));
          sleeper.kill('SIGKILL');
          await gone;
          const started = Date.now();
          const s = await PtySession.open(root, plan.argv);
          opened.push(s);
          // It ends by itself, without input. The bound is loose: root's login shell on the lab host
          // (sshd runs it before nsenter) takes seconds when the machine is busy.
          const e = await s.exited(15_000);
          const ms = Date.now() - started;
          assert.ok(e.code !== 0 && e.code !== null, `exit code ${e.code}, output ${JSON.stringify(s.output)}`);
          assert.ok(ms < 15_000, `took ${ms} ms`);
          assert.match(s.output, new RegExp(`${pid}`), `the output names the process: ${JSON.stringify(s.output)}`);
          assert.doesNotMatch(s.output, /no shell found/, 'a vanished process is not reported as a missing shell');
        } finally {
          sleeper.kill('SIGKILL');
        }
      });
    }

    for (const who of ['root', 'nsxkey'] as const) {
      it(`a terminal closed from the client leaves no process inside the container (${who})`, async () => {
        let conn = root;
        let snap = snapshot;
        let info = rootInfo;
        if (who !== 'root') {
          ({ conn, info } = await openLab(lab, who));
          others.push(conn);
          snap = await discover(conn);
        }
        const s = await pty({ kind: 'container', ref: 'lab-c1' }, NS_TYPES, conn, snap, info);
        const secs = 3000 + Math.floor(Math.random() * 900);
        await s.run('echo ready');
        // A foreground job of the shell and one it left in the background.
        s.channel.write(`sleep ${secs + 1} & sleep ${secs}\n`);
        const sleeping = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
          try {
            return new RegExp(`^sleep\\s${secs}|^sleep\\s${secs + 1}`).test(cmdlineOf(Number(d)));
          } catch {
            return false;
          }
        });
        for (let i = 0; i < 50 && sleeping().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
        assert.strictEqual(sleeping().length, 2, 'both sleeps run inside lab-c1');
        s.close();
        let left = sleeping();
        for (let i = 0; i < 50 && left.length; i++) {
          await new Promise((r) => setTimeout(r, 100));
          left = sleeping();
        }
        assert.deepStrictEqual(left.map((pid) => `${pid} ${cmdlineOf(Number(pid))}`), [], 'processes of the closed terminal remain');
      });
    }

    it('nsxkey (sudo without a password) gets a shell in lab-c1', async () => {
      const { conn, info } = await openLab(lab, 'nsxkey');
      others.push(conn);
      assert.strictEqual(info.privilege, 'sudo');
      const snap = await discover(conn);
      const s = await pty({ kind: 'container', ref: 'lab-c1' }, NS_TYPES, conn, snap, info);
      const f = fields(await s.run('echo "HOSTNAME=$(hostname)"; echo "UID_IS=$(id -u)"'));
      assert.strictEqual(field(f, 'HOSTNAME'), 'lab-c1');
      assert.strictEqual(field(f, 'UID_IS'), '0');
      s.channel.write('exit 3\n');
      assert.strictEqual((await s.exited()).code, 3);
    });

    it('nsxpass (sudo with a password) gets a shell in lab-c1, and the password never shows', async () => {
      const password = lab.users.nsxpass.password!;
      const { conn, info } = await openLab(lab, 'nsxpass');
      others.push(conn);
      assert.strictEqual(info.privilege, 'sudo');
      const snap = await discover(conn);
      for (let i = 0; i < 3; i++) {
        const plan = planEnter(snap, { kind: 'container', ref: 'lab-c1' }, NS_TYPES, { hostLabel: conn.label, host: info });
        const s = await PtySession.open(conn, plan.argv);
        opened.push(s);
        // Typed at once, before sudo has read the password: must reach the shell, not sudo.
        s.channel.write('echo "HOSTNAME=$(hostname)"\n');
        await s.until('the hostname', () => /HOSTNAME=lab-c1/.test(s.output));
        const f = fields(await s.run('echo "UID_IS=$(id -u)"'));
        assert.strictEqual(field(f, 'UID_IS'), '0');
        s.channel.write('exit\n');
        assert.strictEqual((await s.exited()).code, 0);
        assert.ok(!s.output.includes(password), `the sudo password was echoed: ${JSON.stringify(s.output)}`);
        assert.doesNotMatch(s.output, /nsx-ready-/, 'the ready marker is not shown');
      }
    });

    it('nsxnosudo (no sudo) is refused by planEnter with a clear message', async () => {
      const { conn, info } = await openLab(lab, 'nsxnosudo');
      others.push(conn);
      assert.strictEqual(info.privilege, 'limited');
      const snap = await discover(conn);
      assert.throws(
        () => planEnter(snap, { kind: 'container', ref: 'lab-c1' }, NS_TYPES, { hostLabel: conn.label, host: info }),
        (e: Error) => e instanceof EnterPrivilegeError && /needs root/.test(e.message) && /sudo/.test(e.message),
      );
    });
  });
});
