import * as assert from 'assert';
import { displayCommand } from '../../../src/host/commandLine';
import { executeWorkflow, undoStepsOf } from '../../../src/workflows/execute';
import { LESSON_EXAMPLE_SUBNET, planLesson } from '../../../src/workflows/plan';
import { WorkflowError } from '../../../src/workflows/validate';
import { FakeConnection, fixtureSnapshot, HOST_NS, iface } from './fakes';

describe("the walkthrough's lesson: two namespaces and a cable", () => {
  it("runs the lesson's commands with its names, the addresses from the configured range", () => {
    const plan = planLesson(fixtureSnapshot(), { range: '10.200.0.0/16' });
    assert.deepStrictEqual(plan.steps.map((s) => displayCommand(s.argv)), [
      'ip netns add net_test1',
      'ip netns add net_test2',
      'ip link add name veth0 type veth peer name veth1',
      'ip link set dev veth0 netns /run/netns/net_test1',
      'ip link set dev veth1 netns /run/netns/net_test2',
      // 10.200.0.0/24 holds the host's eth0 (10.200.0.5/24) and 10.200.1.0/24 red's veth-blue: the first free /24.
      'ip netns exec net_test1 ip addr add 10.200.2.1/24 dev veth0',
      'ip netns exec net_test2 ip addr add 10.200.2.2/24 dev veth1',
      'ip netns exec net_test1 ip link set dev veth0 up',
      'ip netns exec net_test2 ip link set dev veth1 up',
    ]);
    assert.strictEqual(plan.subnet, '10.200.2.0/24');
    assert.strictEqual(plan.pingTarget, '10.200.2.2');
    assert.ok(plan.notes?.some((n) => n.includes(LESSON_EXAMPLE_SUBNET) && n.includes('10.200.2.0/24')));
    assert.strictEqual(plan.focus.length, plan.steps.length);
    assert.deepStrictEqual(plan.focus[3], { netns: 'net_test1', iface: 'veth0' });
    // Undo takes every step back in reverse, the namespaces last.
    assert.deepStrictEqual(undoStepsOf(plan.steps).map((u) => displayCommand(u.argv)).slice(-3), [
      'ip link del dev veth0',
      'ip netns del net_test2',
      'ip netns del net_test1',
    ]);
    assert.strictEqual(planLesson(fixtureSnapshot(), { range: 'fd00:200::/48' }).subnet, 'fd00:200::/64');
  });

  it('refuses to run over what exists: a namespace or host interface of those names, a full range', () => {
    const taken = fixtureSnapshot();
    taken.netns.push({ name: 'net_test2', path: '/run/netns/net_test2', inode: 4026532999 });
    assert.throws(() => planLesson(taken), (e: unknown) => e instanceof WorkflowError && e.code === 'netns-exists');
    const veth = fixtureSnapshot();
    veth.interfaces.push(iface(HOST_NS, 9, 'veth1'));
    assert.throws(() => planLesson(veth), (e: unknown) => e instanceof WorkflowError && e.code === 'interface-name-taken');
    assert.throws(() => planLesson(fixtureSnapshot(), { range: '10.200.0.0/24' }), (e: unknown) => e instanceof WorkflowError && e.code === 'no-free-subnet');
    assert.throws(() => planLesson(fixtureSnapshot(), { range: 'nonsense' }), WorkflowError);
  });

  it('step by step: each step waits for its confirmation, and stopping rolls back what ran', async () => {
    const plan = planLesson(fixtureSnapshot());
    const conn = new FakeConnection();
    const seen: number[] = [];
    const report = await executeWorkflow(conn, plan, {
      confirmStep: async (i) => {
        seen.push(conn.calls.length);
        return i < 4;
      },
      afterStep: async (i) => {
        assert.strictEqual(conn.calls.length, i + 1, 'afterStep runs right after its own step');
      },
    });
    // Before step i exactly i commands had run: nothing runs ahead of its confirmation.
    assert.deepStrictEqual(seen, [0, 1, 2, 3, 4]);
    assert.strictEqual(report.ok, false);
    assert.strictEqual(report.completed, 4);
    assert.match(report.failed!.message, /Stopped before this step ran/);
    assert.deepStrictEqual(report.rolledBack.map((r) => displayCommand(r.argv)), [
      'ip netns exec net_test1 ip link set dev veth0 netns 1',
      'ip link del dev veth0',
      'ip netns del net_test2',
      'ip netns del net_test1',
    ]);
  });
});
