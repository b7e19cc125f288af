import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ProbeStreamParser, parseProbeOutput, unescapeMountField, unescapeStatusName } from '../../../src/discovery/parseProbe';
import { Snapshot } from '../../../src/model/snapshot';
import { processChain, vethPeer, namespaceByInode, containerShares, namespaceEnterPath } from '../../../src/model/queries';
import { REPO_ROOT } from './probeScriptSource';
import { mark, probeText } from './probeFormat';

const FIXTURES = path.join(REPO_ROOT, 'test/unit/discovery/fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

describe('parseProbe: odd cases (odd.probe.txt)', () => {
  const s = parseProbeOutput(fixture('odd.probe.txt'), { takenAt: 1 });

  it('reads host facts and the host-side duration', () => {
    assert.strictEqual(s.schemaVersion, 1);
    assert.strictEqual(s.host.hostname, 'odd host');
    assert.strictEqual(s.host.kernel, '6.1.0-18-amd64');
    assert.strictEqual(s.host.uid, 0);
    assert.strictEqual(s.host.privileged, true);
    assert.strictEqual(s.host.probeMs, 250);
    assert.strictEqual(s.host.takenAt, 1);
  });

  it('unescapes task names and keeps newlines inside arguments without forging sections', () => {
    const p = s.processes.find((x) => x.pid === 40);
    assert.ok(p);
    assert.strictEqual(p.comm, 'we\nird\\name x');
    assert.strictEqual(p.cmdline, './we arg one two@@lines @@docker /fake');
    assert.strictEqual(s.containers.filter((c) => c.image === '/fake').length, 0);
  });

  it('drops a PID that vanished before its status was read, and the probe itself', () => {
    assert.ok(!s.processes.some((p) => p.pid === 77));
    assert.ok(!s.processes.some((p) => p.pid === 900 || p.pid === 901));
  });

  it('keeps a process with unreadable namespace links and says so', () => {
    const p = s.processes.find((x) => x.pid === 41);
    assert.deepStrictEqual(p?.ns, {});
    assert.ok(s.host.warnings.some((w) => /unreadable namespace/.test(w)));
  });

  it('marks kernel threads, nspid, non-identity uid maps and cgroup lines', () => {
    assert.strictEqual(s.processes.find((p) => p.pid === 3)?.kernelThread, true);
    assert.strictEqual(s.processes.find((p) => p.pid === 1)?.kernelThread, undefined);
    const p = s.processes.find((x) => x.pid === 40);
    assert.deepStrictEqual(p?.nspid, [40, 7]);
    assert.deepStrictEqual(p?.uidMap, [
      { inside: 0, outside: 1000, count: 1 },
      { inside: 1, outside: 100000, count: 65536 },
    ]);
    assert.strictEqual(p?.cgroup, '12:pids:/user.slice');
    assert.strictEqual(s.processes.find((x) => x.pid === 1)?.cgroup, '/init.scope');
    assert.strictEqual(s.processes.find((x) => x.pid === 1)?.uidMap, undefined);
  });

  it('labels namespaces: host, named netns, nsfs-only, parent and owner from lsns', () => {
    const hostNet = namespaceByInode(s, 4026531840, 'net');
    assert.strictEqual(hostNet?.initial, true);
    assert.deepStrictEqual(hostNet?.holders, [{ kind: 'host', name: 'host' }]);
    const named = namespaceByInode(s, 4026532300, 'net');
    assert.deepStrictEqual(s.netns, [{ name: 'with space', path: '/run/netns/with space', inode: 4026532300 }]);
    assert.ok(named?.holders.some((h) => h.kind === 'netns' && h.name === 'with space'));
    assert.ok(named?.holders.some((h) => h.kind === 'container' && h.name === 'web'));
    const keptMnt = namespaceByInode(s, 4026532400, 'mnt');
    assert.deepStrictEqual(keptMnt?.pids, []);
    assert.deepStrictEqual(keptMnt?.nsfsPaths, ['/run/keep-mnt']);
    assert.strictEqual(namespaceEnterPath(keptMnt!), '/run/keep-mnt');
    const pidNs = namespaceByInode(s, 4026532500, 'pid');
    assert.strictEqual(pidNs?.parent, 4026531836);
    assert.strictEqual(pidNs?.owner, 4026532600);
    assert.strictEqual(namespaceByInode(s, 4026532600, 'user')?.parent, 4026531837);
    // Initial types missing from PID 1 fall back to the kernel's fixed inodes.
    assert.strictEqual(namespaceByInode(s, 4026531837, 'user')?.initial, true);
    assert.strictEqual(namespaceByInode(s, 4026531841, 'mnt')?.initial, true);
  });

  it('resolves veth peers by mutual ifindex, using netnsids where ifindexes repeat', () => {
    const a = s.interfaces.find((i) => i.name === 'veth-a');
    const b = s.interfaces.find((i) => i.name === 'veth-b');
    assert.deepStrictEqual(a?.peer, { ns: 4026532300, ifindex: 2 });
    assert.deepStrictEqual(b?.peer, { ns: 4026532301, ifindex: 2 });
    assert.strictEqual(vethPeer(s, a!)?.name, 'eth0');
    assert.strictEqual(a?.master, 'br0');
    const lo = s.interfaces.find((i) => i.name === 'lo');
    assert.strictEqual(lo?.mac, undefined);
    assert.deepStrictEqual(lo?.addresses, [{ family: 'inet', address: '127.0.0.1', prefixLen: 8, scope: 'host' }]);
  });

  it('reads docker containers, tolerating bad lines, stopped, sandboxed and reused PIDs', () => {
    const byName = new Map(s.containers.map((c) => [c.name, c]));
    assert.deepStrictEqual([...byName.keys()].sort(), ['gone', 'kata1', 'reused', 'web']);
    const web = byName.get('web')!;
    assert.strictEqual(web.pid, 40);
    assert.strictEqual(web.ns.net, 4026532300);
    assert.deepStrictEqual(web.sharedWithHost, []);
    const gone = byName.get('gone')!;
    assert.strictEqual(gone.pid, undefined);
    assert.deepStrictEqual(gone.ns, {});
    assert.deepStrictEqual(gone.pod, { name: 'p1', namespace: undefined });
    const kata = byName.get('kata1')!;
    assert.strictEqual(kata.sandboxed, true);
    assert.strictEqual(kata.pid, undefined);
    // PID 77 vanished: the container stays, without namespaces.
    assert.deepStrictEqual(byName.get('reused')!.ns, {});
  });

  it('turns probe warnings into snapshot warnings', () => {
    assert.ok(s.host.warnings.includes('ip failed in netns 4026532999'));
  });
});

function checkRealSnapshot(s: Snapshot): void {
  assert.strictEqual(s.host.hostname, 'vm');
  assert.ok(s.processes.length > 50);
  const kthreadd = s.processes.find((p) => p.pid === 2);
  assert.strictEqual(kthreadd?.comm, 'kthreadd');
  // PID 1 (firecracker init) hides its namespace links even from root here; kthreadd gives the initial ones.
  assert.ok(s.namespaces.some((n) => n.type === 'net' && n.initial && n.inode === 4026531833));
  const odd = s.processes.find((p) => p.comm === 'sl ep\nx');
  assert.ok(odd, 'the process whose name has a space and a newline');
  assert.strictEqual(odd.cmdline, '/tmp/nsx odd/sl ep\nx 900');
  assert.ok(s.processes.some((p) => p.cmdline === 'sh -c sleep 900 arg with\nnewline'));
  const nested = s.processes.find((p) => p.nspid.length === 3);
  assert.ok(nested, 'nested unshare gives a 3-level NSpid');
  assert.deepStrictEqual(nested.nspid.slice(1), [3, 1]);
  assert.deepStrictEqual(processChain(s, nested.pid).slice(0, 3).map((p) => p.nspid.length), [3, 2, 2]);
  assert.ok(s.processes.some((p) => p.uidMap && p.uidMap[0].count === 1));
  assert.deepStrictEqual(s.netns.map((n) => n.name).sort(), ['nsxt_a', 'nsxt_b']);
  const a = s.netns.find((n) => n.name === 'nsxt_a')!;
  assert.ok(namespaceByInode(s, a.inode, 'net')?.pids.length === 1, 'the sleep inside nsxt_a');
  const byName = (n: string) => s.interfaces.find((i) => i.name === n)!;
  const pairs: Array<[string, string]> = [['nsxt-v0', 'nsxt-v1'], ['nsxt-ab', 'nsxt-ba'], ['nsxt-s0', 'nsxt-s1']];
  for (const [x, y] of pairs) {
    assert.strictEqual(vethPeer(s, byName(x))?.name, y, `${x} -> ${y}`);
    assert.strictEqual(vethPeer(s, byName(y))?.name, x, `${y} -> ${x}`);
  }
  assert.strictEqual(byName('nsxt-v1').ns, a.inode);
  assert.ok(byName('nsxt-v0').addresses.some((x) => x.address === '10.200.9.1' && x.prefixLen === 30));
}

describe('parseProbe: captured from a Debian 12 VM (local.probe.txt)', () => {
  const s = parseProbeOutput(fixture('local.probe.txt'));
  it('finds processes, odd names, nested PID namespaces, named netns and veth peers', () => checkRealSnapshot(s));
  it('survives lsns dying on the newline in a task name (util-linux 2.38) and says so', () => {
    assert.deepStrictEqual(s.host.warnings, [
      'lsns failed: parent and owner namespaces are unknown',
      '1 process had unreadable namespace links (permission or exited).',
    ]);
    assert.ok(s.namespaces.every((n) => n.parent === undefined));
  });
});

describe('parseProbe: captured with busybox applets only (busybox.probe.txt)', () => {
  const s = parseProbeOutput(fixture('busybox.probe.txt'));
  it('gives the same picture from ip -o text and sysfs', () => checkRealSnapshot(s));
  it('warns what busybox could not show', () => {
    assert.ok(s.host.warnings.some((w) => /lsns is not installed/.test(w)));
    assert.ok(s.host.warnings.some((w) => /no JSON output/.test(w)));
    assert.ok(s.host.warnings.some((w) => /busybox tools only/.test(w)));
  });
});

describe('ProbeStreamParser', () => {
  it('gives the same snapshot whether fed whole or in odd-sized chunks split inside UTF-8', () => {
    const text = fixture('odd.probe.txt').replace('hostname=odd host', 'hostname=ödd høst');
    const whole = parseProbeOutput(text, { takenAt: 5 });
    const parser = new ProbeStreamParser();
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += 7) {
      parser.feed(buf.subarray(i, i + 7));
    }
    assert.deepStrictEqual(parser.finish({ takenAt: 5 }), whole);
    assert.strictEqual(whole.host.hostname, 'ödd høst');
  });

  it('stops at the byte bound and warns', () => {
    const parser = new ProbeStreamParser(2000);
    parser.feed(fixture('odd.probe.txt'));
    const s = parser.finish();
    assert.ok(parser.truncated);
    assert.ok(s.host.warnings.some((w) => /exceeded 2000 bytes/.test(w)));
  });

  it('reports an empty stream as a probe that did not run', () => {
    const s = parseProbeOutput('');
    assert.ok(s.host.warnings.some((w) => /did not run/.test(w)));
    assert.deepStrictEqual(s.processes, []);
  });

  it('unescapes kernel escapes', () => {
    assert.strictEqual(unescapeStatusName('a\\nb\\\\c'), 'a\nb\\c');
    assert.strictEqual(unescapeMountField('/run/netns/a\\040b\\012c'), '/run/netns/a b\nc');
  });
});

describe('queries', () => {
  it('lists containers sharing a namespace', () => {
    const s = parseProbeOutput(fixture('odd.probe.txt'));
    const web = s.containers.find((c) => c.name === 'web')!;
    assert.deepStrictEqual(containerShares(s, web), {});
  });
});

describe('parseProbe: engines on the lab host (lab.probe.txt, captured with lab.sh up)', () => {
  const text = fixture('lab.probe.txt');
  const s = parseProbeOutput(text);
  const names = (x: Snapshot) => x.containers.map((c) => `${c.engine}/${c.name}`).sort();

  it('finds podman containers of a custom store named by conmon, and ctr containers by namespace', () => {
    assert.deepStrictEqual(names(s), ['containerd/lab-ctr1', 'docker/lab-c1', 'docker/lab-c2', 'docker/lab-none', 'docker/lab-stopped', 'podman/lab-p1']);
    const p = s.containers.find((c) => c.name === 'lab-p1')!;
    assert.strictEqual(p.engineNamespace, '/var/lib/nsx-lab-podman/storage');
    assert.ok(p.pid && p.ns.pid);
    const c = s.containers.find((x) => x.name === 'lab-ctr1')!;
    assert.strictEqual(c.engineNamespace, 'nsx-lab');
    assert.ok(c.pid && c.ns.net);
  });

  it('shows a docker container once when containerd lists it again in namespace moby', () => {
    const c1 = s.containers.find((c) => c.name === 'lab-c1')!;
    const sock = '/run/nsx-lab/docker-exec/containerd/containerd.sock';
    const moby = probeText([
      `@@ctr-containers ${sock} moby`,
      'CONTAINER    IMAGE    RUNTIME',
      `${c1.id}    -    io.containerd.runc.v2`,
      `other-id-same-pid    -    io.containerd.runc.v2`,
      `@@ctr-tasks ${sock} moby`,
      'TASK    PID    STATUS',
      `${c1.id}    ${c1.pid}    RUNNING`,
      `other-id-same-pid    ${c1.pid}    RUNNING`,
      '',
    ].join('\n'));
    const at = text.indexOf(mark('machines'));
    const s2 = parseProbeOutput(text.slice(0, at) + moby + text.slice(at));
    assert.deepStrictEqual(names(s2), names(s));
  });
});
