/**
 * A hostile tenant (test/lab/tenant.sh: uid 65534, no privilege) dresses its processes and files up as
 * container engines next to the lab's real ones: a systemd-nspawn, an "[lxc monitor]", a conmon, a
 * containerd shim, dockerds and a containerd naming the lab's real containers and the tenant's own
 * sockets, data roots, podman store, runtime and a FIFO; task names with TABs and escapes; directory
 * names and arguments holding newlines and probe section lines. The probe, run as root over the lab's
 * sshd (as root and as nsxkey through sudo), must see through all of it: compared with a snapshot taken
 * before the tenant came up, the same containers, namespaces and interfaces; the tenant's processes as
 * what they are; a warning naming each fake engine; no engine CLI pointed at a tenant path; Enter landing
 * in the real containers; and no hang on the FIFO. Skips when the lab is not up (fails under
 * NSX_LAB_REQUIRED). Ground truth is read here, from /proc, not from the probe.
 *
 * Run alone (root, holding the suite lock):
 *   flock /tmp/nsx-suite.lock sh -c 'bash test/lab/lab.sh up && npx mocha --timeout 120000 out/test/lab/hostileTenant.test.js; bash test/lab/lab.sh down'
 */
import * as assert from 'assert';
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover, DiscoverOptions } from '../../src/discovery/discover';
import { openConnection } from '../../src/host/connect';
import { ExecOptions, ExecResult, HostConnection } from '../../src/host/hostConnection';
import { Snapshot } from '../../src/model/snapshot';
import { LabEnv, loadLab, nsOfPid, podmanOf, requireLab } from './labEnv';
import { listTree, roleLeader, TenantEnv, tenantDown, TenantProcess, tenantProcesses, tenantUp, withFifoWatchdog } from './tenant';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Remembers the probe's exec, so that its real end (not only the snapshot's) can be timed. */
class TimedConnection implements HostConnection {
  lastExec: Promise<ExecResult> | undefined;
  constructor(private readonly inner: HostConnection) {}
  get id() { return this.inner.id; }
  get label() { return this.inner.label; }
  get state() { return this.inner.state; }
  onStateChange(l: Parameters<HostConnection['onStateChange']>[0]) { return this.inner.onStateChange(l); }
  connect(...a: Parameters<HostConnection['connect']>) { return this.inner.connect(...a); }
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    const p = this.inner.exec(argv, options);
    this.lastExec = p;
    return p;
  }
  openPty(...a: Parameters<HostConnection['openPty']>) { return this.inner.openPty(...a); }
  dispose() { this.inner.dispose(); }
}

interface Probe {
  snap?: Snapshot;
  error?: Error;
  /** until discover() resolved */
  snapMs: number;
  /** until the probe's exec ended (a planted end mark can resolve discover() before the probe is done) */
  execMs: number;
  /** times the test had to wake a reader blocked opening the tenant's FIFO */
  releases: number;
  blocked: string[];
}

interface Variant {
  title: string;
  user: 'root' | 'nsxkey';
  conn?: TimedConnection;
  baseline?: Probe;
  baselineMs: number;
  after?: Probe;
}

/** A real, running, host-visible container of the lab, with its init's PID as the lab recorded it. */
interface RealContainer {
  name: string;
  engine: string;
  pid: number;
}

interface EnterOutcome {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  releases: number;
}


function realContainers(lab: LabEnv): RealContainer[] {
  const out: RealContainer[] = [];
  for (const [name, c] of Object.entries(lab.docker.containers)) {
    // A --pid host container (lab-hostpid, for the isolation report) has the host's PID 1 inside: the
    // landing check below reads a container's own PID 1.
    if (c.pid && c.status === 'running' && fs.readlinkSync(`/proc/${c.pid}/ns/pid`) !== fs.readlinkSync('/proc/self/ns/pid')) {
      out.push({ name, engine: 'docker', pid: c.pid });
    }
  }
  const pm = podmanOf(lab);
  if (pm && pm.containers['lab-p1'].pid) {
    out.push({ name: 'lab-p1', engine: 'podman', pid: pm.containers['lab-p1'].pid });
  }
  const extra = lab as unknown as Record<string, { skipped?: string; name?: string; pid?: number | null; containers?: Record<string, { pid: number | null }> }>;
  const ctr = extra.ctr;
  if (ctr && !ctr.skipped && ctr.containers?.['lab-ctr1']?.pid) {
    out.push({ name: 'lab-ctr1', engine: 'containerd', pid: ctr.containers['lab-ctr1'].pid });
  }
  for (const k of ['nspawn', 'lxc'] as const) {
    const e = extra[k];
    if (e && !e.skipped && e.name && e.pid) {
      out.push({ name: e.name, engine: k, pid: e.pid });
    }
  }
  return out;
}

/** A gVisor container's recorded pid is its sandbox's: its processes are not on the host. */
function hostVisible(c: RealContainer): boolean {
  return !(c.engine === 'docker' && c.name === 'lab-gvisor');
}

const ENTER_SCRIPT = 'hostname; readlink /proc/self/ns/pid; readlink /proc/self/ns/uts; cat /proc/1/comm';

/** What ENTER_SCRIPT prints inside the container, from the host's /proc and its uts namespace. */
function expectedInside(c: RealContainer): string[] {
  const hn = spawnSync('nsenter', ['-t', String(c.pid), '-u', 'hostname'], { encoding: 'utf8', timeout: 10_000 });
  return [
    hn.stdout.trim() || `(nsenter failed: ${hn.stderr.trim()})`,
    fs.readlinkSync(`/proc/${c.pid}/ns/pid`),
    fs.readlinkSync(`/proc/${c.pid}/ns/uts`),
    fs.readFileSync(`/proc/${c.pid}/comm`, 'utf8').trim(),
  ];
}

const containerKey = (c: Snapshot['containers'][number]) => `${c.engine} ${c.id} ${c.name} pid=${c.pid ?? '-'}`;
const ifaceKey = (i: Snapshot['interfaces'][number]) =>
  `ns=${i.ns} #${i.ifindex} ${JSON.stringify(i.name)} ${i.kind} ${i.state} ${i.mac ?? ''} ${i.addresses.map((a) => `${a.address}/${a.prefixLen}`).sort().join(',')} peer=${i.peer ? `${i.peer.ns}#${i.peer.ifindex}` : '-'}`;
/** A namespace's holders other than processes (host, containers, named netns), as one sorted string. */
const fixedHolders = (n: Snapshot['namespaces'][number]) =>
  n.holders.filter((h) => h.kind !== 'process').map((h) => `${h.kind}:${h.name}:${h.ref ?? ''}`).sort().join(' ');

function diff(before: string[], after: string[]): { added: string[]; removed: string[] } {
  const b = new Set(before);
  const a = new Set(after);
  return { added: after.filter((x) => !b.has(x)), removed: before.filter((x) => !a.has(x)) };
}

function show(d: { added: string[]; removed: string[] }): string {
  return `\n  only with the tenant: ${JSON.stringify(d.added, null, 1)}\n  only without: ${JSON.stringify(d.removed, null, 1)}`;
}

describe('lab: a hostile tenant (uid 65534) does not mislead the probe', function () {
  this.timeout(180_000);
  let lab: LabEnv;
  let tenant: TenantEnv | undefined;
  let tmp: string;
  let cli: string;
  let tprocs: TenantProcess[] = [];
  let storeBefore: string[] = [];
  let real: RealContainer[] = [];
  let treeBaseline: Probe | undefined;
  let treeAfter: Probe | undefined;
  const enterBefore = new Map<string, EnterOutcome>();
  const enterAfter = new Map<string, EnterOutcome>();
  const variants: Variant[] = [
    { title: 'ssh root', user: 'root', baselineMs: 0 },
    { title: 'ssh nsxkey (sudo)', user: 'nsxkey', baselineMs: 0 },
  ];

  async function probe(conn: TimedConnection, fifoAfterMs: number, opts: DiscoverOptions = {}): Promise<Probe> {
    const fifo = tenant?.fifo ?? '/nonexistent';
    let snapMs = 0;
    const r = await withFifoWatchdog(fifo, fifoAfterMs, async () => {
      const t0 = Date.now();
      const snap = await discover(conn, { timeoutMs: 120_000, ...opts });
      snapMs = Date.now() - t0;
      // The probe may still run after the snapshot resolved (an end mark planted early): wait for it.
      await conn.lastExec?.catch(() => undefined);
      return snap;
    });
    return { snap: r.value, error: r.error, snapMs: snapMs || r.ms, execMs: r.ms, releases: r.releases, blocked: r.blocked };
  }

  function enter(name: string, fifoAfterMs: number): Promise<EnterOutcome> {
    const args = [
      cli, 'exec', '--target', `root@${lab.ssh.host}:${lab.ssh.port}`, '--ssh-config', path.join(tmp, 'empty_config'),
      '--known-hosts', lab.ssh.knownHosts, '--identity', lab.keys.ed25519.path, '--sudo', 'never',
      '--container', name, '--', 'sh', '-c', ENTER_SCRIPT,
    ];
    return withFifoWatchdog(tenant?.fifo ?? '/nonexistent', fifoAfterMs, () =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, args, { cwd: tmp, encoding: 'utf8', timeout: 120_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp } }, (err, stdout, stderr) => {
          // err.code is the exit code when the CLI ran and failed
          const code = (err as { code?: unknown } | null)?.code;
          resolve({ status: err ? (typeof code === 'number' ? code : null) : 0, stdout, stderr });
        });
      }),
    ).then((r) => ({ status: r.value?.status ?? null, stdout: r.value?.stdout ?? '', stderr: r.value?.stderr ?? String(r.error), ms: r.ms, releases: r.releases }));
  }

  before(async function () {
    this.timeout(900_000);
    requireLab(this);
    if (process.getuid?.() !== 0) {
      throw new Error('the hostile-tenant test runs as root (it starts processes as uid 65534 and reads their /proc)');
    }
    lab = loadLab();
    real = realContainers(lab).filter(hostVisible);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-hostile-'));
    fs.writeFileSync(path.join(tmp, 'empty_config'), '');
    // A private CLI bundle: dist/cli.js is shared with other runs that rebuild it while src/ changes.
    const build = spawnSync('flock', ['/tmp/nsx-build.lock', process.execPath, require.resolve('webpack/bin/webpack.js', { paths: [ROOT] }),
      '--mode', 'production', '--config-name', 'cli', '--output-path', path.join(tmp, 'dist')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
    assert.strictEqual(build.status, 0, `building the CLI failed: ${build.stdout}${build.stderr}`);
    cli = path.join(tmp, 'dist', 'cli.js');
    tenantDown(); // leftovers of a crashed run

    for (const v of variants) {
      v.conn = new TimedConnection(await openConnection(`ssh://${v.user}@${lab.ssh.host}:${lab.ssh.port}`, {
        identities: [lab.keys.ed25519.path],
        knownHosts: [lab.ssh.knownHosts],
        sshConfig: { configPath: '/dev/null', systemConfigPath: null },
        sudo: v.user === 'root' ? undefined : 'always',
        reconnect: false,
      }));
      await v.conn.connect();
      // Without the tenant: the usual time is the faster of two probes.
      const a = await probe(v.conn, 1e9);
      const b = await probe(v.conn, 1e9);
      v.baseline = b.snap ? b : a;
      v.baselineMs = Math.min(a.execMs, b.execMs);
    }
    treeBaseline = await probe(variants[0].conn!, 1e9, { scope: 'tree' });
    for (const c of real) {
      enterBefore.set(c.name, await enter(c.name, 1e9));
    }

    tenant = tenantUp();
    tprocs = tenantProcesses(tenant);
    storeBefore = [...listTree(tenant.store).map((f) => `store/${f}`), ...listTree(tenant.runroot).map((f) => `run/${f}`)];
    for (const v of variants) {
      v.after = await probe(v.conn!, 2 * v.baselineMs + 3000);
    }
    treeAfter = await probe(variants[0].conn!, 2 * variants[0].baselineMs + 3000, { scope: 'tree' });
    for (const c of real) {
      // Enter is about where it lands, not about time: the FIFO is released at once.
      enterAfter.set(c.name, await enter(c.name, 0));
    }
  });

  after(function () {
    this.timeout(120_000);
    try {
      tenantDown();
    } finally {
      for (const v of variants) v.conn?.dispose();
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  const tenantPids = () => new Set(tprocs.map((p) => p.pid));
  function snaps(v: Variant): { before: Snapshot; after: Snapshot } {
    assert.ok(v.baseline?.snap, `the probe without the tenant failed: ${v.baseline?.error?.message}`);
    assert.ok(v.after?.snap, `the probe with the tenant up failed: ${v.after?.error?.message} (${v.after?.execMs} ms, FIFO released ${v.after?.releases} times)`);
    return { before: v.baseline.snap, after: v.after.snap };
  }

  it('(control) the tenant is up as planned: fake engines with children in their own namespaces, literal task names, wrappers', function () {
    assert.ok(tenant, 'tenant.sh up');
    const t = tenant;
    const want: Record<string, (p: TenantProcess) => boolean> = {
      nspawn: (p) => p.comm === 'systemd-nspawn' && p.args.join(' ').includes(`-M ${t.targets.nspawn}`),
      lxc: (p) => p.args.length === 1 && p.args[0] === `[lxc monitor] /var/lib/lxc ${t.targets.lxc}`,
      conmon: (p) => p.comm === 'conmon' && p.args[0] === '/usr/bin/conmon' && p.args.includes(t.targets.podmanId) && p.args.includes(`--runtime=${t.runtime}`),
      shim: (p) => p.comm === 'containerd-shim' && p.args.includes(t.targets.taskId) && p.args.includes('default'),
      dockerd: (p) => p.comm === 'dockerd' && p.args.includes(`--config-file`) && p.args.includes(t.fifo),
      dockerd2: (p) => p.comm === 'dockerd',
      containerd: (p) => p.comm === 'containerd' && p.args.includes(t.fifo),
      commtab: (p) => p.comm === 'x\tS\t1\t0\t1',
      commesc: (p) => p.comm === '\x1b[31mnsx-esc',
      argvnl: (p) => p.args.some((a) => a.includes('\n@@procs\n')),
      forgee: (p) => p.comm === 'dash' && p.args.includes('-namespace'),
      forger: (p) => p.args[0] === 'dockerd' && p.args.some((a) => a.includes('\nT\x1f')),
    };
    const host = nsOfPid(1);
    for (const [role, ok] of Object.entries(want)) {
      const leader = roleLeader(tprocs, role);
      assert.ok(leader && ok(leader), `${role}: ${JSON.stringify(leader)}`);
      const child = tprocs.find((p) => p.ppid === leader.pid);
      assert.ok(child, `${role} has a child`);
      if (t.fakeEngineRoles.includes(role)) {
        const ns = nsOfPid(child.pid);
        assert.ok(ns.user !== host.user && ns.mnt !== host.mnt && ns.uts !== host.uts, `${role}'s child ${child.pid} is in its own user, mnt and uts namespaces`);
      }
    }
    assert.ok(tprocs.every((p) => p.uid === 65534));
    for (const s of t.sockets) assert.ok(fs.statSync(s).isSocket(), s);
    assert.ok(fs.statSync(t.fifo).isFIFO());
    assert.ok(t.wrappers.length > 0, `no PATH wrapper could be installed: ${t.wrappersSkipped.join('; ')}`);
  });

  for (const v of variants) {
    describe(v.title, function () {
      it('lists the same containers (engine, id, name, pid) as without the tenant', function () {
        const { before, after } = snaps(v);
        const d = diff(before.containers.map(containerKey).sort(), after.containers.map(containerKey).sort());
        assert.ok(d.added.length === 0 && d.removed.length === 0, `containers differ:${show(d)}`);
      });

      it('lists the same namespaces as without the tenant; the tenant\'s own are ordinary process namespaces', function () {
        const { before, after } = snaps(v);
        const pids = tenantPids();
        const afterNs = new Map(after.namespaces.map((n) => [`${n.type}:${n.inode}`, n]));
        const afterPids = new Set(after.processes.map((p) => p.pid));
        const problems: string[] = [];
        for (const n of before.namespaces) {
          const key = `${n.type}:${n.inode}`;
          const a = afterNs.get(key);
          const fixed = fixedHolders(n);
          // Held by the host, a container or a named netns, or by processes that are still there.
          if (!fixed && !n.pids.every((p) => afterPids.has(p))) {
            continue;
          }
          if (!a) {
            problems.push(`${key} (${fixed || 'processes ' + n.pids.join(',')}) is gone`);
          } else if (fixedHolders(a) !== fixed) {
            problems.push(`${key} was held by [${fixed}], now by [${fixedHolders(a)}]`);
          }
        }
        const beforeKeys = new Set(before.namespaces.map((n) => `${n.type}:${n.inode}`));
        for (const n of after.namespaces) {
          const key = `${n.type}:${n.inode}`;
          if (beforeKeys.has(key) || !n.pids.some((p) => pids.has(p))) {
            continue; // not new, or not the tenant's (something else on this machine)
          }
          if (n.holders.some((h) => h.kind !== 'process') || !n.pids.every((p) => pids.has(p))) {
            problems.push(`the tenant's ${key} is held by ${JSON.stringify(n.holders)} with pids ${n.pids.join(',')}`);
          }
        }
        // Each tenant process in exactly its real namespaces.
        for (const tp of tprocs) {
          const p = after.processes.find((x) => x.pid === tp.pid);
          const truth = nsOfPid(tp.pid);
          if (p && JSON.stringify(p.ns) !== JSON.stringify(truth)) {
            problems.push(`tenant pid ${tp.pid} (${tp.role}) in ${JSON.stringify(p.ns)}, really ${JSON.stringify(truth)}`);
          }
        }
        assert.deepStrictEqual(problems, []);
      });

      it('lists the same interfaces as without the tenant', function () {
        const { before, after } = snaps(v);
        const known = new Set(before.namespaces.filter((n) => n.type === 'net').map((n) => n.inode));
        const d = diff(before.interfaces.map(ifaceKey).sort(), after.interfaces.filter((i) => known.has(i.ns)).map(ifaceKey).sort());
        assert.ok(d.added.length === 0 && d.removed.length === 0, `interfaces differ (${before.interfaces.length} without, ${after.interfaces.length} with the tenant):${show(d)}`);
      });

      it('lists the tenant\'s processes as they are: uid 65534, the literal task name (TAB, ESC), the real ppid and arguments', function () {
        const { after } = snaps(v);
        const byPid = new Map(after.processes.map((p) => [p.pid, p]));
        const problems: string[] = [];
        for (const tp of tprocs) {
          const p = byPid.get(tp.pid);
          if (!p) {
            problems.push(`${tp.pid} (${tp.role}, comm ${JSON.stringify(tp.comm)}) is missing`);
            continue;
          }
          const want = { uid: tp.uid, comm: tp.comm, ppid: tp.ppid };
          const got = { uid: p.uid, comm: p.comm, ppid: p.ppid };
          if (JSON.stringify(want) !== JSON.stringify(got)) {
            problems.push(`${tp.pid} (${tp.role}): ${JSON.stringify(got)}, really ${JSON.stringify(want)}`);
          }
          // The command line may be cut, never changed.
          const full = tp.args.join(' ');
          if (!(p.cmdline === full || (p.cmdline.length >= 200 && full.startsWith(p.cmdline)))) {
            problems.push(`${tp.pid} (${tp.role}) cmdline ${JSON.stringify(p.cmdline.slice(0, 300))}, really ${JSON.stringify(full.slice(0, 300))}`);
          }
        }
        assert.deepStrictEqual(problems, []);
      });

      it('is not cut short or extended by probe lines the tenant planted in names, task names and arguments', function () {
        const { before, after } = snaps(v);
        const problems: string[] = [];
        if (after.processes.some((p) => p.pid === tenant!.phantomPid)) problems.push(`a process ${tenant!.phantomPid} (no such PID can exist) is listed`);
        for (const p of after.processes) {
          if (p.comm.includes('nsx-injected')) problems.push(`process ${p.pid} is named ${JSON.stringify(p.comm)}`);
          if (!tenantPids().has(p.pid) && p.cmdline.includes('nsx-injected')) problems.push(`process ${p.pid}'s command line became ${JSON.stringify(p.cmdline.slice(0, 200))}`);
        }
        if (after.interfaces.some((i) => i.name === 'nsx-evil0')) problems.push('an interface nsx-evil0 (a directory name) is listed');
        if (before.interfaces.length > 0 && after.interfaces.length === 0) problems.push('no interfaces at all: the output ended early');
        if (before.namespaces.some((n) => n.parent !== undefined) && !after.namespaces.some((n) => n.parent !== undefined)) problems.push('no namespace parents (lsns): the output ended early');
        if (after.host.probeMs < 0) problems.push(`probeMs is ${after.host.probeMs}: an end mark with uptime 0 was read`);
        assert.deepStrictEqual(problems, []);
      });

      it('attributes no container to a tenant process', function () {
        const { after } = snaps(v);
        const pids = tenantPids();
        const bad = after.containers.filter((c) => c.pid !== undefined && pids.has(c.pid)).map((c) => {
          const tp = tprocs.find((p) => p.pid === c.pid)!;
          return `${containerKey(c)} -> tenant ${tp.role} pid ${tp.pid} (${JSON.stringify(tp.comm)})`;
        });
        assert.deepStrictEqual(bad, []);
      });

      it('warns about each fake engine process, naming its PID', function () {
        const { after } = snaps(v);
        const missing: string[] = [];
        for (const role of tenant!.fakeEngineRoles) {
          const leader = roleLeader(tprocs, role)!;
          if (!after.host.warnings.some((w) => new RegExp(`\\b${leader.pid}\\b`).test(w))) {
            missing.push(`${role} pid ${leader.pid} (${JSON.stringify(leader.comm)})`);
          }
        }
        assert.deepStrictEqual(missing, [], `no warning names these; the warnings are: ${JSON.stringify(after.host.warnings)}`);
      });

      it('finishes in its usual time with the tenant\'s FIFO in engine flags (under 2x baseline + 3 s)', function () {
        const a = v.after!;
        const bound = 2 * v.baselineMs + 3000;
        assert.ok(!a.error, `the probe failed: ${a.error?.message}`);
        assert.ok(
          a.execMs < bound && a.releases === 0,
          `the probe took ${a.execMs} ms (snapshot after ${a.snapMs} ms; baseline ${v.baselineMs} ms, bound ${bound} ms); ` +
            `the test had to wake it from the FIFO ${a.releases} times; blocked: ${JSON.stringify(a.blocked)}`,
        );
      });
    });
  }

  it('tree scope (root) lists the same containers as without the tenant', function () {
    assert.ok(treeBaseline?.snap && treeAfter?.snap, `tree probe failed: ${treeBaseline?.error?.message ?? ''} ${treeAfter?.error?.message ?? ''}`);
    const d = diff(treeBaseline.snap.containers.map(containerKey).sort(), treeAfter.snap.containers.map(containerKey).sort());
    assert.ok(d.added.length === 0 && d.removed.length === 0, `containers differ:${show(d)}`);
  });

  describe('Enter Namespace (CLI exec --container NAME, ssh root)', function () {
    function check(outcomes: Map<string, EnterOutcome>): void {
      assert.ok(real.length >= 5, `the lab's running containers: ${real.map((c) => c.name).join(', ')}`);
      const problems: string[] = [];
      for (const c of real) {
        const o = outcomes.get(c.name);
        const want = expectedInside(c);
        const got = (o?.stdout ?? '').trim().split('\n');
        if (!o || o.status !== 0 || JSON.stringify(got) !== JSON.stringify(want)) {
          problems.push(`${c.engine} ${c.name} (init ${c.pid}): exit ${o?.status}, printed ${JSON.stringify(got)}, inside it is ${JSON.stringify(want)}${o?.stderr ? `; stderr: ${o.stderr.trim().slice(0, 300)}` : ''}`);
        }
      }
      assert.deepStrictEqual(problems, []);
    }

    it('(control) without the tenant lands in each real container: its hostname, pid and uts namespace, its PID 1', function () {
      check(enterBefore);
    });

    it('with the tenant up lands in each real container, not in a tenant\'s look-alike', function () {
      check(enterAfter);
    });
  });

  describe('no engine CLI is pointed at a tenant path', function () {
    it('the PATH wrappers logged the probe\'s engine CLIs, none with a /tmp/nsx-tenant path', function () {
      const log = fs.readFileSync(tenant!.wrapLog, 'utf8').split('\n').filter(Boolean);
      assert.ok(log.length > 0, `the wrappers (${tenant!.wrappers.join(', ')}) logged nothing: the probe did not run them, so this check would prove nothing`);
      const bad = log.filter((l) => l.includes(tenant!.dir));
      assert.deepStrictEqual(bad, []);
    });

    it('nothing connected to the tenant\'s docker and containerd sockets', function () {
      const log = fs.existsSync(tenant!.socketLog) ? fs.readFileSync(tenant!.socketLog, 'utf8').trim() : '';
      assert.strictEqual(log, '', `connections: ${log}`);
    });

    it('nothing was created in the tenant\'s podman store and runroot', function () {
      const now = [...listTree(tenant!.store).map((f) => `store/${f}`), ...listTree(tenant!.runroot).map((f) => `run/${f}`)];
      const d = diff(storeBefore, now);
      assert.deepStrictEqual(d.added, [], `new files: ${JSON.stringify(d.added)}`);
    });

    it('the tenant\'s fake OCI runtime never ran', function () {
      const ran = fs.existsSync(tenant!.runtimeLog) ? fs.readFileSync(tenant!.runtimeLog, 'utf8') : '';
      assert.strictEqual(ran, '', `the runtime ran: ${ran}`);
    });
  });
});
