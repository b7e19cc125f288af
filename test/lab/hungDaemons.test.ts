// A wedged daemon or a killed probe never stalls the view and never leaves anything behind: the lab's
// dockerd and containerd stopped with SIGSTOP (their sockets accept and never answer), a containerd
// socket served by a listener that accepts and never answers, the refresh's overall budget, and the
// probe killed with SIGKILL of its process group at ten moments of its run.
// Run while the lab is up:  npx mocha --timeout 120000 out/test/lab/hungDaemons.test.js
import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import { discover, DiscoverOptions } from '../../src/discovery/discover';
import { PROBE_SCRIPT } from '../../src/discovery/probeScript';
import { openConnection } from '../../src/host/connect';
import { HostConnection } from '../../src/host/hostConnection';
import { ContainerInfo, Snapshot } from '../../src/model/snapshot';
import { LabEnv, loadLab } from './labEnv';

interface LabCtr {
  socket: string;
  namespace: string;
  containers: Record<'lab-ctr1', { id: string; pid: number | null }>;
}

const key = (c: ContainerInfo) => `${c.engine}:${c.id}:${c.name}:${c.pid ?? '-'}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Top-level entries of the directories where a probe could leave a file. */
function dirListing(): string[] {
  const out: string[] = [];
  for (const d of ['/run', '/tmp', '/var/tmp', '/dev/shm']) {
    for (const e of fs.existsSync(d) ? fs.readdirSync(d) : []) out.push(`${d}/${e}`);
  }
  return out.sort();
}

/** Processes (not zombies) in session `sid`, as the kernel lists them. */
function sessionMembers(sid: number): string[] {
  const out: string[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = st.slice(st.lastIndexOf(') ') + 2).split(' ');
      // f[0] state, f[3] pgrp, f[4] session
      if (Number(f[4]) === sid && f[0] !== 'Z' && f[0] !== 'X') out.push(`${d} ${st.slice(st.indexOf('('), st.lastIndexOf(')') + 1)} ${f[0]}`);
    } catch {
      // gone
    }
  }
  return out;
}

function stopped(pid: number): boolean {
  const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return st.slice(st.lastIndexOf(') ') + 2).startsWith('T');
}

describe('lab: a wedged daemon or a killed probe', function () {
  this.timeout(180_000);
  let lab: LabEnv;
  let ctr: LabCtr | undefined;
  let conn: HostConnection;
  let baseline: Snapshot;
  let baselineMs: number;
  const paused: number[] = [];

  const pause = (pid: number) => {
    process.kill(pid, 'SIGSTOP');
    paused.push(pid);
  };
  const resume = () => {
    for (const pid of paused.splice(0)) process.kill(pid, 'SIGCONT');
  };
  const timed = async (opts: DiscoverOptions = {}): Promise<{ s: Snapshot; ms: number }> => {
    const t0 = Date.now();
    const s = await discover(conn, opts);
    return { s, ms: Date.now() - t0 };
  };

  before(async function () {
    lab = loadLab();
    const l = lab as unknown as { ctr?: LabCtr | { skipped: string } };
    ctr = l.ctr && !('skipped' in l.ctr) ? l.ctr : undefined;
    conn = await openConnection(`ssh://root@127.0.0.1:${lab.ssh.port}`, {
      identities: [lab.keys.ed25519.path],
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
      reconnect: false,
    });
    await conn.connect();
    await discover(conn);
    ({ s: baseline, ms: baselineMs } = await timed());
    assert.ok(baseline.containers.some((c) => c.engine === 'docker'), 'the lab has docker containers');
    assert.strictEqual(baseline.host.partial, undefined, baseline.host.warnings.join('\n'));
  });
  afterEach(() => resume());
  after(() => {
    resume();
    conn?.dispose();
  });

  it('dockerd stopped: the snapshot arrives within the budget, docker containers from their state files, and a warning names docker; complete again after the resume', async () => {
    // A socket the user configured (the docker-socket setting) that reaches the same daemon: the probe
    // asks the docker CLI there, as it does for any daemon whose state files it cannot read.
    const link = '/run/nsx-hung-docker.sock';
    fs.rmSync(link, { force: true });
    fs.symlinkSync(lab.docker.socket, link);
    try {
      pause(lab.docker.pid);
      assert.ok(stopped(lab.docker.pid), 'dockerd is stopped');
      const { s, ms } = await timed({ dockerSockets: [link], budgets: { engineSeconds: 2 } });
      assert.ok(ms < baselineMs + 2000 + 5000, `${ms} ms (baseline ${baselineMs} ms)`);
      assert.deepStrictEqual(s.containers.filter((c) => c.engine === 'docker').map(key).sort(), baseline.containers.filter((c) => c.engine === 'docker').map(key).sort());
      assert.deepStrictEqual(s.host.timeouts?.filter((t) => t.command === 'docker'), [{ command: 'docker', seconds: 2, target: link }]);
      assert.ok(s.host.warnings.includes(`docker on ${link} did not answer in 2 s: the containers only its CLI knows are missing.`), s.host.warnings.join('\n'));
      assert.strictEqual(s.host.partial, true);
      resume();
      const again = await timed({ dockerSockets: [link], budgets: { engineSeconds: 2 } });
      assert.strictEqual(again.s.host.timeouts, undefined, again.s.host.warnings.join('\n'));
      assert.strictEqual(again.s.host.partial, undefined);
      // The daemon answered through the link too: each container once, as before.
      assert.deepStrictEqual(again.s.containers.map(key).sort(), baseline.containers.map(key).sort());
    } finally {
      resume();
      fs.rmSync(link, { force: true });
    }
  });

  it("containerd stopped: ctr is stopped at its budget, the warning names it and its socket, containerd's containers come from the task bundles; complete again after the resume", async function () {
    if (!ctr || !lab.docker.containerdPid) {
      throw new Error(`the lab's containerd is not up (lab.json ctr: ${JSON.stringify((lab as unknown as { ctr?: unknown }).ctr)})`);
    }
    pause(lab.docker.containerdPid);
    const { s, ms } = await timed({ budgets: { engineSeconds: 2 } });
    assert.ok(ms < baselineMs + 2000 + 5000, `${ms} ms (baseline ${baselineMs} ms)`);
    assert.deepStrictEqual(s.host.timeouts?.filter((t) => t.command === 'ctr'), [{ command: 'ctr', seconds: 2, target: ctr.socket }]);
    assert.ok(s.host.warnings.some((w) => w.startsWith(`ctr on ${ctr!.socket} did not answer in 2 s`)), s.host.warnings.join('\n'));
    const c1 = s.containers.find((c) => c.engine === 'containerd' && c.id === 'lab-ctr1');
    assert.ok(c1, 'lab-ctr1 from its task bundle');
    assert.strictEqual(c1.pid, ctr.containers['lab-ctr1'].pid ?? undefined);
    assert.deepStrictEqual(s.containers.filter((c) => c.engine === 'docker').map(key).sort(), baseline.containers.filter((c) => c.engine === 'docker').map(key).sort());
    resume();
    const again = await timed({ budgets: { engineSeconds: 2 } });
    assert.strictEqual(again.s.host.timeouts, undefined, again.s.host.warnings.join('\n'));
    assert.deepStrictEqual(again.s.containers.map(key).sort(), baseline.containers.map(key).sort());
  });

  it('a containerd socket that accepts and never answers: ctr is stopped at its budget and named', async function () {
    const dir = '/run/containerd';
    const sock = `${dir}/containerd.sock`;
    if (fs.existsSync(sock)) {
      throw new Error(`${sock} exists on this host: a real containerd serves it, so the test cannot put its listener there`);
    }
    const madeDir = !fs.existsSync(dir);
    fs.mkdirSync(dir, { recursive: true, mode: 0o711 });
    const held: net.Socket[] = [];
    let accepted = 0;
    const server = net.createServer((c) => {
      accepted++;
      held.push(c);
    });
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(sock, resolve));
    try {
      const { s, ms } = await timed({ budgets: { engineSeconds: 2 } });
      assert.ok(accepted >= 1, 'ctr connected to the listener');
      assert.ok(ms < baselineMs + 2000 + 5000, `${ms} ms`);
      assert.ok(s.host.timeouts?.some((t) => t.command === 'ctr' && t.target === sock && t.seconds === 2), JSON.stringify(s.host.timeouts));
      assert.deepStrictEqual(s.containers.map(key).sort(), baseline.containers.map(key).sort());
    } finally {
      held.forEach((c) => c.destroy());
      await new Promise<void>((resolve) => server.close(() => resolve()));
      fs.rmSync(sock, { force: true });
      if (madeDir) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("past the refresh's overall budget: what arrived, marked partial, and the probe is gone from the host", async function () {
    if (!lab.docker.containerdPid) throw new Error("the lab's containerd is not up");
    pause(lab.docker.containerdPid);
    // ctr may wait 61 s; the refresh may take 4. (61: the probe's and timeout's arguments mark them.)
    const { s, ms } = await timed({ timeoutMs: 4000, budgets: { engineSeconds: 61 } });
    assert.ok(ms >= 3900 && ms < 9000, `${ms} ms`);
    assert.strictEqual(s.host.partial, true);
    assert.ok(s.host.warnings.some((w) => /ran past its budget of 4 s and was stopped while reading the container engines: what arrived by then is shown\./.test(w)), s.host.warnings.join('\n'));
    assert.deepStrictEqual(s.containers.filter((c) => c.engine === 'docker').map(key).sort(), baseline.containers.filter((c) => c.engine === 'docker').map(key).sort());
    assert.ok(s.processes.length >= baseline.processes.length * 0.8, `${s.processes.length} processes`);
    // The orphan guard killed the probe's process group: no ctr is left waiting on the stopped daemon.
    let left: string[] = [];
    for (let i = 0; i < 30; i++) {
      left = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
        try {
          const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
          const ours = cmd.some((a, i) => a === '--budget-cli' && cmd[i + 1] === '61') || (cmd[0] === 'timeout' && cmd.includes('61') && cmd.includes('ctr'));
          // A ctr whose timeout was killed would be init's child now.
          const st = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
          const orphanCtr = cmd[0] === 'ctr' && st.slice(st.lastIndexOf(') ') + 2).split(' ')[1] === '1';
          return ours || orphanCtr ? [`${d} ${cmd.join(' ').slice(0, 120)}`] : [];
        } catch {
          return [];
        }
      });
      if (left.length === 0) break;
      await sleep(100);
    }
    assert.deepStrictEqual(left, []);
  });

  it('killed with SIGKILL of its process group at ten moments of its run (and two while a daemon hangs), the probe leaves no file under /run or /tmp and no process', async function () {
    if (!lab.docker.containerdPid) throw new Error("the lab's containerd is not up");
    const argv = ['-c', PROBE_SCRIPT, 'sh', '--budget-cli', '2'];
    const runOnce = (killAfterMs?: number) =>
      new Promise<{ out: string; sid: number; ms: number }>((resolve, reject) => {
        const t0 = Date.now();
        const child = spawn('sh', argv, { detached: true, stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
        let timer: NodeJS.Timeout | undefined;
        if (killAfterMs !== undefined) {
          timer = setTimeout(() => {
            try {
              process.kill(-child.pid!, 'SIGKILL');
            } catch {
              // Not yet its own group (before setsid in the child): nothing of it runs yet but itself.
              child.kill('SIGKILL');
            }
          }, killAfterMs);
        }
        child.on('error', reject);
        child.on('close', () => {
          clearTimeout(timer);
          resolve({ out, sid: child.pid!, ms: Date.now() - t0 });
        });
      });
    const full = await runOnce();
    assert.match(full.out, /@@\S+ end /, 'an unkilled run completes');
    const lastMark = (out: string) => [...out.matchAll(/^@@[0-9a-f-]+ (\S+)/gm)].map((m) => m[1]).pop() ?? '(none)';
    const stages = new Set<string>();
    // Ten moments over a whole run (processes, state files, interfaces, the engine CLIs, lsns in its
    // pipe), then two while an engine CLI waits on a stopped daemon under its budget.
    const moments = [...Array(10).keys()].map((i) => ({ at: Math.round((full.ms * i) / 10), hung: false }));
    moments.push({ at: full.ms + 500, hung: true }, { at: full.ms + 1500, hung: true });
    for (const { at, hung } of moments) {
      if (hung) pause(lab.docker.containerdPid);
      const before = dirListing();
      const r = await runOnce(at);
      await sleep(300);
      let members = sessionMembers(r.sid);
      for (let k = 0; k < 20 && members.length; k++) {
        await sleep(100);
        members = sessionMembers(r.sid);
      }
      assert.deepStrictEqual(members, [], `processes left after the kill at ${at} ms (last mark ${lastMark(r.out)})`);
      const after = dirListing();
      assert.deepStrictEqual(after.filter((x) => !before.includes(x)), [], `files left after the kill at ${at} ms (last mark ${lastMark(r.out)})`);
      stages.add(lastMark(r.out));
      resume();
    }
    assert.ok(stages.size >= 4, `the kills came at ${[...stages].join(', ')}`);
  });
});
