/**
 * The isolation report against the lab's containers (lab.sh start_isolation_containers): each one
 * classified as `docker inspect`'s HostConfig and this machine's /proc say, read here independently of the
 * probe. Plus podman's privileged container (lab-priv; docker's --privileged cannot start on this VM) and
 * the gVisor one (lab-gvisor). No lab container remaps root yet: podman's --uidmap puts conmon in a mount
 * namespace of its own (not trusted, docs/security.md), and ctr --uidmap cannot mount its rootfs here.
 * NSX_UPDATE_FIXTURES=1 also writes test/unit/model/fixtures/isolation-lab.json, the real probe section
 * and HostConfigs the unit tests of the rules read.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { discover, probeArgv } from '../../src/discovery/discover';
import { LocalConnection } from '../../src/host/localConnection';
import { buildIsolationReport, decodeCapabilities, type IsolationReport, type IsolationRow } from '../../src/model/isolation';
import type { Snapshot } from '../../src/model/snapshot';
import { isLabUp, type LabEnv, loadLab, podmanOf } from './labEnv';

interface HostConfig {
  NetworkMode: string;
  PidMode: string;
  IpcMode: string;
  Privileged: boolean;
  CapAdd: string[] | null;
  CapDrop: string[] | null;
  Binds: string[] | null;
  ReadonlyRootfs: boolean;
  SecurityOpt: string[] | null;
}

const ISOLATION_CONTAINERS = ['lab-c1', 'lab-hostnet', 'lab-hostpid', 'lab-sysadmin', 'lab-sock', 'lab-ro', 'lab-nnp'];

function statusField(pid: number, key: string): string {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith(`${key}:`));
  return (line ?? '').slice(key.length + 1).trim();
}
const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, '');

describe('lab: isolation report', function () {
  this.timeout(120_000);
  let lab: LabEnv;
  let snap: Snapshot;
  let report: IsolationReport;
  const hc = new Map<string, HostConfig>();
  const podmanHc = new Map<string, HostConfig>();
  const row = (name: string): IsolationRow => {
    const r = report.rows.find((x) => x.name === name);
    assert.ok(r, `a row for ${name} among ${report.rows.map((x) => x.name).join(', ')}`);
    return r;
  };

  before(async function () {
    if (!isLabUp()) {
      if (process.env.NSX_LAB_REQUIRED === '1') throw new Error('the lab is not up');
      this.skip();
    }
    lab = loadLab();
    if (!lab.docker.containers['lab-sysadmin']) throw new Error('this lab.json predates the isolation containers: run lab.sh up again');
    const conn = new LocalConnection();
    await conn.connect();
    snap = await discover(conn);
    report = buildIsolationReport(snap);
    const env = { ...process.env, ...lab.docker.env };
    const out = execFileSync('docker', ['inspect', '-f', '{{.Name}} {{json .HostConfig}}', ...ISOLATION_CONTAINERS], { env, encoding: 'utf8' });
    for (const line of out.trim().split('\n')) {
      const sp = line.indexOf(' ');
      hc.set(line.slice(1, sp), JSON.parse(line.slice(sp + 1)) as HostConfig);
    }
    const pm = podmanOf(lab);
    for (const name of ['lab-p1', 'lab-priv'] as const) {
      if (!pm?.containers[name]) continue;
      const j = execFileSync('podman', [...pm.flags, 'inspect', '-f', '{{json .HostConfig}}', name], { encoding: 'utf8' });
      podmanHc.set(name, JSON.parse(j) as HostConfig);
    }
    if (process.env.NSX_UPDATE_FIXTURES === '1') {
      const raw = await conn.exec(probeArgv(), { privileged: true });
      const lines = raw.stdout.split('\n');
      const token = /^@@nsx-probe 2 (\S+)/.exec(lines[0] ?? '')?.[1];
      const start = lines.findIndex((l) => l === `@@${token} isolation`);
      const end = lines.findIndex((l, i) => i > start && l.startsWith(`@@${token} `));
      const fixture = {
        note: 'Captured by test/lab/isolation.test.ts (NSX_UPDATE_FIXTURES=1) on the lab host: the probe\'s isolation section and docker inspect\'s HostConfig of each container.',
        host: { capBnd: statusField(process.pid, 'CapBnd'), capLastCap: Number(fs.readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8')) },
        section: lines.slice(start + 1, end),
        containers: Object.fromEntries(ISOLATION_CONTAINERS.map((n) => [n, { pid: lab.docker.containers[n]!.pid, hostConfig: hc.get(n) }])),
        podman: Object.fromEntries([...podmanHc].map(([n, h]) => [n, { pid: (podmanOf(lab)!.containers as Record<string, { pid: number | null }>)[n]!.pid, hostConfig: h }])),
      };
      const file = path.join(__dirname, '../../../test/unit/model/fixtures/isolation-lab.json');
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, JSON.stringify(fixture, null, 1) + '\n');
    }
    conn.dispose();
  });

  it('reads every running container\'s init (per container, from the probe) with the capability sets /proc shows', () => {
    for (const name of ISOLATION_CONTAINERS) {
      const r = row(name);
      const pid = lab.docker.containers[name]!.pid!;
      assert.strictEqual(r.pid, pid, name);
      assert.deepStrictEqual(r.capabilities?.bounding, decodeCapabilities(statusField(pid, 'CapBnd')), `${name} bounding set`);
      assert.deepStrictEqual(r.capabilities?.effective, decodeCapabilities(statusField(pid, 'CapEff')), `${name} effective set`);
      const sec = Number(statusField(pid, 'Seccomp'));
      assert.strictEqual(r.seccomp?.mode, sec === 2 ? 'filter' : sec === 1 ? 'strict' : 'disabled', `${name} seccomp`);
      assert.strictEqual(r.noNewPrivs, statusField(pid, 'NoNewPrivs') === '1', `${name} NoNewPrivs`);
    }
  });

  it('flags host network, host PID, privileged, CAP_SYS_ADMIN and the docker socket exactly where HostConfig has them', () => {
    for (const name of ISOLATION_CONTAINERS) {
      const h = hc.get(name)!;
      const r = row(name);
      const ids = r.findings.map((f) => f.id);
      assert.strictEqual(ids.includes('host-net'), h.NetworkMode === 'host', `${name} host network (${h.NetworkMode}): ${ids.join(', ')}`);
      assert.strictEqual(r.namespaces.find((n) => n.type === 'net')!.state === 'host', h.NetworkMode === 'host', `${name} net row`);
      assert.strictEqual(ids.includes('host-pid'), h.PidMode === 'host', `${name} host PID (${h.PidMode})`);
      assert.strictEqual(r.isolationClass === 'privileged', h.Privileged, `${name} privileged: ${r.isolationClass}`);
      const sysAdmin = (h.CapAdd ?? []).map(capName).includes('SYS_ADMIN');
      assert.strictEqual(ids.includes('cap-sys-admin'), sysAdmin && !h.Privileged, `${name} CAP_SYS_ADMIN`);
      const sock = (h.Binds ?? []).some((b) => b.split(':')[1] === '/var/run/docker.sock');
      assert.strictEqual(ids.some((i) => i.startsWith('socket:')), sock, `${name} engine socket: ${ids.join(', ')}`);
      assert.strictEqual(r.mounts?.readOnlyRoot, h.ReadonlyRootfs, `${name} read-only root`);
      assert.strictEqual(r.noNewPrivs, (h.SecurityOpt ?? []).some((o) => /^no-new-privileges(:true|=true)?$/.test(o)), `${name} no-new-privileges`);
      if (h.Privileged) {
        assert.strictEqual(r.capabilities?.full, true);
        assert.strictEqual(r.findings[0]!.severity, 'critical');
        assert.strictEqual(r.findings[0]!.cis, '5.4');
      } else {
        // The engine's default set, as docker really applies it: only --cap-add is on top, nothing dropped.
        assert.deepStrictEqual([...r.capabilities!.added].sort(), (h.CapAdd ?? []).map(capName).sort(), `${name} added capabilities`);
        assert.deepStrictEqual(r.capabilities!.dropped, [], `${name} dropped capabilities`);
        assert.strictEqual(r.mounts?.masked, true, `${name} masked paths in place`);
        assert.strictEqual(r.mounts?.procSysReadOnly, true, `${name} /proc/sys read-only`);
      }
    }
  });

  it('keeps the plain container free of critical and high findings', () => {
    const r = row('lab-c1');
    assert.strictEqual(r.isolationClass, 'namespaced');
    assert.deepStrictEqual(r.findings.filter((f) => f.severity === 'critical' || f.severity === 'high'), []);
    assert.strictEqual(r.user?.rootUid, 0, 'docker without userns-remap: root is host root');
  });

  it('names the CIS checks: 5.9 host network, 5.15 host PID, 5.31 the docker socket', () => {
    assert.strictEqual(row('lab-hostnet').findings.find((f) => f.id === 'host-net')!.cis, '5.9');
    assert.strictEqual(row('lab-hostpid').findings.find((f) => f.id === 'host-pid')!.cis, '5.15');
    assert.strictEqual(row('lab-sock').findings.find((f) => f.id.startsWith('socket:'))!.cis, '5.31');
  });

  it('classifies podman\'s --privileged container as privileged, with every capability root has', function () {
    const p = podmanOf(lab)?.containers['lab-priv'];
    if (!p?.pid) this.skip();
    assert.strictEqual(podmanHc.get('lab-priv')?.Privileged, true);
    const r = row('lab-priv');
    assert.strictEqual(r.isolationClass, 'privileged');
    assert.strictEqual(r.capabilities?.full, true);
    assert.deepStrictEqual(r.capabilities?.bounding, decodeCapabilities(statusField(process.pid, 'CapBnd')), 'root\'s own bounding set');
    assert.strictEqual(r.seccomp?.mode, 'disabled');
    assert.strictEqual(r.mounts?.masked, false);
    assert.strictEqual(r.findings[0]!.id, 'privileged');
    assert.strictEqual(r.findings[0]!.cis, '5.4');
    // Podman's plain container gets podman's default set, as podman really applies it.
    assert.deepStrictEqual(row('lab-p1').capabilities!.added, []);
    assert.deepStrictEqual(row('lab-p1').capabilities!.dropped, []);
    assert.notStrictEqual(row('lab-p1').isolationClass, 'privileged');
  });

  it('sums up the host: how many share the host network, how many look privileged', () => {
    const docker = [...hc.values(), ...podmanHc.values()];
    const hostNet = docker.filter((h) => h.NetworkMode === 'host').length;
    const priv = docker.filter((h) => h.Privileged).length;
    const text = report.summary.join(' ');
    assert.match(text, new RegExp(`${hostNet} container${hostNet === 1 ? '' : 's'} shares? the host network`), text);
    assert.match(text, new RegExp(`${priv} container${priv === 1 ? '' : 's'} looks? privileged`), text);
  });

  it('puts the gVisor container in its own class', function () {
    const g = lab.docker.containers['lab-gvisor'];
    if (!g) this.skip();
    assert.strictEqual(row('lab-gvisor').isolationClass, 'sandboxed');
  });
});
