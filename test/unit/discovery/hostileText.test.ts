/**
 * Property: whatever bytes another user puts in a name the probe reads (command-line arguments, task
 * names, cgroup paths, state-file names and lines), the parsed snapshot has the same structure as with
 * plain values: the same processes, sections and containers; and each value comes through as data,
 * exactly. The probe's own awk programs (ESC_AWK, PROC_AWK, FILES_AWK) run over a synthetic /proc tree;
 * their output is framed as the probe frames it and parsed by parseProbeOutput.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseProbeOutput } from '../../../src/discovery/parseProbe';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';
import { needTool } from '../../support/needTool';
import { HEADER, mark, TEST_TOKEN } from './probeFormat';

const awkProgram = (name: string): string => {
  const m = new RegExp(`\\n${name}='([^']*)'\\n`).exec(PROBE_SCRIPT);
  assert.ok(m, `${name} in the probe`);
  return m[1];
};

interface FakeProc {
  pid: number;
  ppid: number;
  uid: number;
  name: string;
  args: string[];
  cgroup: string;
}

/** The kernel's escape of the task name in /proc/PID/status (fs/proc/array.c): only \n and \\. */
const statusName = (n: string): string => n.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

// Characters that matter: every control character, the probe's escape and field characters, the marks
// (with this run's token, as if a tenant had guessed it), and any other Unicode.
const hostile = fc.oneof(
  fc.constantFrom('\n', '\t', '\r', '\x1b', '\x1f', '\x7f', '%', '%0A', '%25', ':', ' ', '@@', `@@${TEST_TOKEN} end 1`, `@@${TEST_TOKEN} procs`, '\\', '\\n', ')', ') S 1 '),
  fc.integer({ min: 1, max: 0x1f }).map((c) => String.fromCharCode(c)),
  fc.string({ unit: 'grapheme', maxLength: 3 }),
);
const text = (max: number): fc.Arbitrary<string> => fc.array(hostile, { maxLength: max }).map((a) => a.join(''));
const noNul = (s: string): string => s.replace(/\0/g, '');
/** The first n code points: a cut never splits a surrogate pair (a lone surrogate has no UTF-8 bytes). */
const head = (s: string, n: number): string => Array.from(s).slice(0, n).join('');

describe('probe output: hostile names stay data (property)', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-prop-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Writes the processes as the kernel shows them, runs PROC_AWK over them, frames its output. */
  const probeOutput = (awk: string, procs: FakeProc[], run: number): string => {
    const root = path.join(dir, String(run));
    const dirs: string[] = [];
    for (const p of procs) {
      const d = path.join(root, String(p.pid));
      fs.mkdirSync(d, { recursive: true });
      fs.writeFileSync(path.join(d, 'cmdline'), Buffer.concat(p.args.map((a) => Buffer.from(`${noNul(a)}\0`))));
      fs.writeFileSync(
        path.join(d, 'status'),
        `Name:\t${statusName(noNul(p.name))}\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t${p.ppid}\nUid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}\nNSpid:\t${p.pid}\n`,
      );
      fs.writeFileSync(path.join(d, 'stat'), `${p.pid} (${noNul(p.name)}) S ${p.ppid} 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 ${1000 + p.pid} 1 1\n`);
      fs.writeFileSync(path.join(d, 'cgroup'), `0::${p.cgroup}\n`);
      dirs.push(d);
    }
    const stat = procs.map((p) => `${path.join(root, String(p.pid))}/ns/net 4026532${100 + (p.pid % 7)}`).join('\n') + '\n';
    const det = path.join(root, 'det');
    const out = execFileSync(awk, ['-v', 'z=1', '-v', `out=${det}`, '-v', 'cg=^0::', '-v', 'self=1', '-v', `M=@@${TEST_TOKEN} `, awkProgram('ESC_AWK') + awkProgram('PROC_AWK'), ...dirs], {
      input: stat,
      encoding: 'utf8',
      timeout: 10_000,
    });
    // The awk reads the synthetic tree by its paths; the parser knows /proc/PID paths, as on a host.
    const proc = out.split(root).join('/proc');
    return [HEADER, mark('host'), 'shellpid=999999', proc.trimEnd(), mark('engine-procs'), mark('tree-end 1'), mark('end 2'), ''].join('\n');
  };

  const procsArb = fc
    .uniqueArray(fc.integer({ min: 100, max: 60_000 }), { minLength: 1, maxLength: 6 })
    .chain((pids) =>
      fc.tuple(
        ...pids.map((pid) =>
          fc.record({
            pid: fc.constant(pid),
            ppid: fc.constantFrom(1, pids[0]),
            uid: fc.constantFrom(0, 1000, 65534),
            name: text(4).map((n) => head(n, 15)),
            args: fc.array(text(5).map((a) => head(a, 40)), { minLength: 1, maxLength: 4 }),
            // cgroupfs refuses a newline in a cgroup's name.
            cgroup: text(4).map((c) => `/x/${c.replace(/\n/g, '')}`),
          }),
        ),
      ),
    );

  for (const awk of ['mawk', 'gawk']) {
    it(`${awk}: arbitrary bytes in arguments, task names and cgroups leave processes and sections as with plain values, and come through exactly`, function () {
      needTool(this, [awk, 'BEGIN{}'], awk);
      this.timeout(120_000);
      let run = 0;
      fc.assert(
        fc.property(procsArb, (procs) => {
          const plain = procs.map((p, i) => ({ ...p, name: `p${i}`, args: p.args.map((_a, j) => `a${j}`), cgroup: '/x/plain' }));
          const s = parseProbeOutput(probeOutput(awk, procs, run++));
          const t = parseProbeOutput(probeOutput(awk, plain, run++));
          const shape = (x: typeof s) => ({
            pids: x.processes.map((p) => [p.pid, p.ppid, p.uid, p.start]),
            containers: x.containers.length,
            namespaces: x.namespaces.map((n) => `${n.type}:${n.inode}:${n.pids.join(',')}`),
            warnings: x.host.warnings.filter((w) => !/lsns|nsenter|root/.test(w)),
          });
          assert.deepStrictEqual(shape(s), shape(t));
          for (const p of procs) {
            const got = s.processes.find((x) => x.pid === p.pid)!;
            assert.strictEqual(got.comm, noNul(p.name), 'task name');
            assert.strictEqual(got.cmdline, p.args.map(noNul).join(' '), 'command line');
            assert.strictEqual(got.cgroup, p.cgroup, 'cgroup');
          }
        }),
        { numRuns: 60, seed: Number(process.env.NSX_FC_SEED ?? Date.now() % 1_000_000) },
      );
    });
  }

  it('state-file names and lines with arbitrary bytes stay within their own line, decoded exactly', function () {
    needTool(this, ['mawk', 'BEGIN{}'], 'mawk');
    this.timeout(60_000);
    let run = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(text(4), text(6)), { minLength: 1, maxLength: 4 }), (files) => {
        const root = path.join(dir, `f${run++}`);
        const paths: string[] = [];
        files.forEach(([name, body], i) => {
          // A directory name holds any byte but "/" and NUL.
          const d = path.join(root, `${i}${noNul(name).replace(/\//g, '')}`);
          fs.mkdirSync(d, { recursive: true });
          const f = path.join(d, 'init.pid');
          fs.writeFileSync(f, `${1000 + i}\n{${noNul(body).replace(/\n/g, '')}\n`);
          paths.push(f);
        });
        const out = execFileSync('mawk', ['-v', 'm=files', awkProgram('ESC_AWK') + awkProgram('FILES_AWK'), ...paths], { encoding: 'utf8' });
        const lines = out.trimEnd().split('\n');
        assert.strictEqual(lines.length, files.length * 2, 'two lines a file, whatever its name');
        const s = parseProbeOutput([HEADER, mark('host'), mark('state-files'), ...lines, mark('end 1'), ''].join('\n'));
        assert.strictEqual(s.containers.length, 0, 'no container from files of no verified shim');
      }),
      { numRuns: 40 },
    );
  });
});
