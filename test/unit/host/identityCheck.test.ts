// The identity check run for real: sh (dash, bash, busybox sh where installed) against this machine's
// /proc, with live, replaced and dead processes. Linux only.
import * as assert from 'assert';
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  commandLine,
  displayCommand,
  IDENTITY_CHECK_EXIT,
  IDENTITY_CHECK_NAME,
  parseIdentityCheck,
  PidIdentity,
  withIdentityCheck,
} from '../../../src/host/commandLine';

/** Field 22 of /proc/PID/stat, counted after the last ')' (the name before it may hold anything). */
function startOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function inodeOf(pid: number, type: string): number {
  return Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/${type}`))![1]);
}

function identity(pid: number, types: string[] = ['net', 'mnt', 'pid', 'uts']): Required<PidIdentity> {
  return { pid, start: startOf(pid), ns: Object.fromEntries(types.map((t) => [t, inodeOf(pid, t)])) };
}

/** Which shells to run the check under: `sh` always, and the others this machine has. */
const SHELLS = ['sh', 'dash', 'bash', 'busybox sh'].filter((s) => spawnSync('sh', ['-c', `command -v ${s.split(' ')[0]}`]).status === 0);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv as the host would: one command line through a shell (`shell -c LINE`). */
function run(argv: string[], shell = 'sh'): Run {
  const [prog, ...pre] = shell.split(' ');
  const r = spawnSync(prog, [...pre, '-c', commandLine(argv)], { encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const MARK = ['echo', 'the command ran'];

function accepted(r: Run): void {
  assert.strictEqual(r.code, 0, `refused: ${r.stderr}`);
  assert.strictEqual(r.stdout, 'the command ran\n');
  assert.strictEqual(r.stderr, '');
}

function refused(r: Run, message: RegExp): void {
  assert.strictEqual(r.code, IDENTITY_CHECK_EXIT, `exit ${r.code}: ${r.stdout}${r.stderr}`);
  assert.strictEqual(r.stdout, '', 'the command must not run');
  assert.match(r.stderr, message);
  assert.match(r.stderr, /Refresh and try again\.\n$/);
  assert.strictEqual(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
}

async function spawned(file: string, args: string[]): Promise<ChildProcess & { pid: number }> {
  const child = spawn(file, args, { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  // Until exec has happened, /proc shows node's fork; wait for the program's own name.
  const comm = path.basename(file).slice(0, 15);
  for (let i = 0; i < 200 && fs.readFileSync(`/proc/${child.pid}/comm`, 'utf8').replace(/\n$/, '') !== comm; i++) {
    await new Promise((r) => setTimeout(r, 5));
  }
  return child as ChildProcess & { pid: number };
}

async function killed(child: ChildProcess): Promise<void> {
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await gone;
}

(process.platform === 'linux' ? describe : describe.skip)('identity check on a real /proc', function () {
  this.timeout(30_000);
  let dir: string;
  let child: ChildProcess & { pid: number };
  const sleep = spawnSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).stdout.trim();

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-idcheck-'));
    child = await spawned(sleep, ['60']);
  });
  after(async () => {
    if (child) await killed(child);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const shell of SHELLS) {
    describe(`under ${shell}`, () => {
      it('runs the command for the live process it was planned for: start time and four namespaces', () => {
        accepted(run(withIdentityCheck([identity(child.pid)], MARK), shell));
      });

      it('passes the command its arguments and exit code untouched', () => {
        const odd = ["it's", '$(touch x)', '--', 'a b', '*', ''];
        const r = run(withIdentityCheck([identity(child.pid)], ['sh', '-c', 'printf "%s|" "$@"; exit 7', 'x', ...odd]), shell);
        assert.strictEqual(r.code, 7, r.stderr);
        assert.strictEqual(r.stdout, odd.map((a) => `${a}|`).join(''));
      });

      it('refuses a wrong start time: another process has the PID', () => {
        const id = identity(child.pid);
        refused(
          run(withIdentityCheck([{ ...id, start: id.start + 1 }], MARK), shell),
          new RegExp(`^nsx: process ${child.pid} is not the one the plan was made for: PID ${child.pid} now belongs to a process started at tick ${id.start}, not ${id.start + 1} \\(it restarted\\?\\)`),
        );
      });

      it('refuses a wrong namespace inode, naming the type and both inodes', () => {
        const id = identity(child.pid);
        const net = id.ns.net!;
        refused(
          run(withIdentityCheck([{ ...id, ns: { ...id.ns, net: net + 1 } }], MARK), shell),
          new RegExp(`its net namespace is net:\\[${net}\\], not net:\\[${net + 1}\\] \\(it restarted\\?\\)`),
        );
      });

      it('without a start time (an old snapshot) checks the inodes only', () => {
        const { pid, ns } = identity(child.pid);
        accepted(run(withIdentityCheck([{ pid, ns }], MARK), shell));
        refused(run(withIdentityCheck([{ pid, ns: { ...ns, mnt: ns.mnt! + 1 } }], MARK), shell), /its mnt namespace is mnt:\[\d+\], not mnt:\[\d+\]/);
      });

      it('refuses when any of several PIDs fails, and runs when all pass', () => {
        accepted(run(withIdentityCheck([identity(child.pid), identity(process.pid, ['net'])], MARK), shell));
        const other = identity(process.pid, ['net']);
        refused(run(withIdentityCheck([identity(child.pid), { ...other, start: other.start + 5 }], MARK), shell), new RegExp(`process ${process.pid} is not`));
      });
    });
  }

  it('refuses a PID whose process has exited', async () => {
    const gone = await spawned(sleep, ['60']);
    const id = identity(gone.pid, ['net']);
    accepted(run(withIdentityCheck([id], MARK)));
    await killed(gone);
    refused(run(withIdentityCheck([id], MARK)), new RegExp(`^nsx: process ${gone.pid} is not the one the plan was made for: no process has that PID any more`));
    refused(run(withIdentityCheck([{ pid: id.pid, ns: id.ns }], MARK)), /no process has that PID any more/);
  });

  it('reads the start time after the last ")" of a name with spaces, parentheses and a newline', async () => {
    for (const name of ['a) 1 2 (b', 'x) R 1\n) 9 9']) {
      const exe = path.join(dir, name);
      fs.copyFileSync(sleep, exe);
      fs.chmodSync(exe, 0o755);
      const odd = await spawned(exe, ['60']);
      try {
        assert.ok(fs.readFileSync(`/proc/${odd.pid}/stat`, 'utf8').includes(`(${name.slice(0, 15)})`), 'the name is in stat as is');
        const id = identity(odd.pid);
        accepted(run(withIdentityCheck([id], MARK)));
        refused(run(withIdentityCheck([{ ...id, start: id.start + 1 }], MARK)), /now belongs to a process started at tick/);
      } finally {
        await killed(odd);
      }
    }
  });

  it('a malformed argument list is a usage error (exit 2), never a run', () => {
    const good = withIdentityCheck([identity(child.pid)], MARK);
    const script = good.slice(0, 4);
    for (const args of [
      ['abc', '-', '--', ...MARK],
      ['0', '-', 'net:1', '--', ...MARK],
      [String(child.pid), 'x1', '--', ...MARK],
      [String(child.pid), '-', 'NET:1', '--', ...MARK],
      [String(child.pid), '-', 'net:', '--', ...MARK],
      [String(child.pid), '-', 'net:1x', '--', ...MARK],
      [String(child.pid), String(startOf(child.pid)), ...MARK],
      [String(child.pid), String(startOf(child.pid)), '--'],
    ]) {
      const r = run([...script, ...args]);
      assert.strictEqual(r.code, 2, `${JSON.stringify(args)}: exit ${r.code} ${r.stderr}`);
      assert.strictEqual(r.stdout, '');
      assert.match(r.stderr, /^nsx-check: /);
    }
  });
});

describe('withIdentityCheck', () => {
  it('builds sh -c SCRIPT nsx-check PID START TYPE:INODE… -- ARGV, one group per PID', () => {
    const argv = withIdentityCheck(
      [{ pid: 777, start: 4242, ns: { net: 4026532100, mnt: 4026532101 } }, { pid: 1, ns: { net: 4026531840 } }, { pid: 777, ns: { net: 9 } }],
      ['ip', 'link'],
    );
    assert.deepStrictEqual(argv.slice(0, 2), ['sh', '-c']);
    assert.deepStrictEqual(argv.slice(3), [IDENTITY_CHECK_NAME, '777', '4242', 'net:4026532100', 'mnt:4026532101', '1', '-', 'net:4026531840', '--', 'ip', 'link']);
    assert.deepStrictEqual(parseIdentityCheck(argv), {
      checks: [{ pid: 777, start: 4242, ns: { net: 4026532100, mnt: 4026532101 } }, { pid: 1, ns: { net: 4026531840 } }],
      argv: ['ip', 'link'],
    });
    assert.strictEqual(displayCommand(argv), 'nsx-check 777 4242 net:4026532100 mnt:4026532101 1 - net:4026531840 -- ip link');
    assert.strictEqual(parseIdentityCheck(['sh', '-c', 'exec "$@"', IDENTITY_CHECK_NAME, '1', '-', '--', 'x']), undefined, 'only its own script');
    assert.strictEqual(displayCommand(['ip', 'a b']), "ip 'a b'");
  });

  it('refuses what it cannot check, instead of checking nothing', () => {
    assert.throws(() => withIdentityCheck([], ['true']), /at least one process/);
    assert.throws(() => withIdentityCheck([{ pid: 5, ns: {} }], ['true']), /Nothing is known of process 5/);
    assert.throws(() => withIdentityCheck([{ pid: 0, start: 1, ns: {} }], ['true']), /Not a process id/);
    assert.throws(() => withIdentityCheck([{ pid: 5.5, start: 1, ns: {} }], ['true']), /Not a process id/);
    assert.throws(() => withIdentityCheck([{ pid: 5, start: -1, ns: {} }], ['true']), /Not a start time/);
    assert.throws(() => withIdentityCheck([{ pid: 5, ns: { 'net;x': 1 } }], ['true']), /Not a namespace/);
    assert.throws(() => withIdentityCheck([{ pid: 5, ns: { net: 0 } }], ['true']), /Not a namespace/);
    assert.throws(() => withIdentityCheck([{ pid: 5, start: 1, ns: {} }], []), /Empty command/);
  });
});
