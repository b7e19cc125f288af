/**
 * The probe's path rules (path_want, path_stat, path_ok in probe.sh), run by sh on real files: a value an
 * engine's arguments name counts only when root owns it and every directory above it, no one else can
 * write any of them, and it is of the expected type. Needs root (it makes files another user owns).
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

/** The probe's definitions from its first function to verify(), without running anything. */
function pathFunctions(): string {
  const from = PROBE_SCRIPT.indexOf("pq=' '");
  const to = PROBE_SCRIPT.indexOf('conf_values()');
  assert.ok(from > 0 && to > from, 'the path functions in the probe');
  return PROBE_SCRIPT.slice(from, to);
}

/** For each [path, type]: "ok" or "no", as path_ok says after one batched path_stat. */
function verdicts(cases: Array<[string, string]>, knownPaths = ''): { out: string[]; stats: number } {
  const script = [
    "nl='\n'",
    'known_paths=$1; shift',
    // Counts the stat processes the rules start (in a file: path_stat runs stat in a subshell).
    'cnt=$(mktemp); stat() { echo x >>"$cnt"; command stat "$@"; }',
    pathFunctions(),
    'for c do path_want "${c%|*}"; done',
    'path_stat',
    'for c do if path_ok "${c%|*}" "${c##*|}"; then echo ok; else echo no; fi; done',
    'echo "stats=$(grep -c x "$cnt")"; rm -f "$cnt"',
  ].join('\n');
  const r = spawnSync('sh', ['-c', script, 'sh', knownPaths, ...cases.map(([p, t]) => `${p}|${t}`)], { encoding: 'utf8', timeout: 10_000 });
  assert.strictEqual(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  return { out: lines.slice(0, -1), stats: Number(lines[lines.length - 1].slice(6)) };
}

describe('probe: which paths from an engine\'s arguments count (path rules, as root)', function () {
  let dir: string;
  let server: net.Server | undefined;
  before(function () {
    if (!isRoot) {
      this.test!.parent!.title += ' (skipped: needs root to make files another user owns)';
      if (process.env.CI === 'true') {
        throw new Error('the path rules need root, and CI runs as root');
      }
      this.skip();
    }
    // A root-owned 0755 chain below a fresh root-owned 0700 directory (not below /tmp, which others can write).
    dir = fs.mkdtempSync(path.join('/run', 'nsx-paths-'));
    fs.chmodSync(dir, 0o755);
    for (const d of ['root/data', 'tenant/data', 'open/data', 'grp/data', 'grp0/data']) {
      fs.mkdirSync(path.join(dir, d), { recursive: true, mode: 0o755 });
    }
    fs.chownSync(path.join(dir, 'tenant'), 65534, 65534);
    fs.chmodSync(path.join(dir, 'open'), 0o777);
    fs.chmodSync(path.join(dir, 'grp'), 0o775);
    fs.chownSync(path.join(dir, 'grp'), 0, 100);
    fs.chmodSync(path.join(dir, 'grp0'), 0o775);
    fs.writeFileSync(path.join(dir, 'root/daemon.json'), '{}');
    fs.writeFileSync(path.join(dir, 'root/open.json'), '{}');
    fs.chmodSync(path.join(dir, 'root/open.json'), 0o666);
    spawnSync('mkfifo', [path.join(dir, 'root/fifo')]);
    fs.symlinkSync(path.join(dir, 'tenant/data'), path.join(dir, 'root/link'));
    fs.symlinkSync(path.join(dir, 'root/data'), path.join(dir, 'root/goodlink'));
  });
  after(() => {
    server?.close();
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts root\'s own chains of the expected type, and refuses every other', () => {
    const d = (p: string) => path.join(dir, p);
    const cases: Array<[string, string, string, string]> = [
      [d('root/data'), 'd', 'ok', 'root owns it and every directory above'],
      [d('root/goodlink'), 'd', 'ok', 'a link counts by its target'],
      [d('root/daemon.json'), 'f', 'ok', 'a root-owned config file'],
      [d('grp0/data'), 'd', 'ok', 'a directory its root group may write'],
      [d('root/data'), 'f', 'no', 'a directory is not a config file'],
      [d('root/daemon.json'), 's', 'no', 'a file is not a socket'],
      [d('root/fifo'), 'f', 'no', 'a FIFO is never a config file'],
      [d('root/open.json'), 'f', 'no', 'a config file others can write'],
      [d('tenant/data'), 'd', 'no', 'below a directory another user owns'],
      [d('root/link'), 'd', 'no', 'a link to another user\'s directory'],
      [d('open/data'), 'd', 'no', 'below a directory anyone can write'],
      [d('grp/data'), 'd', 'no', 'below a directory a non-root group can write'],
      [`/tmp/${path.basename(dir)}`, 'd', 'no', 'below /tmp, which others can write'],
      [d('root/missing'), 'd', 'no', 'a path that does not exist'],
      [`${d('root')}/../root/data`, 'd', 'no', 'a path with ..'],
      ['relative/data', 'd', 'no', 'a relative path'],
      [`${d('root')}/da ta`, 'd', 'no', 'a path of other than plain characters'],
    ];
    const { out, stats } = verdicts(cases.map(([p, t]) => [p, t]));
    assert.deepStrictEqual(
      out.map((v, i) => `${cases[i][3]}: ${v}`),
      cases.map(([, , want, why]) => `${why}: ${want}`),
    );
    assert.strictEqual(stats, 1, 'every path checked by one stat');
  });

  it('lets a socket root owns admit its group, as /run/docker.sock admits group docker', async () => {
    const sock = path.join(dir, 'root/docker.sock');
    server = net.createServer();
    await new Promise<void>((resolve) => server!.listen(sock, resolve));
    fs.chownSync(sock, 0, 100);
    fs.chmodSync(sock, 0o660);
    assert.deepStrictEqual(verdicts([[sock, 's'], [sock, 'f']]).out, ['ok', 'no']);
    fs.chownSync(sock, 65534, 100);
    assert.deepStrictEqual(verdicts([[sock, 's']]).out, ['no'], 'another user\'s socket');
  });

  it('takes what an earlier run found root\'s own without a stat, and checks anything new', () => {
    const known = `${path.join(dir, 'root/data')}|d`;
    const cached = verdicts([[path.join(dir, 'root/data'), 'd']], known);
    assert.deepStrictEqual(cached, { out: ['ok'], stats: 0 });
    const fresh = verdicts([[path.join(dir, 'root/data'), 'd'], [path.join(dir, 'tenant/data'), 'd']], known);
    assert.deepStrictEqual(fresh, { out: ['ok', 'no'], stats: 1 });
    // Entries that are not plain absolute paths with a type are ignored.
    assert.deepStrictEqual(verdicts([[path.join(dir, 'tenant/data'), 'd']], `${path.join(dir, 'tenant/data')}|q relative|d`).out, ['no']);
  });
});
