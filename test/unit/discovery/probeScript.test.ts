import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { discover, probeArgv } from '../../../src/discovery/discover';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';
import { commandLine } from '../../../src/host/commandLine';
import { ExecOptions, ExecResult, HostConnection, HostInfo } from '../../../src/host/hostConnection';
import * as os from 'os';
import * as path from 'path';
import { parseProbeOutput } from '../../../src/discovery/parseProbe';
import { ProcessInfo, Snapshot } from '../../../src/model/snapshot';
import { PROBE_TS, readProbeSh, REPO_ROOT, renderProbeScriptTs } from './probeScriptSource';
import { needTool } from '../../support/needTool';
import { mark, markNames } from './probeFormat';

describe('probe script', () => {
  it('probeScript.ts is generated from probe.sh', () => {
    const want = renderProbeScriptTs(readProbeSh());
    if (process.env.NSX_UPDATE_PROBE === '1') {
      fs.writeFileSync(PROBE_TS, want);
    }
    assert.strictEqual(fs.readFileSync(PROBE_TS, 'utf8'), want, 'run NSX_UPDATE_PROBE=1 to regenerate probeScript.ts');
  });

  for (const shell of [['sh', '-n'], ['busybox', 'sh', '-n']]) {
    it(`parses under ${shell.slice(0, -1).join(' ')}`, function () {
      needTool(this, shell[0] === 'busybox' ? ['busybox', 'true'] : ['sh', '-c', ':'], shell[0] === 'busybox' ? 'busybox-static' : 'dash');
      execFileSync(shell[0], [...shell.slice(1), '-c', PROBE_SCRIPT]);
    });
  }

  for (const scope of ['tree', 'full'] as const) {
    it(`runs here (scope ${scope}) with exit 0, nothing on stderr and every mark, engines or not`, function () {
      this.timeout(60_000);
      const r = spawnSync('sh', ['-c', PROBE_SCRIPT, 'sh', ...(scope === 'tree' ? ['--scope', 'tree'] : [])], { encoding: 'utf8', timeout: 50_000, maxBuffer: 64 * 1024 * 1024 });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stderr, '');
      const marks = markNames(r.stdout).filter((l) => /^@@(nsx-probe|nsp|args|procs|files|tree-end|end)$/.test(l));
      assert.deepStrictEqual([...new Set(marks)], ['@@nsx-probe', '@@nsp', '@@args', '@@procs', '@@files', '@@tree-end', '@@end']);
    });
  }

  it('gives kernel threads the namespaces the kernel shows (only their mnt link is read)', function () {
    this.timeout(60_000);
    const r = spawnSync('sh', ['-c', PROBE_SCRIPT, 'sh', '--scope', 'tree'], { encoding: 'utf8', timeout: 50_000, maxBuffer: 64 * 1024 * 1024 });
    const s = parseProbeOutput(r.stdout);
    const kthreads = s.processes.filter((p) => p.ppid === 2);
    if (!/^kthreads=\d/m.test(r.stdout) || kthreads.length === 0) {
      this.skip(); // no kthreadd in this PID namespace
    }
    let compared = 0;
    for (const p of kthreads) {
      const truth: Record<string, number> = {};
      try {
        for (const t of ['net', 'pid', 'mnt', 'uts', 'ipc', 'user', 'cgroup', 'time']) {
          truth[t] = Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${p.pid}/ns/${t}`))?.[1]);
        }
      } catch {
        continue; // exited, or not ours to read
      }
      assert.deepStrictEqual(p.ns, truth, `${p.pid} ${p.comm}`);
      compared++;
    }
    assert.ok(compared > 0, 'no kernel thread could be compared');
  });

  it('warns of a partial snapshot when its awk fails part-way', function () {
    needTool(this, ['mawk', '-W', 'version'], 'mawk');
    this.timeout(60_000);
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-awk-'));
    try {
      // An awk whose output stops mid-line and which exits 9, as a killed one would.
      fs.writeFileSync(path.join(bin, 'awk'), '#!/bin/sh\nmawk "$@" 2>/dev/null | head -c 2000; exit 9\n', { mode: 0o755 });
      const r = spawnSync('sh', ['-c', PROBE_SCRIPT, 'sh', '--scope', 'tree'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, timeout: 50_000 });
      assert.strictEqual(r.status, 0, r.stderr);
      const s = parseProbeOutput(r.stdout);
      assert.ok(s.host.warnings.some((w) => /reading the processes failed \(awk exit status 9\): the snapshot is partial/.test(w)), s.host.warnings.join('; '));
    } finally {
      fs.rmSync(bin, { recursive: true, force: true });
    }
  });

  // The same processes from busybox's applets alone (busybox awk gets the command lines through grep -z
  // and tr), and without any awk, as from this machine's tools; read one after the other, so only
  // processes alive through both runs are compared.
  const applets = spawnSync('busybox', ['--list'], { encoding: 'utf8' });
  for (const variant of ['busybox applets only', 'busybox applets only, without awk'] as const) {
    it(`runs with ${variant}, to the same processes and namespaces`, function () {
      needTool(this, ['busybox', 'true'], 'busybox-static');
      this.timeout(60_000);
      const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-bb-'));
      try {
        const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
        for (const a of applets.stdout.split('\n').filter((x) => /^[\w.-]+$/.test(x) && !(variant.endsWith('without awk') && x === 'awk'))) {
          fs.symlinkSync(busybox, path.join(bin, a));
        }
        const probe = (env: NodeJS.ProcessEnv) => {
          const r = spawnSync('/bin/sh', ['-c', PROBE_SCRIPT, 'sh', '--scope', 'tree'], { encoding: 'utf8', env, timeout: 50_000, maxBuffer: 64 * 1024 * 1024 });
          assert.strictEqual(r.status, 0, r.stderr);
          assert.strictEqual(r.stderr, '');
          return parseProbeOutput(r.stdout);
        };
        const mine = probe(process.env);
        const bb = probe({ ...process.env, NSX_KEEP_PATH: '1', PATH: bin });
        const again = probe(process.env);
        // Unchanged from the first run to the last (same parent, name and command line: not reparented
        // or exec'd meanwhile, as the busy machine's own processes may be).
        const same = (p: ProcessInfo, q: ProcessInfo) => q.pid === p.pid && q.comm === p.comm && q.ppid === p.ppid && q.cmdline === p.cmdline && q.start === p.start;
        const stablePids = new Set(mine.processes.filter((p) => again.processes.some((q) => same(p, q)) && !/^kworker/.test(p.comm)).map((p) => p.pid));
        const stable = (p: ProcessInfo) => stablePids.has(p.pid);
        const view = (s: Snapshot) =>
          s.processes.filter(stable).map((p) => ({ pid: p.pid, ppid: p.ppid, uid: p.uid, comm: p.comm, cmdline: p.cmdline, nspid: p.nspid, ns: p.ns, cgroup: p.cgroup }));
        const want = view(mine);
        assert.ok(want.length > 10, `${want.length} processes (${mine.processes.length} then ${again.processes.length}; warnings: ${[...mine.host.warnings, ...again.host.warnings].join('; ')})`);
        assert.deepStrictEqual(view(bb), want);
        const nsKeys = (s: Snapshot) => s.namespaces.filter((n) => n.pids.some((pid) => want.some((p) => p.pid === pid))).map((n) => `${n.type}:${n.inode}`).sort();
        assert.deepStrictEqual(nsKeys(bb), nsKeys(mine));
        if (variant.endsWith('without awk')) {
          assert.ok(bb.host.warnings.some((w) => /awk is missing/.test(w)), bb.host.warnings.join('; '));
        }
      } finally {
        fs.rmSync(bin, { recursive: true, force: true });
      }
    });
  }

  it('fits in one argument of sh -c (MAX_ARG_STRLEN is 128 KiB)', () => {
    assert.ok(commandLine(probeArgv(['/run/a.sock'])).length < 100_000);
  });

  it('passes docker sockets as positional arguments and refuses odd paths', () => {
    const budgets = ['--budget-cli', '5', '--budget-lsns', '5', '--budget-ip', '3'];
    assert.deepStrictEqual(probeArgv(['/run/nsx-lab/docker.sock']).slice(3), ['sh', '--us', '\x1f', ...budgets, '--docker-socket', '/run/nsx-lab/docker.sock']);
    assert.throws(() => probeArgv(['relative.sock']), /not an absolute path/);
    assert.deepStrictEqual(probeArgv([], 'tree').slice(3), ['sh', '--us', '\x1f', ...budgets, '--scope', 'tree']);
    assert.throws(() => probeArgv(['/run/$(id).sock']), /not an absolute path/);
  });

  it('passes the command budgets as whole seconds and refuses others before anything runs', () => {
    const argv = probeArgv([], 'full', undefined, undefined, { engineSeconds: 2, lsnsSeconds: undefined, ipSeconds: 7 });
    assert.deepStrictEqual(argv.slice(6, 12), ['--budget-cli', '2', '--budget-lsns', '5', '--budget-ip', '7']);
    for (const bad of [0, -1, 1.5, 601, Number.NaN]) {
      assert.throws(() => probeArgv([], 'full', undefined, undefined, { ipSeconds: bad }), /whole number of seconds/);
    }
  });
});

class FakeConnection implements HostConnection {
  readonly id = 'fake';
  readonly label = 'fake host';
  readonly state = { kind: 'connected' as const };
  calls: Array<{ argv: readonly string[]; options?: ExecOptions }> = [];
  constructor(private readonly output: string, private readonly privilege: HostInfo['privilege'] = 'sudo') {}
  onStateChange() {
    return { dispose() {} };
  }
  async connect(): Promise<HostInfo> {
    return { label: this.label, user: 'u', uid: 1000, privilege: this.privilege };
  }
  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ argv, options });
    const buf = Buffer.from(this.output);
    options?.onStdout?.(buf.subarray(0, 100));
    options?.onStdout?.(buf.subarray(100));
    return { code: 0, stdout: this.output, stderr: '' };
  }
  openPty(): never {
    throw new Error('not supported');
  }
  dispose() {}
}

describe('discover', () => {
  const odd = fs.readFileSync(path.join(REPO_ROOT, 'test/unit/discovery/fixtures/odd.probe.txt'), 'utf8');
  const oddHost = /^hostname=(.*)$/m.exec(odd)![1];

  it('runs exactly one privileged exec of sh -c PROBE and streams its output', async () => {
    const conn = new FakeConnection(odd);
    const s = await discover(conn);
    assert.strictEqual(conn.calls.length, 1);
    assert.deepStrictEqual(conn.calls[0].argv.slice(0, 2), ['sh', '-c']);
    assert.strictEqual(conn.calls[0].argv[2], PROBE_SCRIPT);
    assert.strictEqual(conn.calls[0].options?.privileged, true);
    assert.strictEqual(s.host.hostname, oddHost);
  });

  it('does not ask for privilege on a limited connection', async () => {
    const conn = new FakeConnection(odd, 'limited');
    await discover(conn);
    assert.strictEqual(conn.calls[0].options?.privileged, false);
  });

  it('fails with what to do when the probe printed nothing', async () => {
    const conn = new FakeConnection('');
    await assert.rejects(discover(conn), /Discovery on fake host failed: the probe printed nothing/);
  });

  it('is done when the end mark arrives, while the session still winds down; a session that fails first still fails', async () => {
    let close: (r: ExecResult) => void = () => undefined;
    const slow: HostConnection = Object.assign(new FakeConnection(odd), {
      exec: (_argv: readonly string[], options?: ExecOptions) => {
        options?.onStdout?.(Buffer.from(odd));
        return new Promise<ExecResult>((resolve) => (close = resolve));
      },
    });
    const s = await discover(slow);
    assert.strictEqual(s.host.hostname, oddHost);
    close({ code: 1, stdout: odd, stderr: 'late' });

    const cut = odd.slice(0, odd.indexOf(mark('end')));
    const dropped: HostConnection = Object.assign(new FakeConnection(cut), {
      exec: async (_argv: readonly string[], options?: ExecOptions) => {
        options?.onStdout?.(Buffer.from(cut));
        throw new Error('connection lost');
      },
    });
    await assert.rejects(discover(dropped), /connection lost/);
  });
});
