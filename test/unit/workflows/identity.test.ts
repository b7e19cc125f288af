// Enter Namespace, the workflows and Undo bind every PID they name to the process the plan was made
// for (see withIdentityCheck); containers are found by resolveContainer.
import * as assert from 'assert';
import { IDENTITY_CHECK_EXIT, parseIdentityCheck, withIdentityCheck } from '../../../src/host/commandLine';
import type { Snapshot } from '../../../src/model/snapshot';
import { EnterError, planEnter } from '../../../src/workflows/enter';
import { executeWorkflow, formatReport } from '../../../src/workflows/execute';
import { Journal, MemoryJournalStore, uncheckedPids } from '../../../src/workflows/journal';
import { planConnect, planMoveInterface } from '../../../src/workflows/plan';
import { container, FakeConnection, fixtureSnapshot, HOST_NS, iface, NS_RED, NS_WEB } from './fakes';

const REFUSED = `nsx: process 777 is not the one the plan was made for: PID 777 now belongs to a process started at tick 99, not 5000 (it restarted?). Refresh and try again.`;

/** The fixture with start times, web's init in four namespaces, and a second container also named web. */
function richSnapshot(): Snapshot {
  const s = fixtureSnapshot();
  s.processes = s.processes.map((p) =>
    p.pid === 777 ? { ...p, start: 5000, ns: { net: NS_WEB, mnt: 4026532201, uts: 4026532202, pid: 4026532203, user: 4026531837 } } : { ...p, start: 1, ns: { ...p.ns, user: 4026531837 } },
  );
  s.namespaces.push({ type: 'user', inode: 4026531837, holders: [{ kind: 'host', name: 'host' }], pids: [1], nsfsPaths: [], initial: true });
  s.containers[0] = { ...s.containers[0], ns: { net: NS_WEB, mnt: 4026532201, uts: 4026532202, pid: 4026532203 } };
  s.containers.push({ ...container('web', 'running', 4242, NS_RED), engine: 'podman', id: 'abcdef0123456789' });
  return s;
}

describe('Enter Namespace binds its PID', () => {
  const opts = { hostLabel: 'lab', program: ['ip', 'addr'] };

  it('enters a container by engine:id, checking its init start time and every namespace entered', () => {
    const plan = planEnter(richSnapshot(), { kind: 'container', ref: 'docker:web0123456789abcdef' }, ['net', 'mnt', 'uts', 'user'], opts);
    const check = { pid: 777, start: 5000, ns: { net: NS_WEB, mnt: 4026532201, uts: 4026532202 } };
    // user is left out (the host's own user namespace cannot be entered), so it is not checked either.
    assert.deepStrictEqual(plan.types, ['net', 'mnt', 'uts']);
    assert.deepStrictEqual(plan.check, check);
    assert.deepStrictEqual(plan.argv, withIdentityCheck([check], ['nsenter', '-t', '777', '--net', '--mount', '--uts', '--', 'ip', 'addr']));
  });

  it('refuses a name two containers have, listing both; their engine:id works', () => {
    assert.throws(
      () => planEnter(richSnapshot(), { kind: 'container', ref: 'web' }, ['net'], opts),
      (e: Error) => e instanceof EnterError && /"web" matches 2 containers: docker web012345678 "web", podman abcdef012345 "web"/.test(e.message),
    );
    const p = planEnter(richSnapshot(), { kind: 'container', ref: 'podman:abcdef' }, ['net'], opts);
    assert.deepStrictEqual(parseIdentityCheck(p.argv)?.checks, [{ pid: 4242, start: 1, ns: { net: NS_RED } }]);
    assert.throws(() => planEnter(richSnapshot(), { kind: 'container', ref: 'nope' }, ['net'], opts), /No container "nope"/);
  });

  it('wraps the shell picker too, so the check runs before anything else', () => {
    const plan = planEnter(richSnapshot(), { kind: 'pid', pid: 777 }, ['net', 'mnt'], { hostLabel: 'lab' });
    const g = parseIdentityCheck(plan.argv);
    assert.ok(g, 'guarded');
    assert.deepStrictEqual(g.checks, [{ pid: 777, start: 5000, ns: { net: NS_WEB, mnt: 4026532201 } }]);
    assert.deepStrictEqual(g.argv.slice(0, 2), ['sh', '-c']);
    assert.ok(g.argv.includes('/proc/777/root'));
  });

  it('a namespace entered through one of its processes checks that process in that namespace', () => {
    const plan = planEnter(richSnapshot(), { kind: 'namespace', type: 'net', inode: NS_RED }, ['net'], opts);
    assert.deepStrictEqual(parseIdentityCheck(plan.argv)?.checks, [{ pid: 4242, start: 1, ns: { net: NS_RED } }]);
  });

  it('without start times (an old snapshot) checks the inodes only; with nothing known, refuses to plan', () => {
    const plan = planEnter(fixtureSnapshot(), { kind: 'pid', pid: 777 }, ['net', 'uts'], opts);
    assert.deepStrictEqual(plan.check, { pid: 777, ns: { net: NS_WEB } });
    assert.throws(() => planEnter(fixtureSnapshot(), { kind: 'pid', pid: 777 }, ['uts'], opts), /neither the start time nor the uts namespace of process 777/);
  });

  it('named netns and bind mounts name no PID and have no check', () => {
    assert.strictEqual(parseIdentityCheck(planEnter(fixtureSnapshot(), { kind: 'netns', name: 'blue' }, ['net'], opts).argv), undefined);
    const bound = planEnter(fixtureSnapshot(), { kind: 'namespace', type: 'net', inode: 4026532001 }, ['net'], opts);
    assert.deepStrictEqual(bound.argv, ['nsenter', '--net=/run/netns/blue', '--', 'ip', 'addr']);
  });
});

describe('workflows and undo bind their PIDs', () => {
  function movePlan() {
    const s = richSnapshot();
    s.containers.pop();
    s.interfaces.push(iface(HOST_NS, 8, 'vx0', []));
    return planMoveInterface(s, 'vx0', 'host', 'container:docker:web0123456789abcdef');
  }

  it('ip link set netns PID checks the PID: start time and network namespace', () => {
    const wf = movePlan();
    assert.deepStrictEqual(parseIdentityCheck(wf.steps[0].argv), {
      checks: [{ pid: 777, start: 5000, ns: { net: NS_WEB } }],
      argv: ['ip', 'link', 'set', 'dev', 'vx0', 'netns', '777'],
    });
  });

  it('a refused step is reported as refused, with the check shown by name, and nothing to roll back', async () => {
    const wf = movePlan();
    const conn = new FakeConnection(() => ({ code: IDENTITY_CHECK_EXIT, stderr: `${REFUSED}\n` }));
    const report = await executeWorkflow(conn, wf);
    assert.strictEqual(report.ok, false);
    const text = formatReport(report, 'lab');
    assert.match(text, /command: nsx-check 777 5000 net:4026532100 -- ip link set dev vx0 netns 777/);
    assert.match(text, /error: nsx: process 777 is not the one the plan was made for/);
    assert.match(text, /refused this step before running it: a process the plan names by PID has exited or restarted/);
    assert.doesNotMatch(text, /readlink/);
  });

  it('the journal keeps the start time and inodes, and Undo after a restart is refused and kept', async () => {
    const journal = new Journal(new MemoryJournalStore());
    const wf = movePlan();
    const report = await executeWorkflow(new FakeConnection(), wf);
    await journal.record('h', report.applied!);
    const [entry] = await journal.list('h');
    assert.deepStrictEqual(parseIdentityCheck(entry.undo[0].argv), {
      checks: [{ pid: 777, start: 5000, ns: { net: NS_WEB } }],
      argv: ['nsenter', '-t', '777', '-n', 'ip', 'link', 'set', 'dev', 'vx0', 'netns', '1'],
    });
    const conn = new FakeConnection(() => ({ code: IDENTITY_CHECK_EXIT, stderr: REFUSED }));
    const undo = await journal.undoLast('h', conn);
    assert.strictEqual(undo.ok, false);
    assert.strictEqual(conn.calls.length, 1);
    assert.match(undo.ran[0].message!, /^nsx: process 777 is not the one[\s\S]*a restarted container has a new network namespace[\s\S]*Nothing was run\.$/);
    assert.deepStrictEqual((await journal.list('h'))[0].undo, entry.undo, 'the step stays for a later Undo');
  });

  it('an undo step that names a PID without the check (recorded without one) is not run', async () => {
    const journal = new Journal(new MemoryJournalStore());
    const legacy = ['nsenter', '-t', '777', '-n', 'ip', 'link', 'set', 'dev', 'vx0', 'netns', '1'];
    await journal.record('h', { id: 'x', title: 'old', appliedAt: 1, undo: [{ description: 'Undo: old', argv: legacy, needsRoot: true }] });
    const conn = new FakeConnection();
    const undo = await journal.undoLast('h', conn);
    assert.strictEqual(conn.calls.length, 0);
    assert.strictEqual(undo.ok, false);
    assert.match(undo.ran[0].message!, /names PID 777 without the check/);
    assert.deepStrictEqual(uncheckedPids(legacy), [777]);
    assert.deepStrictEqual(uncheckedPids(['ip', 'netns', 'exec', 'blue', 'ip', 'link', 'set', 'dev', 'v', 'netns', '1']), [], "the host's PID 1 needs no check");
    assert.deepStrictEqual(uncheckedPids(['ip', 'netns', 'exec', '777', 'ip', 'link']), [], 'a netns named 777 is not a PID');
    assert.deepStrictEqual(uncheckedPids(['ip', 'link', 'set', 'dev', 'v', 'netns', '/run/netns/blue']), []);
    assert.deepStrictEqual(uncheckedPids(movePlan().steps[0].argv), []);
  });

  it('every argv of a connect plan that names a PID is checked, and only those (the host\'s PID 1 needs none)', () => {
    for (const [a, b] of [['netns:blue', 'container:docker:web0123456789abcdef'], ['host', 'container:docker:web0123456789abcdef']]) {
      const wf = planConnect(richSnapshot(), a, b, { subnet: '10.200.9.0/30' });
      for (const argv of [...wf.steps.flatMap((s) => [s.argv, s.inverse!]), wf.postCheck!.argv]) {
        const g = parseIdentityCheck(argv);
        const inner = g?.argv ?? argv;
        const pids = uncheckedPids(inner);
        assert.deepStrictEqual(g?.checks.map((c) => c.pid) ?? [], pids, inner.join(' '));
      }
    }
  });
});
