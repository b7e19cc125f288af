/**
 * discover() against the lab (test/lab/lab.sh up), compared with ground truth read independently from
 * /proc, docker, podman, ctr and stat on this machine (the lab's sshd runs here, so the SSH variants see
 * the same kernel). The same checks run three ways: LocalConnection, SSH as root, SSH as nsxkey (sudo).
 * Skips when the lab is not up.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Client } from 'ssh2';
import { discover } from '../../src/discovery/discover';
import { openConnection } from '../../src/host/connect';
import { ExecOptions, ExecResult, HostConnection } from '../../src/host/hostConnection';
import { LocalConnection } from '../../src/host/localConnection';
import { vethPeer } from '../../src/model/queries';
import { Snapshot } from '../../src/model/snapshot';
import { LabEnv, loadLab, nsInode, nsOfPid, podmanOf, requireLab, requireLabEngine } from './labEnv';

/** lab.json's optional ctr part (lab.sh start_ctr); absent in labs made before it existed. */
interface LabCtr {
  socket: string;
  namespace: string;
  containers: Record<'lab-ctr1', { id: string; pid: number | null; status: string }>;
}

function ctrOf(lab: LabEnv): LabCtr | undefined {
  const c = (lab as unknown as { ctr?: LabCtr | { skipped: string } }).ctr;
  return c && !('skipped' in c) ? c : undefined;
}

function run(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}


/** Counts exec calls, so the test can hold discover() to one round trip. */
class CountingConnection implements HostConnection {
  execs = 0;
  constructor(private readonly inner: HostConnection) {}
  get id() { return this.inner.id; }
  get label() { return this.inner.label; }
  get state() { return this.inner.state; }
  onStateChange(l: Parameters<HostConnection['onStateChange']>[0]) { return this.inner.onStateChange(l); }
  connect(...a: Parameters<HostConnection['connect']>) { return this.inner.connect(...a); }
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.execs++;
    return this.inner.exec(argv, options);
  }
  openPty(...a: Parameters<HostConnection['openPty']>) { return this.inner.openPty(...a); }
  dispose() { this.inner.dispose(); }
}

/** Counts the exec channels ssh2 actually opens (below SshConnection, so nothing can hide one). */
async function countSshExecs<T>(f: () => Promise<T>): Promise<{ value: T; channels: number }> {
  const proto = Client.prototype as unknown as { exec: (...a: unknown[]) => unknown };
  const orig = proto.exec;
  let channels = 0;
  proto.exec = function (this: unknown, ...a: unknown[]) {
    channels++;
    return orig.apply(this, a);
  };
  try {
    return { value: await f(), channels };
  } finally {
    proto.exec = orig;
  }
}

interface Variant {
  title: string;
  ssh: boolean;
  open(lab: LabEnv): Promise<HostConnection>;
}

const VARIANTS: Variant[] = [
  { title: 'local', ssh: false, open: async () => new LocalConnection() },
  {
    title: 'ssh root',
    ssh: true,
    open: (lab) =>
      openConnection(`ssh://root@127.0.0.1:${lab.ssh.port}`, {
        identities: [lab.keys.ed25519.path],
        knownHosts: [lab.ssh.knownHosts],
        sshConfig: { configPath: '/dev/null', systemConfigPath: null },
        reconnect: false,
      }),
  },
  {
    title: 'ssh nsxkey (sudo)',
    ssh: true,
    open: (lab) =>
      openConnection(`ssh://nsxkey@127.0.0.1:${lab.ssh.port}`, {
        identities: [lab.keys.ed25519.path],
        knownHosts: [lab.ssh.knownHosts],
        sshConfig: { configPath: '/dev/null', systemConfigPath: null },
        sudo: 'always',
        reconnect: false,
      }),
  },
];

for (const variant of VARIANTS) {
  describe(`lab: discovery (${variant.title})`, function () {
    this.timeout(120_000);
    let lab: LabEnv;
    let snap: Snapshot;
    let conn: CountingConnection;
    let channels = -1;

    before(async function () {
      requireLab(this);
      lab = loadLab();
      conn = new CountingConnection(await variant.open(lab));
      await conn.connect();
      conn.execs = 0; // connect() may run its own checks (sudo); a refresh is what is counted
      const r = await countSshExecs(() => discover(conn));
      snap = r.value;
      channels = r.channels;
    });

    after(() => conn?.dispose());

    it('takes the snapshot in exactly one remote exec, as root', () => {
      assert.strictEqual(conn.execs, 1, 'HostConnection.exec calls');
      if (variant.ssh) {
        assert.strictEqual(channels, 1, 'ssh exec channels');
      }
      assert.strictEqual(snap.host.uid, 0);
      assert.strictEqual(snap.host.privileged, true);
    });

    it('reports docker containers with the pid and namespaces docker and /proc give', () => {
      for (const name of ['lab-c1', 'lab-c2', 'lab-none', 'lab-stopped']) {
        const found = snap.containers.filter((x) => x.engine === 'docker' && x.name === name);
        assert.strictEqual(found.length, 1, `${name} found once`);
        const c = found[0];
        const truth = Number(run(['docker', '-H', `unix://${lab.docker.socket}`, 'inspect', '-f', '{{.State.Pid}}', name]));
        if (truth === 0) {
          assert.strictEqual(c.pid, undefined, `${name} stopped: no pid`);
          assert.deepStrictEqual(c.ns, {});
          continue;
        }
        assert.strictEqual(c.pid, truth, `${name} pid`);
        assert.deepStrictEqual(c.ns, nsOfPid(truth), `${name} namespaces`);
      }
      const c1 = snap.containers.find((x) => x.name === 'lab-c1')!;
      const c2 = snap.containers.find((x) => x.name === 'lab-c2')!;
      assert.strictEqual(c2.ns.net, c1.ns.net);
      assert.notStrictEqual(c2.ns.pid, c1.ns.pid);
      assert.deepStrictEqual(c2.sharedWith?.net, ['lab-c1']);
      assert.ok(c1.sharedWith?.net?.includes('lab-c2'));
      assert.ok(!c1.sharedWithHost.includes('net'));
      const netHolders = snap.namespaces.find((n) => n.type === 'net' && n.inode === c1.ns.net)!.holders.map((h) => h.name).sort();
      assert.deepStrictEqual(netHolders, ['lab-c1', 'lab-c2']);
    });

    it('lists docker containers once, not again as containerd tasks of namespace moby', () => {
      for (const [name, c] of Object.entries(lab.docker.containers)) {
        const same = snap.containers.filter((x) => x.id === c.id || (c.pid !== null && x.pid === c.pid));
        assert.strictEqual(same.length, 1, `${name}: ${same.map((x) => `${x.engine}/${x.name}`).join(', ')}`);
      }
      assert.ok(!snap.containers.some((x) => x.engineNamespace === 'moby'));
    });

    it('finds the podman container of a custom --root/--runroot with the pid podman inspect gives', function () {
      const pm = podmanOf(lab);
      requireLabEngine(this, 'podman', pm, JSON.stringify(lab.podman));
      const truth = Number(run(['podman', ...pm.flags, 'inspect', '-f', '{{.State.Pid}}', 'lab-p1']));
      assert.ok(truth > 0, 'lab-p1 runs');
      const found = snap.containers.filter((x) => x.engine === 'podman' && x.name === 'lab-p1');
      assert.strictEqual(found.length, 1, `lab-p1 once among ${snap.containers.map((x) => `${x.engine}/${x.name}`).join(', ')}`);
      const p = found[0];
      assert.strictEqual(p.id, pm.containers['lab-p1'].id);
      assert.strictEqual(p.state, 'running');
      assert.strictEqual(p.pid, truth);
      assert.deepStrictEqual(p.ns, nsOfPid(truth));
      assert.strictEqual(p.engineNamespace, pm.flags[pm.flags.indexOf('--root') + 1]);
    });

    it('finds the ctr container in containerd namespace nsx-lab with the pid ctr gives', function () {
      const ctr = ctrOf(lab);
      requireLabEngine(this, 'containerd (ctr)', ctr, JSON.stringify((lab as unknown as { ctr?: unknown }).ctr));
      const row = run(['ctr', '-a', ctr.socket, '-n', ctr.namespace, 'tasks', 'ls'])
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((f) => f[0] === 'lab-ctr1');
      assert.ok(row, 'ctr lists the task');
      const truth = Number(row[1]);
      const found = snap.containers.filter((x) => x.id === 'lab-ctr1');
      assert.strictEqual(found.length, 1);
      const c = found[0];
      assert.strictEqual(c.engine, 'containerd');
      assert.strictEqual(c.engineNamespace, 'nsx-lab');
      assert.strictEqual(c.state, 'running');
      assert.strictEqual(c.pid, truth);
      assert.deepStrictEqual(c.ns, nsOfPid(truth));
      // no CNI: its own netns, holding only lo
      assert.ok(c.ns.net !== undefined && !c.sharedWithHost.includes('net'));
      assert.deepStrictEqual(snap.interfaces.filter((i) => i.ns === c.ns.net).map((i) => i.name), ['lo']);
    });

    it('finds the unregistered systemd-nspawn container by its -M process, with its child as init', function () {
      const ns = (lab as unknown as { nspawn?: { name: string; nspawnPid: number; pid: number } | { skipped: string } }).nspawn;
      requireLabEngine(this, 'systemd-nspawn', ns && !('skipped' in ns) ? ns : undefined, JSON.stringify(ns));
      if (!ns || 'skipped' in ns) return;
      // Ground truth from /proc here: the child of the systemd-nspawn process.
      const truth = Number(run(['pgrep', '-P', String(ns.nspawnPid)]).split('\n')[0]);
      assert.strictEqual(truth, ns.pid);
      const found = snap.containers.filter((x) => x.engine === 'nspawn');
      assert.deepStrictEqual(found.map((c) => [c.name, c.state, c.pid]), [[ns.name, 'running', truth]]);
      assert.deepStrictEqual(found[0].ns, nsOfPid(truth));
      // --private-network: a netns of its own, holding only lo; the host's user namespace
      assert.ok(!found[0].sharedWithHost.includes('net') && found[0].sharedWithHost.includes('user'));
      assert.deepStrictEqual(snap.interfaces.filter((i) => i.ns === found[0].ns.net).map((i) => i.name), ['lo']);
      assert.ok(snap.namespaces.find((n) => n.type === 'net' && n.inode === found[0].ns.net)?.holders.some((h) => h.name === ns.name));
    });

    it('lists the gVisor container as docker\'s, marked sandboxed, without host processes of its own', function () {
      const g = (lab as unknown as { gvisor?: { name: string; runtime: string } | { skipped: string } }).gvisor;
      requireLabEngine(this, 'gVisor', g && !('skipped' in g) ? g : undefined, JSON.stringify(g));
      if (!g || 'skipped' in g) return;
      const [state, runtime] = run(['docker', '-H', `unix://${lab.docker.socket}`, 'inspect', '-f', '{{.State.Status}} {{.HostConfig.Runtime}}', g.name]).split(' ');
      const found = snap.containers.filter((x) => x.name === g.name);
      assert.deepStrictEqual(
        found.map((c) => [c.engine, c.state, c.runtime, c.sandboxed, c.pid, c.ns]),
        [['docker', state, runtime, true, undefined, {}]],
      );
    });

    it('finds the LXC container by its monitor process, with the init lxc-info names', function () {
      const l = (lab as unknown as { lxc?: { name: string; path: string; pid: number } | { skipped: string } }).lxc;
      requireLabEngine(this, 'LXC', l && !('skipped' in l) ? l : undefined, JSON.stringify(l));
      if (!l || 'skipped' in l) return;
      const truth = Number(run(['lxc-info', '-P', l.path, '-n', l.name, '-p', '-H']));
      assert.strictEqual(truth, l.pid);
      const found = snap.containers.filter((x) => x.engine === 'lxc');
      assert.deepStrictEqual(found.map((c) => [c.name, c.state, c.pid]), [[l.name, 'running', truth]]);
      assert.deepStrictEqual(found[0].ns, nsOfPid(truth));
      // lxc.net.0.type = empty: a netns of its own with only lo
      assert.deepStrictEqual(snap.interfaces.filter((i) => i.ns === found[0].ns.net).map((i) => i.name), ['lo']);
    });

    it('gives every live process the NSpid of /proc/PID/status', () => {
      let checked = 0;
      for (const p of snap.processes) {
        let status: string;
        try {
          status = fs.readFileSync(`/proc/${p.pid}/status`, 'utf8');
        } catch {
          continue; // exited since the probe
        }
        const line = /^NSpid:\s*(.*)$/m.exec(status)?.[1];
        const name = /^Name:\t(.*)$/m.exec(status)?.[1];
        if (!line || name === undefined || name.replace(/\\n/g, '\n').replace(/\\\\/g, '\\') !== p.comm) {
          continue; // PID reused since the probe
        }
        assert.deepStrictEqual(p.nspid, line.split(/\s+/).map(Number), `pid ${p.pid}`);
        checked++;
      }
      assert.ok(checked > 20);
    });

    it('names netns by their nsfs inode (stat -L)', () => {
      for (const name of ['nsx_a', 'nsx_b', 'nsx_ssh']) {
        const inode = Number(run(['stat', '-L', '-c', '%i', `/run/netns/${name}`]));
        const n = snap.netns.find((x) => x.name === name);
        assert.strictEqual(n?.inode, inode, name);
        const ns = snap.namespaces.find((x) => x.type === 'net' && x.inode === inode)!;
        assert.ok(ns.holders.some((h) => h.kind === 'netns' && h.name === name));
      }
      const b = snap.namespaces.find((x) => x.type === 'net' && x.inode === snap.netns.find((n) => n.name === 'nsx_b')!.inode)!;
      assert.deepStrictEqual(b.pids, [], 'nsx_b holds no process');
    });

    it('pairs veth ends across netns, host and container namespaces', () => {
      const netInode = (where: string): number => {
        if (where === 'host') {
          return nsInode(process.pid, 'net')!;
        }
        if (where.startsWith('container:')) {
          return snap.containers.find((c) => c.name === where.slice(10))!.ns.net!;
        }
        return Number(run(['stat', '-L', '-c', '%i', `/run/netns/${where}`]));
      };
      for (const v of lab.veths) {
        const a = snap.interfaces.find((i) => i.name === v.a.name && i.ns === netInode(v.a.netns));
        const b = snap.interfaces.find((i) => i.name === v.b.name && i.ns === netInode(v.b.netns));
        assert.ok(a && b, `${v.a.name} and ${v.b.name} found in their namespaces`);
        assert.strictEqual(vethPeer(snap, a), b, `${v.a.name} -> ${v.b.name}`);
        assert.strictEqual(vethPeer(snap, b), a, `${v.b.name} -> ${v.a.name}`);
      }
    });

    it('sees the nested unshare tree with a 3-level NSpid', () => {
      const p = snap.processes.find((x) => x.pid === lab.nested.innermostPid);
      assert.ok(p);
      assert.strictEqual(p.nspid.length, 3);
      assert.deepStrictEqual(p.nspid, lab.nested.nspid);
      const pidNs = snap.namespaces.find((n) => n.type === 'pid' && n.inode === p.ns.pid)!;
      if (!snap.host.warnings.some((w) => w.startsWith('lsns'))) {
        const parent = snap.namespaces.find((n) => n.type === 'pid' && n.inode === pidNs.parent);
        assert.ok(parent && parent.parent === snap.namespaces.find((n) => n.type === 'pid' && n.initial)!.inode);
      }
    });
  });
}
