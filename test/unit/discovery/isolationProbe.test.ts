/**
 * The probe's isolation reads (ISO_AWK) on a real process in a mount namespace of its own, whose bind
 * mounts' mount points are named to forge lines: newlines, `@@` marks, "PID status CapEff" lines, `%` escapes. Under
 * each awk the probe may meet, the parsed section names only that process, with its real capability sets
 * from /proc, and every mount point exactly as it was made. Needs root (unshare -m, mount).
 */
import * as assert from 'assert';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseIsolationSection } from '../../../src/discovery/parseIsolation';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';
import { needTool } from '../../support/needTool';

const awkProgram = (name: string): string => {
  const m = new RegExp(`\\n${name}='([^']*)'\\n`).exec(PROBE_SCRIPT);
  assert.ok(m, `${name} in the probe`);
  return m[1]!;
};

const HOSTILE = ['plain', 'two words', 'nl\n4242 status CapEff 000001ffffffffff', 'mark\n@@feedface isolation', 'pct%0A%25', 'tab\there', 'back\\slash'];

describe('probe: isolation reads on a hostile mount table', function () {
  this.timeout(30_000);
  let dir: string;
  let child: ChildProcess | undefined;
  let pid = 0;

  before(async function () {
    if (process.getuid?.() !== 0) {
      this.test!.parent!.title += ' (skipped: needs root for unshare -m and mount)';
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-iso-'));
    for (const name of HOSTILE) fs.mkdirSync(path.join(dir, name));
    // Bind mounts (the probe prints those; a tmpfs outside /proc and /sys it leaves out), made read-only.
    fs.mkdirSync(path.join(dir, 'src'));
    const script = 'for d in "$@"; do mount --bind "${0%/*}/src" "$d" && mount -o remount,bind,ro "$d" || exit 9; done; echo ready; exec sleep 30';
    child = spawn('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, path.join(dir, 'sh'), ...HOSTILE.map((n) => path.join(dir, n))], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child!.stdout!.once('data', () => resolve());
      child!.once('exit', (code) => reject(new Error(`unshare exited ${code}`)));
    });
    // The shell exec'd sleep: the PID unshare started is the one in the new mount namespace.
    const kids = fs.readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
    pid = Number(kids.split(/\s+/)[0] || child.pid);
  });

  after(() => {
    child?.kill('SIGKILL');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const awk of ['mawk', 'gawk', 'busybox awk']) {
    it(`lists only that process, with its real sets and every mount point exactly (${awk})`, function () {
      const argv = awk.split(' ');
      needTool(this, [...argv, 'BEGIN { exit 0 }'], awk === 'busybox awk' ? 'busybox-static' : awk);
      const children = path.join(dir, 'children');
      fs.writeFileSync(children, `${pid} \n`);
      const r = spawnSync(argv[0]!, [...argv.slice(1), '-v', `self=${process.pid}`, '-v', 'tr= 1 ', '-v', 'lsm=0', awkProgram('ESC_AWK') + awkProgram('ISO_AWK'), children], { encoding: 'utf8' });
      assert.strictEqual(r.status, 0, r.stderr);
      const sec = parseIsolationSection(r.stdout.split('\n').filter(Boolean));
      assert.deepStrictEqual([...sec.byPid.keys()], [pid], r.stdout);
      const s = sec.byPid.get(pid)!;
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      assert.strictEqual(s.capEff, /CapEff:\s*(\S+)/.exec(status)![1]);
      assert.strictEqual(s.capBnd, /CapBnd:\s*(\S+)/.exec(status)![1]);
      const points = new Set((s.mounts ?? []).map((m) => m.mountPoint));
      for (const name of HOSTILE) {
        assert.ok(points.has(path.join(dir, name)), `${JSON.stringify(name)} among ${JSON.stringify([...points].filter((p) => p.startsWith(dir)))}`);
        const m = s.mounts!.find((x) => x.mountPoint === path.join(dir, name))!;
        assert.deepStrictEqual([m.root.endsWith('/src'), m.options.includes('ro')], [true, true], JSON.stringify(m));
      }
      assert.strictEqual(sec.host.capBnd, /CapBnd:\s*(\S+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1]);
    });
  }
});
