/**
 * discover() against the lab (test/lab/lab.sh up), compared with ground truth read independently from
 * /proc, docker and stat. Runs through LocalConnection; the lead runs the same file over SSH by setting
 * NSX_LAB_CONNECTION=ssh (see connectForLab). Skips when the lab is not up.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { discover } from '../../src/discovery/discover';
import { ExecOptions, ExecResult, HostConnection } from '../../src/host/hostConnection';
import { LocalConnection } from '../../src/host/localConnection';
import { vethPeer } from '../../src/model/queries';
import { NS_TYPES, Snapshot } from '../../src/model/snapshot';

const LAB_JSON = process.env.NSX_LAB_JSON ?? '/run/nsx-lab/lab.json';

interface Lab {
  docker: { socket: string; containers: Record<string, { id: string; pid: number | null; status: string }> };
  netns: Record<string, { inode: number; holderPid: number | null }>;
  veths: Array<{ a: { name: string; netns: string }; b: { name: string; netns: string } }>;
  nested: { innermostPid: number; nspid: number[]; levels: number };
}

function run(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function nsInode(pid: number, type: string): number | undefined {
  try {
    return Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/${type}`))?.[1]);
  } catch {
    return undefined;
  }
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

describe('lab: discovery', function () {
  this.timeout(120_000);
  let lab: Lab;
  let snap: Snapshot;
  let conn: CountingConnection;

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      this.skip();
    }
    lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as Lab;
    conn = new CountingConnection(new LocalConnection());
    await conn.connect();
    snap = await discover(conn);
  });

  after(() => conn?.dispose());

  it('used exactly one exec', () => {
    assert.strictEqual(conn.execs, 1);
  });

  it('reports docker containers with the pid and namespaces docker and /proc give', () => {
    for (const name of ['lab-c1', 'lab-c2', 'lab-none', 'lab-stopped']) {
      const c = snap.containers.find((x) => x.engine === 'docker' && x.name === name);
      assert.ok(c, `${name} found`);
      const truth = Number(run(['docker', '-H', `unix://${lab.docker.socket}`, 'inspect', '-f', '{{.State.Pid}}', name]));
      if (truth === 0) {
        assert.strictEqual(c.pid, undefined, `${name} stopped: no pid`);
        assert.deepStrictEqual(c.ns, {});
        continue;
      }
      assert.strictEqual(c.pid, truth, `${name} pid`);
      for (const t of NS_TYPES) {
        assert.strictEqual(c.ns[t], nsInode(truth, t), `${name} ${t}`);
      }
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
    for (const name of ['nsx_a', 'nsx_b']) {
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
    for (const v of lab.veths.filter((x) => x.a.netns !== 'nsx_ssh' && x.b.netns !== 'nsx_ssh')) {
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
