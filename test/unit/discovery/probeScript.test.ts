import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import { discover, probeArgv } from '../../../src/discovery/discover';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';
import { commandLine } from '../../../src/host/commandLine';
import { ExecOptions, ExecResult, HostConnection, HostInfo } from '../../../src/host/hostConnection';
import * as path from 'path';
import { PROBE_TS, readProbeSh, REPO_ROOT, renderProbeScriptTs } from './probeScriptSource';

describe('probe script', () => {
  it('probeScript.ts is generated from probe.sh', () => {
    const want = renderProbeScriptTs(readProbeSh());
    if (process.env.NSX_UPDATE_PROBE === '1') {
      fs.writeFileSync(PROBE_TS, want);
    }
    assert.strictEqual(fs.readFileSync(PROBE_TS, 'utf8'), want, 'run NSX_UPDATE_PROBE=1 to regenerate probeScript.ts');
  });

  for (const shell of [['sh', '-n'], ['busybox', 'sh', '-n']]) {
    it(`parses under ${shell.slice(0, -1).join(' ')}`, () => {
      execFileSync(shell[0], [...shell.slice(1), '-c', PROBE_SCRIPT]);
    });
  }

  for (const scope of ['tree', 'full'] as const) {
    it(`runs here (scope ${scope}) with exit 0, nothing on stderr and every mark, engines or not`, function () {
      this.timeout(60_000);
      const r = spawnSync('sh', ['-c', PROBE_SCRIPT, 'sh', ...(scope === 'tree' ? ['--scope', 'tree'] : [])], { encoding: 'utf8', timeout: 50_000, maxBuffer: 64 * 1024 * 1024 });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stderr, '');
      const marks = r.stdout.split('\n').filter((l) => /^@@(nsx-probe|cmdline|files|ns|tree-end|end)\b/.test(l)).map((l) => l.split(' ')[0]);
      assert.deepStrictEqual([...new Set(marks)], ['@@nsx-probe', '@@cmdline', '@@files', '@@ns', '@@tree-end', '@@end']);
    });
  }

  it('fits in one argument of sh -c (MAX_ARG_STRLEN is 128 KiB)', () => {
    assert.ok(commandLine(probeArgv(['/run/a.sock'])).length < 100_000);
  });

  it('passes docker sockets as positional arguments and refuses odd paths', () => {
    assert.deepStrictEqual(probeArgv(['/run/nsx-lab/docker.sock']).slice(3), ['sh', '--docker-socket', '/run/nsx-lab/docker.sock']);
    assert.throws(() => probeArgv(['relative.sock']), /not an absolute path/);
    assert.deepStrictEqual(probeArgv([], 'tree').slice(3), ['sh', '--scope', 'tree']);
    assert.throws(() => probeArgv(['/run/$(id).sock']), /not an absolute path/);
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

  it('runs exactly one privileged exec of sh -c PROBE and streams its output', async () => {
    const conn = new FakeConnection(odd);
    const s = await discover(conn);
    assert.strictEqual(conn.calls.length, 1);
    assert.deepStrictEqual(conn.calls[0].argv.slice(0, 2), ['sh', '-c']);
    assert.strictEqual(conn.calls[0].argv[2], PROBE_SCRIPT);
    assert.strictEqual(conn.calls[0].options?.privileged, true);
    assert.strictEqual(s.host.hostname, 'odd host');
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
});
