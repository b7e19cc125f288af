import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { parseIpJson, resolveLinkParents, resolveVethPeers } from '../../../src/discovery/parseInterfaces';
import { parseProbeOutput } from '../../../src/discovery/parseProbe';
import type { Snapshot } from '../../../src/model/snapshot';
import { SnapshotIndex } from '../../../src/model/snapshotIndex';
import { buildTopology, OUTSIDE_ID, type TopologyModel } from '../../../src/model/topology';
import { REPO_ROOT } from '../discovery/probeScriptSource';

const FIXTURES = path.join(REPO_ROOT, 'test/unit/discovery/fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const nodeOf = (m: TopologyModel, label: string) => {
  const n = m.nodes.find((x) => x.label === label);
  assert.ok(n, `a node labelled ${label}; have ${m.nodes.map((x) => x.label).join(' | ')}`);
  return n;
};
const edgeNamed = (m: TopologyModel, a: string, b: string) => m.edges.filter((e) => (e.sourceEnd?.name === a && e.targetEnd?.name === b) || (e.sourceEnd?.name === b && e.targetEnd?.name === a));

// lab.probe.txt: a probe of the lab host (test/lab/lab.sh), captured; the veths below are the ones lab.sh makes.
describe('topology of the lab host (lab.probe.txt)', () => {
  const snap = parseProbeOutput(fixture('lab.probe.txt'), { takenAt: 1 });
  const m = buildTopology(new SnapshotIndex(snap));

  it('draws each veth pair once, as one edge between both namespaces, whichever end it is read from', () => {
    for (const [a, na, b, nb] of [['nsxa0', 'nsx_a', 'nsxb0', 'nsx_b'], ['nsxh0', 'host', 'nsxa1', 'nsx_a'], ['nsxb1', 'nsx_b', 'nsxc1', 'lab-c1, lab-c2']] as const) {
      const es = edgeNamed(m, a, b);
      assert.strictEqual(es.length, 1, `${a} ↔ ${b}`);
      const e = es[0]!;
      assert.strictEqual(e.kind, 'veth');
      const ends = new Set([e.source, e.target]);
      assert.deepStrictEqual(ends, new Set([nodeOf(m, na).id, nodeOf(m, nb).id]));
      assert.match(e.label, new RegExp(`${a}|${b}`));
    }
    // Both ends of every veth pair in the snapshot, in both directions, make exactly one edge each.
    const pairs = new Set(snap.interfaces.filter((i) => i.kind === 'veth' && i.peer).map((i) => [`${i.ns}/${i.ifindex}`, `${i.peer!.ns}/${i.peer!.ifindex}`].sort().join(' ')));
    assert.strictEqual(m.edges.filter((e) => e.id.startsWith('veth:')).length, pairs.size);
  });

  it('labels a veth edge with both ends\u2019 addresses', () => {
    const e = edgeNamed(m, 'nsxa0', 'nsxb0')[0]!;
    const byName = new Map([e.sourceEnd!, e.targetEnd!].map((x) => [x.name, x.addresses]));
    assert.ok(byName.get('nsxa0')!.includes('10.200.1.1/24'));
    assert.ok(byName.get('nsxb0')!.includes('10.200.1.2/24'));
  });

  it('draws the bridge as a node, its ports to it, and the bridge in the host', () => {
    const br = nodeOf(m, 'nsxbr0');
    assert.strictEqual(br.kind, 'bridge');
    assert.ok(br.addresses.includes('10.200.100.1/24'));
    const port = m.edges.find((e) => e.kind === 'port');
    assert.ok(port, 'a bridge port edge');
    assert.strictEqual(port.source, br.id, 'the host end of docker\u2019s veth is a port of nsxbr0');
    assert.strictEqual(port.target, nodeOf(m, 'lab-c1, lab-c2').id);
    assert.ok(port.targetEnd!.addresses.includes('10.200.100.2/24'));
    assert.ok(m.edges.some((e) => e.kind === 'bridge' && e.source === nodeOf(m, 'host').id && e.target === br.id));
  });

  it('puts the containers that share a netns on one node', () => {
    const n = nodeOf(m, 'lab-c1, lab-c2');
    assert.deepStrictEqual(n.holders.map((h) => `${h.kind}:${h.name}`), ['container:lab-c1', 'container:lab-c2']);
    assert.ok(!m.nodes.some((x) => x.label === 'lab-c1' || x.label === 'lab-c2'));
    assert.strictEqual(snap.containers.find((c) => c.name === 'lab-c1')!.ns.net, n.inode);
  });

  it('draws a loopback-only namespace (--network none) as an isolated node, with no edge', () => {
    const n = nodeOf(m, 'lab-none');
    assert.strictEqual(n.isolated, true);
    assert.ok(!m.edges.some((e) => e.source === n.id || e.target === n.id));
    assert.ok(!nodeOf(m, 'nsx_a').isolated);
  });

  it('names the containers that share the host network on the host node, and finds it by their names', () => {
    // lab-hostnet runs with --network host: the kernel gives its init the host's netns.
    const hostnet = snap.containers.find((c) => c.name === 'lab-hostnet')!;
    const host = nodeOf(m, 'host');
    assert.strictEqual(hostnet.ns.net, host.inode);
    assert.ok(host.holders.some((h) => h.kind === 'container' && h.name === 'lab-hostnet'), host.holders.map((h) => h.name).join(' '));
    assert.strictEqual(new Set(host.holders.map((h) => `${h.kind}:${h.name}`)).size, host.holders.length, 'each holder once');
    assert.ok(host.search.includes('lab-hostnet'));
    assert.ok(!m.nodes.some((n) => n.label === 'lab-hostnet'), 'no node of its own');
  });

  it('ties the physical NIC to "outside"', () => {
    const e = m.edges.find((x) => x.kind === 'uplink');
    assert.ok(e);
    assert.strictEqual(e.target, OUTSIDE_ID);
    assert.strictEqual(e.sourceEnd!.name, 'eth0');
  });

  it('indexes names, addresses and inodes for search, and keeps ids stable', () => {
    const a = nodeOf(m, 'nsx_a');
    assert.ok(a.search.includes('10.200.2.2/24') && a.search.includes(String(a.inode)) && a.search.includes('nsxa0'));
    const again = buildTopology(new SnapshotIndex(parseProbeOutput(fixture('lab.probe.txt'), { takenAt: 2 })));
    assert.deepStrictEqual(again.nodes.map((n) => n.id), m.nodes.map((n) => n.id));
    assert.deepStrictEqual(again.edges.map((e) => e.id), m.edges.map((e) => e.id));
  });
});

// macvlan-*.ip.json: `ip -j -d addr show` of two network namespaces, captured on this project's kernel
// after `ip link add mv1 link p0 type macvlan`, `ip link add mv0 link p0 type macvlan` and
// `ip link add vx0 type vxlan id 42 dev p0` in the first, then mv0 and vx0 moved to the second.
describe('topology: macvlan and vxlan to their parent (real ip -j output)', () => {
  const PARENT_NS = 4026532900;
  const CHILD_NS = 4026532901;
  const raws = [...parseIpJson(PARENT_NS, fixture('macvlan-parent.ip.json')), ...parseIpJson(CHILD_NS, fixture('macvlan-child.ip.json'))];
  const interfaces = resolveVethPeers(raws);
  resolveLinkParents(raws);
  const snap: Snapshot = {
    schemaVersion: 1,
    host: { hostname: 'lab', kernel: '6.18', uid: 0, privileged: true, probeMs: 1, takenAt: 1, warnings: [] },
    processes: [],
    namespaces: [],
    containers: [],
    netns: [{ name: 'parent', path: '/run/netns/parent', inode: PARENT_NS }, { name: 'child', path: '/run/netns/child', inode: CHILD_NS }],
    interfaces,
  };
  const m = buildTopology(new SnapshotIndex(snap));
  const iface = (ns: number, name: string) => interfaces.find((i) => i.ns === ns && i.name === name)!;

  it('finds the lower device of a macvlan in its own and in another namespace, and never calls it a peer', () => {
    const p0 = iface(PARENT_NS, 'p0');
    assert.deepStrictEqual(iface(PARENT_NS, 'mv1').link, { ns: PARENT_NS, ifindex: p0.ifindex });
    assert.deepStrictEqual(iface(CHILD_NS, 'mv0').link, { ns: PARENT_NS, ifindex: p0.ifindex });
    assert.strictEqual(iface(PARENT_NS, 'mv1').peer, undefined);
    assert.deepStrictEqual(iface(CHILD_NS, 'vx0').link, { ns: PARENT_NS, ifindex: p0.ifindex });
  });

  it('draws a macvlan edge from its parent\u2019s namespace to the macvlan\u2019s, labelled with both', () => {
    const e = m.edges.find((x) => x.kind === 'lower' && x.targetEnd?.name === 'mv0');
    assert.ok(e, 'an edge for mv0');
    assert.strictEqual(e.source, nodeOf(m, 'parent').id);
    assert.strictEqual(e.target, nodeOf(m, 'child').id);
    assert.strictEqual(e.sourceEnd!.name, 'p0');
    assert.deepStrictEqual(e.targetEnd!.addresses, ['10.200.77.2/24']);
    assert.match(e.label, /mv0 \(macvlan\) on p0/);
    assert.ok(m.edges.some((x) => x.kind === 'lower' && x.targetEnd?.name === 'vx0'));
  });

  it('still pairs the veth p0/p1 inside one namespace', () => {
    const es = edgeNamed(m, 'p0', 'p1');
    assert.strictEqual(es.length, 1);
    assert.strictEqual(es[0]!.source, es[0]!.target);
  });
});
