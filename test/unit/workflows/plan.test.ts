import * as assert from 'assert';
import {
  planAssignAddress,
  planConnect,
  planCreateNetns,
  planCreateVethPair,
  planDeleteNetns,
  planMoveInterface,
  planPing,
  planSetLink,
  proposeInterfaceName,
  renderPreview,
} from '../../../src/workflows/plan';
import { parseEndpoint, resolveEndpoint } from '../../../src/workflows/endpoint';
import { WorkflowError } from '../../../src/workflows/validate';
import { fixtureSnapshot, HOST_NS, iface, NS_BLUE } from './fakes';

function rejects(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WorkflowError, String(err));
    assert.strictEqual(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('endpoints', () => {
  const snap = fixtureSnapshot();
  it('parses and resolves host, netns and a running container', () => {
    assert.deepStrictEqual(resolveEndpoint(parseEndpoint('host'), snap), { kind: 'host', label: 'host', nsInode: HOST_NS });
    assert.deepStrictEqual(resolveEndpoint(parseEndpoint('netns:blue'), snap), {
      kind: 'netns', label: 'netns:blue', nsInode: NS_BLUE, name: 'blue', path: '/run/netns/blue',
    });
    const web = resolveEndpoint(parseEndpoint('container:web'), snap);
    assert.strictEqual(web.kind === 'container' && web.pid, 777);
    assert.strictEqual(resolveEndpoint(parseEndpoint('container:web0123'), snap).label, 'container:web');
  });
  it('refuses unknown kinds, unknown names and stopped containers', () => {
    rejects(() => parseEndpoint('vm:x'), 'bad-endpoint');
    rejects(() => parseEndpoint('netns:../x'), 'bad-netns-name');
    rejects(() => parseEndpoint('container:$(id)'), 'bad-endpoint');
    rejects(() => resolveEndpoint(parseEndpoint('netns:green'), snap), 'unknown-endpoint');
    rejects(() => resolveEndpoint(parseEndpoint('container:old'), snap), 'container-not-running', /exited; start it/);
  });
});

describe('connect planner', () => {
  it('connects two netns with unique names, the first free /24, and a ping post-check', () => {
    const plan = planConnect(fixtureSnapshot(), 'netns:blue', 'netns:red');
    // red already has veth-blue, so its end gets a number.
    assert.deepStrictEqual(plan.names, { a: 'veth-red', b: 'veth-blue1' });
    assert.strictEqual(plan.subnet, '10.200.2.0/24');
    assert.deepStrictEqual(plan.addresses, { a: '10.200.2.1/24', b: '10.200.2.2/24' });
    assert.deepStrictEqual(
      plan.steps.map((s) => s.argv),
      [
        ['ip', 'link', 'add', 'name', 'veth-red', 'type', 'veth', 'peer', 'name', 'veth-blue1'],
        ['ip', 'link', 'set', 'dev', 'veth-red', 'netns', '/run/netns/blue'],
        ['ip', 'link', 'set', 'dev', 'veth-blue1', 'netns', '/run/netns/red'],
        ['ip', 'netns', 'exec', 'blue', 'ip', 'addr', 'add', '10.200.2.1/24', 'dev', 'veth-red'],
        ['ip', 'netns', 'exec', 'red', 'ip', 'addr', 'add', '10.200.2.2/24', 'dev', 'veth-blue1'],
        ['ip', 'netns', 'exec', 'blue', 'ip', 'link', 'set', 'dev', 'veth-red', 'up'],
        ['ip', 'netns', 'exec', 'red', 'ip', 'link', 'set', 'dev', 'veth-blue1', 'up'],
      ],
    );
    assert.deepStrictEqual(plan.steps[1].inverse, ['ip', 'netns', 'exec', 'blue', 'ip', 'link', 'set', 'dev', 'veth-red', 'netns', '1']);
    assert.deepStrictEqual(plan.steps[0].inverse, ['ip', 'link', 'del', 'dev', 'veth-red']);
    assert.ok(plan.steps.every((s) => s.needsRoot && s.inverse));
    assert.deepStrictEqual(plan.postCheck?.argv, ['ip', 'netns', 'exec', 'blue', 'ping', '-c', '3', '-W', '2', '10.200.2.2']);
  });

  it('leaves the host end in place and reaches containers through nsenter and their PID', () => {
    const plan = planConnect(fixtureSnapshot(), 'host', 'container:web', { subnet: '10.200.9.0/30' });
    assert.deepStrictEqual(plan.steps.map((s) => s.argv[0] + ' ' + s.argv.slice(1, 5).join(' ')), [
      'ip link add name veth-web',
      'ip link set dev veth-host',
      'ip addr add 10.200.9.1/30 dev',
      'nsenter -t 777 -n ip',
      'ip link set dev veth-web',
      'nsenter -t 777 -n ip',
    ]);
    assert.deepStrictEqual(plan.steps[1].argv.slice(-2), ['netns', '777']);
    assert.deepStrictEqual(plan.postCheck?.argv, ['ping', '-c', '3', '-W', '2', '10.200.9.2']);
    assert.strictEqual(plan.postCheck?.needsRoot, false);
  });

  it('uses busybox ping when iputils is missing, and skips the check when neither exists', () => {
    const bb = planConnect(fixtureSnapshot(), 'netns:blue', 'host', { capabilities: { ping: false, busybox: true } });
    assert.deepStrictEqual(bb.postCheck?.argv.slice(0, 6), ['ip', 'netns', 'exec', 'blue', 'busybox', 'ping']);
    const none = planConnect(fixtureSnapshot(), 'netns:blue', 'host', { capabilities: { ping: false, busybox: false } });
    assert.strictEqual(none.postCheck, undefined);
    assert.match(renderPreview(none), /no ping/);
  });

  it('adds IPv6 addresses without duplicate address detection', () => {
    const plan = planConnect(fixtureSnapshot(), 'netns:blue', 'host', { subnet: 'fd00:200:7::/64' });
    assert.deepStrictEqual(plan.steps[2].argv.slice(-4), ['fd00:200:7::1/64', 'nodad', 'dev', plan.names.a]);
    assert.deepStrictEqual(plan.steps[2].inverse?.slice(-3), ['fd00:200:7::1/64', 'dev', plan.names.a]);
  });

  it('refuses the same namespace twice, taken or invalid names, overlapping subnets and a missing ip', () => {
    const snap = fixtureSnapshot();
    rejects(() => planConnect(snap, 'netns:blue', 'netns:blue'), 'same-namespace');
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { names: { a: 'x', b: 'veth-blue' } }), 'interface-name-taken', /in netns:red/);
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { names: { a: 'eth0', b: 'y' } }), 'interface-name-taken', /in host/);
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { names: { a: 'same', b: 'same' } }), 'interface-name-taken');
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { names: { a: 'x:1', b: 'y' } }), 'bad-interface-name');
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { subnet: '10.200.1.0/24' }), 'address-overlap', /veth-blue in netns:red/);
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { subnet: '10.0.0.0/8' }), 'address-overlap');
    rejects(() => planConnect(snap, 'netns:blue', 'netns:red', { capabilities: { ip: false } }), 'missing-tool');
    rejects(() => planConnect(snap, 'host', 'container:web', { capabilities: { nsenter: false } }), 'missing-tool');
    rejects(() => planConnect(snap, 'netns:blue', 'container:old'), 'container-not-running');
    // ip would open /run/netns/777 instead of moving to PID 777.
    const shadow = fixtureSnapshot({ netns: [...snap.netns, { name: '777', path: '/run/netns/777', inode: 99 }] });
    rejects(() => planConnect(shadow, 'netns:blue', 'container:web'), 'bad-endpoint', /named "777"/);
  });

  it('proposes names of at most 15 bytes that avoid every taken one', () => {
    const taken = new Set(['veth-averylongt', 'veth-averylong1']);
    assert.strictEqual(proposeInterfaceName('averylongtag', taken), 'veth-averylong2');
    assert.ok(proposeInterfaceName('x'.repeat(40), new Set()).length <= 15);
  });
});

describe('other planners', () => {
  const snap = fixtureSnapshot();

  it('creates a netns with lo up, and refuses an existing name', () => {
    const wf = planCreateNetns(snap, 'green');
    assert.deepStrictEqual(wf.steps.map((s) => [s.argv, s.inverse]), [
      [['ip', 'netns', 'add', 'green'], ['ip', 'netns', 'del', 'green']],
      [['ip', 'netns', 'exec', 'green', 'ip', 'link', 'set', 'dev', 'lo', 'up'], ['ip', 'netns', 'exec', 'green', 'ip', 'link', 'set', 'dev', 'lo', 'down']],
    ]);
    rejects(() => planCreateNetns(snap, 'blue'), 'netns-exists');
    rejects(() => planCreateNetns(snap, 'a b'), 'bad-netns-name');
  });

  it('refuses to delete a netns with processes unless forced, and says what is inside', () => {
    rejects(() => planDeleteNetns(snap, 'red'), 'netns-busy', /veth-blue[\s\S]*4242 \(dnsmasq\)/);
    const forced = planDeleteNetns(snap, 'red', { force: true });
    assert.deepStrictEqual(forced.steps.map((s) => s.argv), [['ip', 'netns', 'del', 'red']]);
    assert.strictEqual(forced.steps[0].inverse, undefined);
    assert.match(renderPreview(forced), /cannot be undone/);
    assert.deepStrictEqual(planDeleteNetns(snap, 'blue').steps[0].argv, ['ip', 'netns', 'del', 'blue']);
    rejects(() => planDeleteNetns(snap, 'green'), 'unknown-endpoint');
  });

  it('creates a veth pair only with names free on the host and at each end', () => {
    const wf = planCreateVethPair(snap, { name: 'v-a', endpoint: 'netns:blue' }, { name: 'v-b', endpoint: 'host' });
    assert.deepStrictEqual(wf.steps.map((s) => s.argv), [
      ['ip', 'link', 'add', 'name', 'v-a', 'type', 'veth', 'peer', 'name', 'v-b'],
      ['ip', 'link', 'set', 'dev', 'v-a', 'netns', '/run/netns/blue'],
    ]);
    rejects(() => planCreateVethPair(snap, { name: 'veth-blue', endpoint: 'netns:red' }, { name: 'b', endpoint: 'host' }), 'interface-name-taken');
  });

  it('moves, addresses and toggles existing interfaces only', () => {
    assert.deepStrictEqual(planMoveInterface(snap, 'veth-blue', 'netns:red', 'netns:blue').steps[0].argv, [
      'ip', 'netns', 'exec', 'red', 'ip', 'link', 'set', 'dev', 'veth-blue', 'netns', '/run/netns/blue',
    ]);
    rejects(() => planMoveInterface(snap, 'nope', 'netns:red', 'netns:blue'), 'interface-missing');
    rejects(() => planMoveInterface(snap, 'lo', 'netns:red', 'netns:blue'), 'bad-interface-name');
    rejects(() => planMoveInterface(snap, 'eth0', 'host', 'container:web'), 'interface-name-taken');
    assert.deepStrictEqual(planAssignAddress(snap, 'netns:red', 'veth-blue', '10.200.77.1/24').steps[0].inverse, [
      'ip', 'netns', 'exec', 'red', 'ip', 'addr', 'del', '10.200.77.1/24', 'dev', 'veth-blue',
    ]);
    rejects(() => planAssignAddress(snap, 'netns:red', 'veth-blue', '192.168.1.77/24'), 'address-overlap', /eth0 in host/);
    rejects(() => planAssignAddress(snap, 'netns:red', 'veth-blue', '10.200.77.1'), 'bad-cidr');
    assert.deepStrictEqual(planSetLink(snap, 'container:web', 'eth0', 'down').steps[0].argv, ['nsenter', '-t', '777', '-n', 'ip', 'link', 'set', 'dev', 'eth0', 'down']);
  });

  it('bounds ping and refuses nonsense counts and addresses', () => {
    const p = planPing(snap, 'netns:blue', '10.200.2.2', { count: 2, timeoutSec: 1 });
    assert.deepStrictEqual(p.argv, ['ip', 'netns', 'exec', 'blue', 'ping', '-c', '2', '-W', '1', '10.200.2.2']);
    assert.ok(p.timeoutMs <= 10_000);
    rejects(() => planPing(snap, 'host', '10.200.2.2', { count: 0 }), 'bad-option');
    rejects(() => planPing(snap, 'host', '10.200.2.2', { count: 1000 }), 'bad-option');
    rejects(() => planPing(snap, 'host', '10.200.2.2', { timeoutSec: 60 }), 'bad-option');
    rejects(() => planPing(snap, 'host', '-f'), 'bad-address');
    rejects(() => planPing(snap, 'host', '10.0.0.1', { capabilities: { ping: false, busybox: false } }), 'missing-tool');
  });
});

describe('preview', () => {
  it('shows the exact quoted command lines with a root marker', () => {
    const snap = fixtureSnapshot({ interfaces: [...fixtureSnapshot().interfaces, iface(NS_BLUE, 9, 'x', [])] });
    const wf = planCreateVethPair(snap, { name: 'vé$x', endpoint: 'netns:blue' }, { name: 'b', endpoint: 'host' });
    const text = renderPreview(wf);
    assert.match(text, /^ {5}# ip link add name 'vé\$x' type veth peer name b$/m);
    assert.match(text, /undo: ip netns exec blue ip link set dev 'vé\$x' netns 1$/m);
    const ping = renderPreview(planConnect(fixtureSnapshot(), 'host', 'netns:blue'));
    assert.match(ping, /^ {5}\$ ping -c 3 -W 2 10\.200\.2\.2$/m);
  });
});
