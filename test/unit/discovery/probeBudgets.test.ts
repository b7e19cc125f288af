/**
 * The probe's time budgets, run for real on this machine: commands that never answer (stand-ins for a
 * wedged `ip` and `lsns`, which exec a long sleep as a hung command would block) are stopped at their
 * budgets, with timeout(1) from coreutils, from busybox, and with the probe's own watchdog where the host
 * has no timeout(1); the snapshot names each stopped command. Then discover() over the real local
 * connection: a refresh past its overall budget ends with what arrived, a cancelled one stops the probe,
 * and neither leaves a process behind. (The wedged engine daemons are in the lab: hungDaemons.test.ts.)
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover, DiscoverStage, DiscoveryCancelled } from '../../../src/discovery/discover';
import { parseProbeOutput } from '../../../src/discovery/parseProbe';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';
import { CancellationSourceLike } from '../../../src/host/hostConnection';
import { LocalConnection } from '../../../src/host/localConnection';
import { needTool } from '../../support/needTool';
import { HEADER, mark } from './probeFormat';

/** PIDs whose command line holds `needle` (the stand-ins' unique sleep argument). */
function alive(needle: string): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').includes(needle)) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

async function settle(needle: string): Promise<number[]> {
  // A TERMed sleep is gone at once; its KILL follows a second later at most.
  for (let i = 0; i < 30 && alive(needle).length; i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return alive(needle);
}

describe('probe time budgets (real sh, commands that never answer)', () => {
  let dir: string;
  let n = 0;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-budget-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** A bin directory whose `ip` and `lsns` hang; the rest of PATH as the variant says. */
  const standIns = (variant: 'coreutils' | 'busybox' | 'none'): { env: NodeJS.ProcessEnv; needle: string } => {
    const bin = path.join(dir, `bin${n++}`);
    fs.mkdirSync(bin);
    const needle = `${3000 + n}.${process.pid}`;
    for (const cmd of ['ip', 'lsns']) {
      fs.writeFileSync(path.join(bin, cmd), `#!/bin/sh\nexec sleep ${needle}\n`, { mode: 0o755 });
    }
    if (variant === 'coreutils') {
      return { env: { ...process.env, NSX_KEEP_PATH: '1', PATH: `${bin}:${process.env.PATH}` }, needle };
    }
    // Every command of the system's PATH but timeout (and, for busybox, busybox's applets first).
    const rest = path.join(bin, 'rest');
    fs.mkdirSync(rest);
    const dirs = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
    const link = (target: string, name: string) => {
      if (!fs.existsSync(path.join(rest, name)) && !fs.existsSync(path.join(bin, name))) fs.symlinkSync(target, path.join(rest, name));
    };
    if (variant === 'busybox') {
      const busybox = spawnSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).stdout.trim();
      for (const a of ['timeout', 'sleep', 'kill']) link(busybox, a);
    }
    for (const d of dirs) {
      for (const f of fs.existsSync(d) ? fs.readdirSync(d) : []) {
        if (f !== 'timeout') link(path.join(d, f), f);
      }
    }
    return { env: { ...process.env, NSX_KEEP_PATH: '1', PATH: `${bin}:${rest}` }, needle };
  };

  for (const variant of ['coreutils', 'busybox', 'none'] as const) {
    it(`${variant === 'none' ? 'without timeout(1), the probe\'s own watchdog' : `with ${variant} timeout(1)`}: a hung ip and lsns are stopped at their budgets and named, and nothing is left running`, async function () {
      needTool(this, ['awk', 'BEGIN{}'], 'mawk');
      if (variant === 'busybox') needTool(this, ['busybox', 'true'], 'busybox-static');
      this.timeout(60_000);
      const { env, needle } = standIns(variant);
      const t0 = Date.now();
      const r = spawnSync('/bin/sh', ['-c', PROBE_SCRIPT, 'sh', '--budget-ip', '1', '--budget-lsns', '2'], { encoding: 'utf8', env, timeout: 40_000, maxBuffer: 64 * 1024 * 1024 });
      const ms = Date.now() - t0;
      assert.strictEqual(r.status, 0, r.stderr);
      const s = parseProbeOutput(r.stdout);
      // Without the budgets the stand-ins would hold the probe for a thousand seconds.
      assert.ok(ms < 15_000, `the probe took ${ms} ms`);
      const own = s.processes.length ? s.host.hostname : undefined;
      assert.ok(own !== undefined && s.processes.length > 5, 'processes were read');
      const ip = s.host.timeouts?.filter((t) => t.command === 'ip') ?? [];
      assert.ok(ip.length >= 1, JSON.stringify(s.host.timeouts));
      assert.ok(ip.every((t) => t.seconds === 1 && /^\d+$/.test(t.target ?? '')), JSON.stringify(ip));
      // Two hung calls mean the host's netlink hangs: the other namespaces are not asked.
      assert.ok(ip.length <= 2, JSON.stringify(ip));
      assert.deepStrictEqual(s.host.timeouts?.filter((t) => t.command === 'lsns'), [{ command: 'lsns', seconds: 2 }]);
      assert.ok(s.host.warnings.some((w) => /^ip did not answer in 1 s in network namespace \d+: its interfaces are missing\.$/.test(w)), s.host.warnings.join('\n'));
      assert.ok(s.host.warnings.some((w) => /^lsns did not answer in 2 s/.test(w)), s.host.warnings.join('\n'));
      assert.strictEqual(s.host.partial, true);
      assert.strictEqual(s.host.scope, 'full');
      assert.deepStrictEqual(await settle(needle), [], 'no stand-in is still running');
    });
  }

  it('a refresh past its overall budget ends with what arrived, marked partial, and stops the probe', async function () {
    needTool(this, ['awk', 'BEGIN{}'], 'mawk');
    this.timeout(60_000);
    const { env, needle } = standIns('coreutils');
    const saved = { PATH: process.env.PATH, NSX_KEEP_PATH: process.env.NSX_KEEP_PATH };
    Object.assign(process.env, { PATH: env.PATH, NSX_KEEP_PATH: '1' });
    const conn = new LocalConnection({ sudo: 'never' });
    try {
      const stages: DiscoverStage[] = [];
      const t0 = Date.now();
      // The ip budget (30 s) is longer than the refresh's (3 s): the refresh is cut while ip hangs.
      const s = await discover(conn, { timeoutMs: 3000, budgets: { ipSeconds: 30 }, onStage: (x) => stages.push(x) });
      const ms = Date.now() - t0;
      assert.ok(ms >= 2900 && ms < 10_000, `${ms} ms`);
      assert.strictEqual(s.host.partial, true);
      assert.ok(s.processes.length > 5 && s.namespaces.length > 0, 'the first levels arrived');
      assert.ok(s.host.warnings.some((w) => /ran past its budget of 3 s and was stopped while reading network interfaces: what arrived by then is shown\./.test(w)), s.host.warnings.join('\n'));
      assert.deepStrictEqual(stages, ['processes', 'engines', 'interfaces']);
      assert.deepStrictEqual(await settle(needle), [], 'the probe was stopped on the host');
    } finally {
      conn.dispose();
      Object.assign(process.env, saved);
      if (saved.NSX_KEEP_PATH === undefined) delete process.env.NSX_KEEP_PATH;
    }
  });

  it('a cancelled refresh stops the probe and fails as cancelled, not as an error', async function () {
    needTool(this, ['awk', 'BEGIN{}'], 'mawk');
    this.timeout(60_000);
    const { env, needle } = standIns('coreutils');
    const saved = { PATH: process.env.PATH, NSX_KEEP_PATH: process.env.NSX_KEEP_PATH };
    Object.assign(process.env, { PATH: env.PATH, NSX_KEEP_PATH: '1' });
    const conn = new LocalConnection({ sudo: 'never' });
    try {
      const cancel = new CancellationSourceLike();
      const done = discover(conn, {
        token: cancel,
        budgets: { ipSeconds: 30 },
        onStage: (x) => x === 'interfaces' && setTimeout(() => cancel.cancel(), 300),
      });
      await assert.rejects(done, (e: Error) => e instanceof DiscoveryCancelled && /cancelled/.test(e.message));
      assert.deepStrictEqual(await settle(needle), [], 'the probe was stopped on the host');
    } finally {
      conn.dispose();
      Object.assign(process.env, saved);
      if (saved.NSX_KEEP_PATH === undefined) delete process.env.NSX_KEEP_PATH;
    }
  });

  it('reads only its own command names and plain targets from timeout marks', () => {
    const out = [
      HEADER,
      mark('host'),
      'hostname=h',
      mark('timeout docker 5 /run/docker.sock'),
      mark('timeout rm 5 /'),
      mark('timeout ip x 4026531840'),
      mark('timeout podman 5 /var/lib/with%0Anewline'),
      mark('end 1'),
      '',
    ].join('\n');
    const s = parseProbeOutput(out);
    assert.deepStrictEqual(s.host.timeouts, [
      { command: 'docker', seconds: 5, target: '/run/docker.sock' },
      { command: 'podman', seconds: 5 },
    ]);
    assert.ok(s.host.warnings.includes('docker on /run/docker.sock did not answer in 5 s: the containers only its CLI knows are missing.'));
  });
});
