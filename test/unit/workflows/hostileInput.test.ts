import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { commandLine, parseIdentityCheck } from '../../../src/host/commandLine';
import { planConnect, planCreateNetns, planCreateVethPair, planPing, type Workflow } from '../../../src/workflows/plan';
import { WorkflowError } from '../../../src/workflows/validate';
import { fixtureSnapshot } from './fakes';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-canary-'));
const CANARY = path.join(dir, 'canary');

const FRAGMENTS = [
  `$(touch ${CANARY})`, `\`touch ${CANARY}\``, `;touch ${CANARY}`, `|touch ${CANARY}`, `&&touch ${CANARY}`, `\ntouch ${CANARY}\n`,
  '$(', ')', '`', "'", '"', '\\', '\n', '\r', '\t', ' ', ';', '&', '|', '>', '<', '*', '?', '~', '#', '!', '%', '=',
  '$IFS', '${HOME}', '$0', '-', '--', '-n', '.', '..', '/', ':', ',', 'é', 'ü', '🙂', '\u202e', '\u00a0', '\u0085', '\u0000',
  'a', 'eth0', 'blue', '10.200.3.0', '/24', '/64', 'fd00::', '::1', '0x0a', '%eth0', 'x'.repeat(70),
];

const hostile: fc.Arbitrary<string> = fc.oneof(
  fc.array(fc.constantFrom(...FRAGMENTS), { minLength: 1, maxLength: 6 }).map((a) => a.join('')),
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.string({ unit: 'grapheme', maxLength: 24 }),
);

/** Accepted, or refused with a WorkflowError; anything else (a crash, a TypeError) fails the property. */
function planOrRefuse(build: () => Workflow): Workflow | undefined {
  try {
    return build();
  } catch (err) {
    if (err instanceof WorkflowError) return undefined;
    throw err;
  }
}

function argvsOf(wf: Workflow): string[][] {
  return [...wf.steps.flatMap((s) => [s.argv, ...(s.inverse ? [s.inverse] : [])]), ...(wf.postCheck ? [wf.postCheck.argv] : [])];
}

/** argv with the identity check's fixed script (our own text, never input) left out. */
function withoutCheckScript(argv: string[]): string[] {
  return parseIdentityCheck(argv) ? [...argv.slice(0, 2), ...argv.slice(3)] : argv;
}

/** Run argv's elements through commandLine and a real sh; what sh hands printf must be argv itself. */
function throughRealSh(argv: readonly string[]): string[] {
  const out = execFileSync('sh', ['-c', commandLine(['printf', '%s\\0', ...argv])], { cwd: dir, timeout: 5000 });
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('hostile input', () => {
  const snap = fixtureSnapshot();
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a netns name is refused or appears as exactly one argv element', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        const wf = planOrRefuse(() => planCreateNetns(snap, name));
        if (!wf) return;
        // Same plan as for a plain name, with the name in the same single slots and nowhere else.
        const mask = (w: Workflow, n: string) => argvsOf(w).map((argv) => argv.map((a) => (a === n ? '<NAME>' : a)));
        assert.deepStrictEqual(mask(wf, name), mask(planCreateNetns(snap, 'plainname'), 'plainname'));
      }),
      { numRuns: 500 },
    );
  });

  it('interface names are refused or appear as exactly one argv element', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        const wf = planOrRefuse(() => planCreateVethPair(snap, { name: a, endpoint: 'netns:blue' }, { name: b, endpoint: 'host' }));
        if (!wf) return;
        assert.ok(Buffer.byteLength(a) <= 15 && Buffer.byteLength(b) <= 15);
        assert.deepStrictEqual(wf.steps[0].argv, ['ip', 'link', 'add', 'name', a, 'type', 'veth', 'peer', 'name', b]);
      }),
      { numRuns: 500 },
    );
  });

  it('endpoints, subnets, ranges, names and ping targets never crash a planner and never leak into other arguments', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, (x, y, z) => {
        for (const wf of [
          planOrRefuse(() => planConnect(snap, x, 'host')),
          planOrRefuse(() => planConnect(snap, 'netns:blue', 'host', { subnet: y })),
          planOrRefuse(() => planConnect(snap, 'netns:blue', 'host', { range: z })),
          planOrRefuse(() => planConnect(snap, 'netns:blue', 'netns:red', { names: { a: x, b: y } })),
          planOrRefuse(() => ({ title: 'ping', steps: [], postCheck: planPing(snap, 'host', z) })),
        ]) {
          if (!wf) continue;
          for (const argv of argvsOf(wf)) {
            for (const arg of withoutCheckScript(argv)) {
              assert.ok(!/[\s;|&$`'"\\<>*?\0]/.test(arg) || arg === x || arg === y, `unexpected argument ${JSON.stringify(arg)}`);
            }
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('through commandLine and a real sh, hostile strings reach the program verbatim and never run', function () {
    this.timeout(60_000);
    fc.assert(
      fc.property(hostile, (s) => {
        if (s.includes('\0')) {
          assert.throws(() => commandLine(['printf', s]), /NUL/);
          return;
        }
        const wf = planOrRefuse(() => planCreateVethPair(snap, { name: s, endpoint: 'netns:blue' }, { name: 'peer0', endpoint: 'host' }));
        const argvs = wf ? argvsOf(wf) : [['ip', 'netns', 'add', s]];
        for (const argv of argvs) {
          // The real sh must hand over exactly this vector (after printf), with UTF-8 that round-trips.
          if (Buffer.from(s, 'utf8').toString('utf8') !== s) continue;
          assert.deepStrictEqual(throughRealSh(argv), argv);
        }
        assert.ok(!fs.existsSync(CANARY), 'a hostile string was executed by the shell');
      }),
      { numRuns: 150 },
    );
    assert.ok(!fs.existsSync(CANARY));
  });

  it('the canary check can fail: an unquoted line does create it', () => {
    execFileSync('sh', ['-c', `echo $(touch ${CANARY})`]);
    assert.ok(fs.existsSync(CANARY));
    fs.rmSync(CANARY);
  });
});
