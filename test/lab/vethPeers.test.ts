// Veth peers from the kernel, never guessed: pairs between named network namespaces whose ends share
// ifindexes (each namespace's first veth is ifindex 2), made in each of the ways iproute2 allows (inside
// one namespace with the peer put straight into another, as CNI plugins do; on the host and both ends
// moved; inside one and the peer moved later; host to namespace). Every end must name its true peer, as
// `ip -n NS -d link show DEV` gives it (its @ifN index and its link-netns name); the snapshot is taken
// over the lab's sshd as root. No traffic is sent.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { discover } from '../../src/discovery/discover';
import { openConnection } from '../../src/host/connect';
import { HostConnection } from '../../src/host/hostConnection';
import { Snapshot } from '../../src/model/snapshot';
import { loadLab, requireLab } from './labEnv';

const NS = ['nsxp_a', 'nsxp_b', 'nsxp_c', 'nsxp_d', 'nsxp_e', 'nsxp_f', 'nsxp_g'];
const HOST_END = 'nsxph0';
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** Each end: where it is (a netns name, or undefined for the host) and its name. */
const ENDS: Array<{ ns?: string; dev: string }> = [
  { ns: 'nsxp_a', dev: 'va' }, { ns: 'nsxp_b', dev: 'vb' },
  { ns: 'nsxp_c', dev: 'vc' }, { ns: 'nsxp_d', dev: 'vd' },
  { ns: 'nsxp_e', dev: 'pe' }, { ns: 'nsxp_f', dev: 'pf' },
  { dev: HOST_END }, { ns: 'nsxp_g', dev: 'vg' },
];

function cleanup(): void {
  for (const n of NS) {
    try {
      ip('netns', 'del', n);
    } catch {
      // not there
    }
  }
  try {
    ip('link', 'del', HOST_END);
  } catch {
    // gone with its peer's namespace
  }
  try {
    ip('link', 'del', 'nsxp_x');
  } catch {
    // moved or gone
  }
}

describe('lab: veth peers from the kernel, with ifindexes that repeat', function () {
  this.timeout(120_000);
  let conn: HostConnection;
  let snap: Snapshot;

  before(async function () {
    requireLab(this);
    const lab = loadLab();
    cleanup();
    for (const n of NS) ip('netns', 'add', n);
    // 1. Inside a, the peer straight into b (CNI); the same for c and d.
    ip('-n', 'nsxp_a', 'link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb', 'netns', 'nsxp_b');
    ip('-n', 'nsxp_c', 'link', 'add', 'vc', 'type', 'veth', 'peer', 'name', 'vd', 'netns', 'nsxp_d');
    // 2. Inside e, the peer moved to f afterwards.
    ip('-n', 'nsxp_e', 'link', 'add', 'pe', 'type', 'veth', 'peer', 'name', 'pf');
    // ("dev": a bare "vf" would be ip's SR-IOV keyword.)
    ip('-n', 'nsxp_e', 'link', 'set', 'dev', 'pf', 'netns', 'nsxp_f');
    // 3. On the host, one end moved into g.
    ip('link', 'add', HOST_END, 'type', 'veth', 'peer', 'name', 'nsxp_x');
    ip('link', 'set', 'dev', 'nsxp_x', 'netns', 'nsxp_g');
    ip('-n', 'nsxp_g', 'link', 'set', 'dev', 'nsxp_x', 'name', 'vg');
    conn = await openConnection(`ssh://root@127.0.0.1:${lab.ssh.port}`, {
      identities: [lab.keys.ed25519.path],
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
      reconnect: false,
    });
    await conn.connect();
    snap = await discover(conn);
  });

  after(() => {
    conn?.dispose();
    cleanup();
  });

  it('the pairs share ifindexes, so indexes alone cannot tell them apart', () => {
    const idx = ENDS.filter((e) => e.ns).map((e) => Number(/^(\d+):/.exec(ip('-n', e.ns!, '-o', 'link', 'show', e.dev))![1]));
    assert.ok(idx.filter((i) => i === 2).length >= 4, `ifindexes ${idx.join(', ')}`);
  });

  for (const end of ENDS) {
    it(`${end.ns ?? 'host'} ${end.dev} names the peer that ip -d link shows`, () => {
      const text = end.ns ? ip('-n', end.ns, '-d', 'link', 'show', end.dev) : ip('-d', 'link', 'show', end.dev);
      const peerIndex = Number(/@if(\d+):/.exec(text)?.[1]);
      // "link-netns NAME" names the peer's namespace; "link-netnsid N" (no name) is the host here.
      const peerNs = /link-netns (\S+)/.exec(text)?.[1];
      const hostInode = snap.namespaces.find((n) => n.type === 'net' && n.initial)!.inode;
      const inodeOf = (name: string) => snap.netns.find((n) => n.name === name)?.inode;
      const expected = { ns: peerNs ? inodeOf(peerNs) : hostInode, ifindex: peerIndex };
      assert.ok(expected.ns !== undefined && Number.isInteger(peerIndex), `the kernel's answer: ${text}`);
      const myNs = end.ns ? inodeOf(end.ns) : hostInode;
      const mine = snap.interfaces.find((i) => i.ns === myNs && i.name === end.dev);
      assert.ok(mine, `${end.dev} is in the snapshot`);
      assert.deepStrictEqual(mine.peer, expected, `${end.ns ?? 'host'}/${end.dev}: ${text.split('\n').slice(0, 2).join(' ')}`);
    });
  }
});
