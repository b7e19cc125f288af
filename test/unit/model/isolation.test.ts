import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseIsolationSection, parseMountLine } from '../../../src/discovery/parseIsolation';
import {
  buildIsolationReport,
  CAPABILITY_NAMES,
  compareWithDefault,
  containerIsolation,
  decodeCapabilities,
  isolationMarkdown,
  mountFindings,
} from '../../../src/model/isolation';
import type { ContainerEngine, ContainerInfo, HostFacts, MountEntry, NsType, Snapshot } from '../../../src/model/snapshot';
import { needTool } from '../../support/needTool';
import { REPO_ROOT } from '../discovery/probeScriptSource';

/**
 * isolation-lab.json: the probe's isolation section on the lab host, with `docker inspect` / `podman
 * inspect` HostConfig of each container, written by test/lab/isolation.test.ts (NSX_UPDATE_FIXTURES=1).
 * The expectations below come from those HostConfigs, i.e. from what the engines were told to do.
 */
interface HostConfig { CapAdd: string[] | null; Binds: string[] | null; ReadonlyRootfs: boolean; Privileged: boolean; SecurityOpt: string[] | null }
interface Fixture {
  host: { capBnd: string; capLastCap: number };
  section: string[];
  containers: Record<string, { pid: number; hostConfig: HostConfig }>;
  podman: Record<string, { pid: number; hostConfig: HostConfig }>;
}
const fixture = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'test/unit/model/fixtures/isolation-lab.json'), 'utf8')) as Fixture;
const parsed = parseIsolationSection(fixture.section);
const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');
const of = (name: string) => {
  const c = fixture.containers[name] ?? fixture.podman[name];
  assert.ok(c, name);
  const s = parsed.byPid.get(c.pid);
  assert.ok(s, `${name}: its init ${c.pid} is in the section`);
  return { ...c, security: s };
};

describe('isolation rules: capability decoding', () => {
  it('names every capability bit as capsh --decode does', function () {
    needTool(this, ['capsh', '--decode=1'], 'libcap2-bin');
    for (let bit = 0; bit < CAPABILITY_NAMES.length; bit++) {
      const hex = (1n << BigInt(bit)).toString(16);
      const r = spawnSync('capsh', [`--decode=${hex}`], { encoding: 'utf8' });
      const name = r.stdout.trim().split('=')[1] ?? '';
      assert.deepStrictEqual(decodeCapabilities(hex).map((n) => `cap_${n.toLowerCase()}`), [name], `bit ${bit}`);
    }
  });

  it('decodes the lab containers\u2019 real masks as capsh does, and nothing from garbage', function () {
    needTool(this, ['capsh', '--decode=1'], 'libcap2-bin');
    for (const name of Object.keys(fixture.containers)) {
      const hex = of(name).security.capBnd!;
      const r = spawnSync('capsh', [`--decode=${hex}`], { encoding: 'utf8' });
      assert.deepStrictEqual(decodeCapabilities(hex).map((n) => `cap_${n.toLowerCase()}`).join(','), r.stdout.trim().split('=')[1], name);
    }
    assert.deepStrictEqual(decodeCapabilities('not hex'), []);
    assert.deepStrictEqual(decodeCapabilities('0'), []);
  });
});

describe('isolation rules: the engine\u2019s default set', () => {
  it('finds nothing added or dropped on a plain docker or podman container', () => {
    for (const [name, engine] of [['lab-c1', 'docker'], ['lab-ro', 'docker'], ['lab-p1', 'podman']] as const) {
      const cmp = compareWithDefault(decodeCapabilities(of(name).security.capBnd!), engine);
      assert.deepStrictEqual(cmp.added, [], `${name} added`);
      assert.deepStrictEqual(cmp.dropped, [], `${name} dropped`);
    }
  });

  it('finds exactly what --cap-add added', () => {
    const c = of('lab-sysadmin');
    const cmp = compareWithDefault(decodeCapabilities(c.security.capBnd!), 'docker');
    assert.deepStrictEqual(cmp.added, (c.hostConfig.CapAdd ?? []).map(capName));
    assert.deepStrictEqual(cmp.added, ['SYS_ADMIN']);
  });

  it('has no default for LXC, so nothing is called added there', () => {
    assert.deepStrictEqual(compareWithDefault(['SYS_ADMIN'], 'lxc'), { added: [], dropped: [] });
  });
});

describe('isolation rules: mountinfo findings', () => {
  it('finds the docker socket bind mount where HostConfig.Binds put it, writable', () => {
    const c = of('lab-sock');
    const m = mountFindings(c.security.mounts!);
    const target = c.hostConfig.Binds![0]!.split(':')[1];
    assert.deepStrictEqual(m.sockets, [{ socket: 'docker.sock', mountPoint: target, writable: true }]);
    assert.deepStrictEqual(m.hostPaths, [], 'the engine\u2019s own /etc/hosts, hostname and resolv.conf are not host paths');
    for (const name of ['lab-c1', 'lab-ro', 'lab-nnp']) assert.deepStrictEqual(mountFindings(of(name).security.mounts!).sockets, [], name);
  });

  it('reads the root filesystem as read-only exactly for --read-only', () => {
    for (const name of Object.keys(fixture.containers)) {
      const c = of(name);
      assert.strictEqual(mountFindings(c.security.mounts!).readOnlyRoot, c.hostConfig.ReadonlyRootfs, name);
    }
  });

  it('sees the masks and a read-only /proc/sys on a plain container, and neither on a privileged one', () => {
    const plain = mountFindings(of('lab-c1').security.mounts!);
    assert.strictEqual(plain.masked, true);
    assert.ok(plain.maskedPaths.includes('/proc/keys') && plain.maskedPaths.includes('/sys/firmware'), plain.maskedPaths.join(' '));
    assert.strictEqual(plain.procSysReadOnly, true);
    assert.strictEqual(plain.writableSysfs, false);
    const priv = of('lab-priv');
    assert.strictEqual(priv.hostConfig.Privileged, true);
    const p = mountFindings(priv.security.mounts!);
    assert.strictEqual(p.masked, false);
    assert.strictEqual(p.procSysReadOnly, false);
    assert.strictEqual(p.writableSysfs, true);
  });

  const mnt = (root: string, mountPoint: string, fstype = 'ext4', options = ['rw', 'relatime']): MountEntry => ({ root, mountPoint, options, fstype });
  it('flags sensitive host paths, the host\u2019s /dev, and proc or sysfs mounted elsewhere; not the container\u2019s own', () => {
    const m = mountFindings([
      mnt('/', '/', 'overlay'),
      mnt('/', '/host', 'ext4'),
      mnt('/etc', '/host-etc', 'xfs', ['ro']),
      mnt('/etc/ssh', '/keys', 'ext4'),
      mnt('/', '/hostdev', 'devtmpfs'),
      mnt('/', '/host/proc', 'proc'),
      mnt('/srv/data', '/data', 'ext4'),
      mnt('/var/lib/docker/containers/x/hosts', '/etc/hosts'),
      mnt('/', '/proc', 'proc'),
      mnt('/', '/dev', 'tmpfs'),
      // nspawn's and LXC's own (seen in the lab): not host paths given away
      mnt('/usr/lib/os-release', '/run/host/os-release', 'ext4', ['ro']),
      mnt('/usr/share/zoneinfo/Etc/UTC', '/etc/localtime', 'ext4', ['ro']),
      mnt('/', '/dev/.lxc/proc', 'proc'),
      mnt('/', '/dev/.lxc/sys', 'sysfs'),
    ]);
    assert.deepStrictEqual(m.hostPaths.map((h) => `${h.hostPath}@${h.mountPoint}${h.writable ? '' : ':ro'}`), ['/@/host', '/etc@/host-etc:ro', '/etc/ssh@/keys', '/dev@/hostdev', '/proc@/host/proc']);
    assert.strictEqual(m.readOnlyRoot, false);
  });

  it('reads the probe\u2019s mount lines with mountinfo\u2019s escapes undone, and refuses malformed ones', () => {
    assert.deepStrictEqual(parseMountLine('/a\\040b /mnt/x\\012y ro,nosuid ext4'), { root: '/a b', mountPoint: '/mnt/x\ny', options: ['ro', 'nosuid'], fstype: 'ext4' });
    assert.strictEqual(parseMountLine('/a /b ro'), undefined);
    assert.strictEqual(parseMountLine('a /b ro ext4'), undefined);
    assert.strictEqual(parseMountLine('/a /b ro ext4 extra'), undefined);
  });

  it('reads escaped values as data and drops malformed lines', () => {
    const s = parseIsolationSection(['7 attr docker-default%0A(enforce)', '7 uid_map 0 100000 65536', '7 status CapEff zz', '7 status Seccomp 2', 'x status CapEff 1', 'host capbnd 1ff']);
    const p = s.byPid.get(7)!;
    assert.strictEqual(p.lsmLabel, 'docker-default\n(enforce)');
    assert.deepStrictEqual(p.uidMap, [{ inside: 0, outside: 100000, count: 65536 }]);
    assert.strictEqual(p.capEff, undefined);
    assert.strictEqual(p.seccomp, 2);
    assert.strictEqual(s.byPid.size, 1);
    assert.strictEqual(s.host.capBnd, '1ff');
  });
});

describe('isolation rules: findings and the report', () => {
  const host: HostFacts = { hostname: 'lab', kernel: '6.18', uid: 0, privileged: true, probeMs: 1, takenAt: 1, warnings: [], capBnd: fixture.host.capBnd, capLastCap: fixture.host.capLastCap };
  const NS: Record<NsType, number> = { net: 1, pid: 2, mnt: 3, uts: 4, ipc: 5, user: 6, cgroup: 7, time: 8 };
  const container = (name: string, engine: ContainerEngine, extra: Partial<ContainerInfo> = {}): ContainerInfo => ({
    engine, id: `${name}-id`, name, image: 'busybox', state: 'running', pid: of(name).pid, ns: { ...NS }, sharedWithHost: ['user', 'time'], security: of(name).security, ...extra,
  });

  it('calls podman\u2019s --privileged container privileged (CIS 5.4) and a docker one with SYS_ADMIN not', () => {
    const priv = containerIsolation(container('lab-priv', 'podman'), host);
    assert.strictEqual(priv.isolationClass, 'privileged');
    assert.strictEqual(priv.findings[0]!.id, 'privileged');
    assert.strictEqual(priv.findings[0]!.cis, '5.4');
    const sa = containerIsolation(container('lab-sysadmin', 'docker'), host);
    assert.strictEqual(sa.isolationClass, 'namespaced');
    assert.ok(sa.findings.some((f) => f.id === 'cap-sys-admin' && f.severity === 'high' && f.cis === '5.3'));
  });

  it('flags root not remapped without seccomp, and not when root is remapped', () => {
    const base = of('lab-c1').security;
    const noSeccomp = { ...base, seccomp: 0 };
    const r = containerIsolation(container('lab-c1', 'docker', { security: noSeccomp }), host);
    assert.ok(r.findings.some((f) => f.id === 'root-no-seccomp' && f.severity === 'high' && f.cis === '5.21'));
    const remapped = containerIsolation(container('lab-c1', 'docker', { sharedWithHost: ['time'], security: { ...noSeccomp, uidMap: [{ inside: 0, outside: 100000, count: 65536 }] } }), host);
    assert.strictEqual(remapped.user?.rootUid, 100000);
    assert.ok(!remapped.findings.some((f) => f.id === 'root-no-seccomp'));
    assert.ok(remapped.findings.some((f) => f.id === 'no-seccomp'));
  });

  it('flags host network and host PID from the snapshot\u2019s sharing, and a sandboxed runtime as its own class', () => {
    const hn = containerIsolation(container('lab-hostnet', 'docker', { sharedWithHost: ['net', 'user', 'time'] }), host);
    assert.deepStrictEqual(hn.findings.filter((f) => f.id === 'host-net').map((f) => f.cis), ['5.9']);
    assert.strictEqual(hn.namespaces.find((n) => n.type === 'net')!.state, 'host');
    const g = containerIsolation({ engine: 'docker', id: 'g', name: 'lab-gvisor', image: 'b', state: 'running', ns: {}, sharedWithHost: [], sandboxed: true, runtime: 'runsc' }, host);
    assert.strictEqual(g.isolationClass, 'sandboxed');
    assert.deepStrictEqual(g.findings, []);
  });

  it('sums up the host and exports Markdown with untrusted names escaped', () => {
    const snap: Snapshot = {
      schemaVersion: 1, host, processes: [], namespaces: [], netns: [], interfaces: [],
      containers: [
        container('lab-hostnet', 'docker', { sharedWithHost: ['net', 'user', 'time'], name: 'evil|name\n## x' }),
        container('lab-priv', 'podman'),
        container('lab-c1', 'docker'),
      ],
    };
    const rep = buildIsolationReport(snap);
    assert.deepStrictEqual(rep.summary, ['3 running containers: 1 container shares the host network; 1 container looks privileged.']);
    assert.strictEqual(rep.rows[0]!.isolationClass, 'privileged', 'worst first');
    const md = isolationMarkdown(rep);
    assert.ok(md.includes('evil\\|name ## x'), md);
    assert.ok(!md.includes('\n## x'));
    assert.match(md, /CIS Docker Benchmark 5\.9: Ensure that the host's network namespace is not shared/);
    assert.strictEqual(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| Container')).length, 3);
  });
});
