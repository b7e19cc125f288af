/**
 * A PID reused by another user is never acted on. Plans are made for a process of ours in a netns of the
 * test's own (shown to the planners as a container), the process is killed, and an unprivileged tenant
 * (uid 65534, in its own user and network namespace where the kernel allows it) is started on the SAME
 * PID (root writes PID-1 to /proc/sys/kernel/ns_last_pid, then forks). Then, over the lab's sshd as a
 * sudo user, the host refuses with exit code 75: Enter Namespace (the argv CLI exec runs, and the
 * terminal's PTY), the `ip link set dev X netns PID` step, and the Undo of a change made in the victim's
 * namespace. A control shows the tenant really has the PID: the unchecked nsenter lands in its netns.
 *
 * Needs the lab and root on this machine. Addresses: none (veths without addresses, in namespaces the
 * test makes). Run while the lab is up:
 *   npx tsc -p tsconfig.test.json && npx mocha --timeout 120000 out/test/lab/pidReuse.test.js
 */
import * as assert from 'assert';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover } from '../../src/discovery/discover';
import { IDENTITY_CHECK_EXIT, parseIdentityCheck } from '../../src/host/commandLine';
import { openConnection } from '../../src/host/connect';
import { HostConnection, HostInfo } from '../../src/host/hostConnection';
import type { ContainerInfo, Snapshot } from '../../src/model/snapshot';
import { containerRef } from '../../src/model/snapshotIndex';
import { EnterPlan, planEnter } from '../../src/workflows/enter';
import { executeWorkflow } from '../../src/workflows/execute';
import { FileJournalStore, Journal } from '../../src/workflows/journal';
import { planMoveInterface } from '../../src/workflows/plan';
import { loadLab, requireLab } from './labEnv';

const NETNS = 'nsx_pidr';
/** Moved into the victim's netns before the kill (its undo names the PID); its peer stays on the host. */
const MOVED = ['nsxpr0', 'nsxpr1'];
/** Planned to move into the victim's netns, run only after the PID changed hands. */
const PENDING = ['nsxpr2', 'nsxpr3'];
const TENANT_UID = 65534;
const ATTEMPTS = 20;
const CONTAINER_ID = 'e1d2c3b4a5f60718293a4b5c6d7e8f90e1d2c3b4a5f60718293a4b5c6d7e8f90';

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function quiet(argv: string[]): void {
  spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 15_000 });
}

function startOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function netOf(pid: number): number {
  return Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/net`))![1]);
}

function uidOf(pid: number): number {
  return Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);
}

function linkIn(netns: string | undefined, name: string): boolean {
  const prefix = netns ? ['ip', 'netns', 'exec', netns] : [];
  return spawnSync(prefix[0] ?? 'ip', [...prefix.slice(1), ...(netns ? ['ip'] : []), 'link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
}

async function waitFor(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A process of uid 65534 on exactly `pid`: root sets ns_last_pid to pid-1 and forks at once; another fork
 * on the machine in between takes the PID instead, so retry (bounded). In its own user and network
 * namespace when unprivileged user namespaces are allowed, else in the host's.
 */
function tenantOn(pid: number, ownNetns: boolean): number | undefined {
  const program = ownNetns ? 'unshare -rn sleep 600' : 'sleep 600';
  const script = `echo $(($1 - 1)) > /proc/sys/kernel/ns_last_pid; setpriv --reuid=${TENANT_UID} --regid=${TENANT_UID} --clear-groups ${program} </dev/null >/dev/null 2>&1 & echo $!`;
  for (let i = 0; i < ATTEMPTS; i++) {
    const got = Number(sh(['sh', '-c', script, 'sh', String(pid)]).trim());
    if (got === pid) return got;
    quiet(['kill', '-KILL', String(got)]);
  }
  return undefined;
}

describe('lab: a PID that another user reuses is not acted on', function () {
  this.timeout(120_000);
  let conn: HostConnection;
  let info: HostInfo;
  let journal: Journal;
  let journalDir: string;
  let victim: ChildProcess | undefined;
  let victimPid = 0;
  let victimStart = 0;
  let netInode = 0;
  let tenant: number | undefined;
  let snapshot: Snapshot;
  let enterProgram: EnterPlan;
  let enterShell: EnterPlan;
  let enterOld: EnterPlan;
  const ref = `docker:${CONTAINER_ID}`;

  function cleanup(): void {
    if (tenant) quiet(['kill', '-KILL', String(tenant)]);
    victim?.kill('SIGKILL');
    quiet(['ip', 'netns', 'del', NETNS]);
    for (const [a] of [MOVED, PENDING]) quiet(['ip', 'link', 'del', 'dev', a]);
  }

  before(async function () {
    requireLab(this);
    if (process.getuid?.() !== 0) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error('the PID reuse test needs root on this machine');
      this.skip();
    }
    const lab = loadLab();
    cleanup();
    sh(['ip', 'netns', 'add', NETNS]);
    for (const [a, b] of [MOVED, PENDING]) sh(['ip', 'link', 'add', 'name', a, 'type', 'veth', 'peer', 'name', b]);
    victim = spawn('nsenter', [`--net=/run/netns/${NETNS}`, 'sleep', '600'], { stdio: 'ignore' });
    victimPid = victim.pid!;
    await waitFor('the victim to run sleep in its netns', () => {
      try {
        return fs.readFileSync(`/proc/${victimPid}/comm`, 'utf8').trim() === 'sleep';
      } catch {
        return false;
      }
    });
    victimStart = startOf(victimPid);
    netInode = netOf(victimPid);
    assert.strictEqual(netInode, fs.statSync(`/run/netns/${NETNS}`).ino);

    conn = await openConnection(`ssh://nsxkey@127.0.0.1:${lab.ssh.port}`, {
      identities: [lab.keys.ed25519.path],
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
      agentSocket: '',
      reconnect: false,
    });
    info = await conn.connect();
    assert.strictEqual(info.privilege, 'sudo');
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-pidreuse-'));
    journal = new Journal(new FileJournalStore(journalDir));

    snapshot = await discover(conn);
    const p = snapshot.processes.find((x) => x.pid === victimPid);
    assert.ok(p, 'the victim is in the snapshot');
    assert.strictEqual(p.ns.net, netInode);
    if (p.start === undefined) {
      // Until the probe reads it: what it will read, field 22 of /proc/PID/stat.
      p.start = victimStart;
    } else {
      assert.strictEqual(p.start, victimStart, "the probe's start time is field 22 of /proc/PID/stat");
    }
    // The victim stands for a container whose init it is: the planners see it as `docker:<id>`.
    const c: ContainerInfo = { engine: 'docker', id: CONTAINER_ID, name: 'nsx-pidreuse', image: 'none', state: 'running', pid: victimPid, ns: { ...p.ns }, sharedWithHost: [] };
    snapshot.containers.push(c);
    assert.strictEqual(containerRef(c), ref);

    // Planned while the PID is the victim's.
    enterProgram = planEnter(snapshot, { kind: 'container', ref }, ['net'], { program: ['sh', '-c', 'echo ENTERED; readlink /proc/self/ns/net'], hostLabel: conn.label, host: info });
    enterShell = planEnter(snapshot, { kind: 'pid', pid: victimPid }, ['net'], { hostLabel: conn.label, host: info });
    const old = JSON.parse(JSON.stringify(snapshot)) as Snapshot;
    delete old.processes.find((x) => x.pid === victimPid)!.start;
    enterOld = planEnter(old, { kind: 'pid', pid: victimPid }, ['net'], { program: ['echo', 'ENTERED'], hostLabel: conn.label, host: info });
    assert.deepStrictEqual(parseIdentityCheck(enterProgram.argv)?.checks, [{ pid: victimPid, start: victimStart, ns: { net: netInode } }]);
    assert.deepStrictEqual(parseIdentityCheck(enterOld.argv)?.checks, [{ pid: victimPid, ns: { net: netInode } }]);
  });

  after(() => {
    conn?.dispose();
    cleanup();
    if (journalDir) fs.rmSync(journalDir, { recursive: true, force: true });
  });

  it('before the kill: Enter runs in the victim\'s netns, and a move into it applies and is journalled', async () => {
    const r = await conn.exec(enterProgram.argv, { privileged: true, timeoutMs: 30_000 });
    assert.strictEqual(r.code, 0, r.stderr);
    assert.strictEqual(r.stdout, `ENTERED\nnet:[${netInode}]\n`);
    const wf = planMoveInterface(snapshot, MOVED[0], 'host', `container:${ref}`);
    const report = await executeWorkflow(conn, wf);
    assert.ok(report.ok, JSON.stringify(report.failed));
    await journal.record(conn.id, report.applied!);
    assert.ok(linkIn(NETNS, MOVED[0]), `${MOVED[0]} is in ${NETNS}`);
    const [entry] = await journal.list(conn.id);
    assert.deepStrictEqual(parseIdentityCheck(entry.undo[0].argv)?.checks[0], { pid: victimPid, start: victimStart, ns: { net: netInode } }, 'the journal keeps the start time and inode');
  });

  describe('after the victim is killed and a tenant of uid 65534 has its PID', () => {
    let tenantNet = 0;

    before(async function () {
      const gone = new Promise((resolve) => victim!.once('exit', resolve));
      victim!.kill('SIGKILL');
      await gone;
      victim = undefined;
      await waitFor('the victim to be reaped', () => !fs.existsSync(`/proc/${victimPid}`));
      // Its own user and network namespace, if an unprivileged user may make them here.
      const userns = spawnSync('setpriv', [`--reuid=${TENANT_UID}`, `--regid=${TENANT_UID}`, '--clear-groups', 'unshare', '-rn', 'true'], { stdio: 'ignore' }).status === 0;
      tenant = tenantOn(victimPid, userns);
      assert.ok(tenant, `no tenant process got PID ${victimPid} in ${ATTEMPTS} attempts`);
      await waitFor('the tenant to run sleep', () => fs.readFileSync(`/proc/${tenant}/comm`, 'utf8').trim() === 'sleep');
      assert.strictEqual(uidOf(tenant), TENANT_UID);
      assert.notStrictEqual(startOf(tenant), victimStart);
      tenantNet = netOf(tenant);
      assert.notStrictEqual(tenantNet, netInode);
      console.log(`      victim PID ${victimPid} (start ${victimStart}, net:[${netInode}]) now: uid ${TENANT_UID}, start ${startOf(tenant)}, net:[${tenantNet}]${userns ? ' (own user+net namespace)' : " (the host's netns)"}`);
    });

    const refusal = (end = '$') =>
      new RegExp(`^nsx: process ${victimPid} is not the one the plan was made for: PID ${victimPid} now belongs to a process started at tick \\d+, not ${victimStart} \\(it restarted\\?\\)\\. Refresh and try again\\.${end}`, 'm');

    it('control: the same nsenter without the check would land in the tenant\'s network namespace', async () => {
      const inner = parseIdentityCheck(enterProgram.argv)!.argv;
      const r = await conn.exec(inner, { privileged: true, timeoutMs: 30_000 });
      assert.strictEqual(r.code, 0, r.stderr);
      assert.strictEqual(r.stdout, `ENTERED\nnet:[${tenantNet}]\n`);
    });

    it('Enter, the way CLI exec runs it: refused with exit code 75, the command never runs', async () => {
      const r = await conn.exec(enterProgram.argv, { privileged: true, timeoutMs: 30_000 });
      assert.strictEqual(r.code, IDENTITY_CHECK_EXIT, `${r.code}: ${r.stdout}${r.stderr}`);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, refusal());
    });

    it('Enter from a snapshot without start times: refused by the network namespace inode', async () => {
      const r = await conn.exec(enterOld.argv, { privileged: true, timeoutMs: 30_000 });
      assert.strictEqual(r.code, IDENTITY_CHECK_EXIT, `${r.code}: ${r.stdout}${r.stderr}`);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, new RegExp(`its net namespace is net:\\[${tenantNet}\\], not net:\\[${netInode}\\] \\(it restarted\\?\\)`));
    });

    it('Enter in a terminal (PTY, shell picker): exits 75 at once with the reason on screen', async () => {
      const channel = await conn.openPty(enterShell.argv, { cols: 120, rows: 24, privileged: true });
      let output = '';
      channel.onData((d) => (output += d.toString('utf8')));
      const code = await new Promise<number | null>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`the terminal did not exit; output ${JSON.stringify(output)}`)), 20_000);
        channel.onExit((c) => {
          clearTimeout(t);
          resolve(c);
        });
      });
      // Output may still be in flight when the exit arrives.
      await waitFor('the message', () => /Refresh and try again/.test(output), 2000).catch(() => undefined);
      assert.strictEqual(code, IDENTITY_CHECK_EXIT, output);
      assert.match(output.replace(/\r/g, ''), refusal());
    });

    it('`ip link set dev X netns PID` is refused; the interface stays on the host', async () => {
      const wf = planMoveInterface(snapshot, PENDING[0], 'host', `container:${ref}`);
      assert.deepStrictEqual(parseIdentityCheck(wf.steps[0].argv)?.argv, ['ip', 'link', 'set', 'dev', PENDING[0], 'netns', String(victimPid)]);
      const report = await executeWorkflow(conn, wf);
      assert.strictEqual(report.ok, false);
      assert.strictEqual(report.failed?.code, IDENTITY_CHECK_EXIT);
      assert.match(report.failed!.message, refusal());
      assert.ok(linkIn(undefined, PENDING[0]), `${PENDING[0]} is still on the host`);
      if (tenantNet !== netOf(process.pid)) {
        const inTenant = spawnSync('nsenter', ['-t', String(tenant), '-n', 'ip', 'link', 'show', 'dev', PENDING[0]], { stdio: 'ignore' }).status === 0;
        assert.ok(!inTenant, "the tenant's netns did not get it");
      }
    });

    it('Undo of the change made in the victim\'s netns is refused, says why, and stays in the journal', async () => {
      const u = await journal.undoLast(conn.id, conn);
      assert.strictEqual(u.found, true);
      assert.strictEqual(u.ok, false);
      assert.strictEqual(u.ran.length, 1);
      assert.match(u.ran[0].message!, refusal(' '));
      assert.match(u.ran[0].message!, /a restarted container has a new network namespace/);
      assert.ok(linkIn(NETNS, MOVED[0]), `${MOVED[0]} is still in ${NETNS}, not moved from the tenant's netns`);
      const [left] = await journal.list(conn.id);
      assert.strictEqual(left.undo.length, 1, 'the step is kept');
    });
  });
});
