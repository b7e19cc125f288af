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
import { IDENTITY_CHECK_NOTE, parseIdentityCheck, withIdentityCheck } from '../../../src/host/commandLine';
import { parseEndpoint, resolveEndpoint } from '../../../src/workflows/endpoint';
import { WorkflowError } from '../../../src/workflows/validate';
import { fixtureSnapshot, HOST_NS, iface, NS_BLUE, NS_WEB } from './fakes';

/** The command an identity check guards, and what it checks (none for an unguarded argv). */
function unguard(argv: string[]): { argv: string[]; checks: unknown[] } {
  return parseIdentityCheck(argv) ?? { argv, checks: [] };
}
const WEB = { pid: 777, ns: { net: NS_WEB } };

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
    assert.strictEqual(resolveEndpoint(parseEndpoint('container:web0123456789abcdef'), snap).label, 'container:web');
    // Prefixes are of hex ids only (see resolveContainer); this fixture's id is not hex.
    rejects(() => resolveEndpoint(parseEndpoint('container:web0123'), snap), 'unknown-endpoint', /No container "web0123"/);
  });
  it('resolves containers by engine:id and carries the init start time for the identity check', () => {
    const snap2 = fixtureSnapshot();
    snap2.processes = snap2.processes.map((p) => (p.pid === 777 ? { ...p, start: 123456 } : p));
    const web = resolveEndpoint(parseEndpoint('container:docker:web0123456789abcdef'), snap2);
    assert.ok(web.kind === 'container');
    assert.strictEqual(web.ref, 'docker:web0123456789abcdef');
    assert.strictEqual(web.start, 123456);
    assert.deepStrictEqual(unguard(planSetLink(snap2, 'container:docker:web0123456789abcdef', 'eth0', 'up').steps[0].argv).checks, [
      { pid: 777, start: 123456, ns: { net: NS_WEB } },
    ]);
    // The same name on another engine: the name is ambiguous, engine:id is not, and labels tell them apart.
    const twin = { ...snap2.containers[0], engine: 'podman' as const, id: 'f00dfeed0000', pid: 4242, ns: { net: 4026532002 } };
    const both = { ...snap2, containers: [...snap2.containers, twin] };
    rejects(() => resolveEndpoint(parseEndpoint('container:web'), both), 'unknown-endpoint', /matches 2 containers: docker web012345678 "web", podman f00dfeed0000 "web"/);
    assert.strictEqual(resolveEndpoint(parseEndpoint('container:podman:f00dfeed0000'), both).label, 'container:web (podman:f00dfeed0000)');
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
    // Back to the host by PID 1, which no other process can take while the host runs: no check.
    assert.deepStrictEqual(plan.steps[1].inverse, ['ip', 'netns', 'exec', 'blue', 'ip', 'link', 'set', 'dev', 'veth-red', 'netns', '1']);
    assert.deepStrictEqual(plan.steps[0].inverse, ['ip', 'link', 'del', 'dev', 'veth-red']);
    assert.ok(plan.steps.every((s) => s.needsRoot && s.inverse));
    assert.deepStrictEqual(plan.postCheck?.argv, ['ip', 'netns', 'exec', 'blue', 'ping', '-c', '3', '-W', '2', '10.200.2.2']);
  });

  it('leaves the host end in place and reaches containers through nsenter and their PID', () => {
    const plan = planConnect(fixtureSnapshot(), 'host', 'container:web', { subnet: '10.200.9.0/30' });
    const cmds = plan.steps.map((s) => unguard(s.argv));
    assert.deepStrictEqual(cmds.map((c) => c.argv[0] + ' ' + c.argv.slice(1, 5).join(' ')), [
      'ip link add name veth-web',
      'ip link set dev veth-host',
      'ip addr add 10.200.9.1/30 dev',
      'nsenter -t 777 -n ip',
      'ip link set dev veth-web',
      'nsenter -t 777 -n ip',
    ]);
    // Every step that names PID 777 first checks it is still web's init, in web's network namespace.
    assert.deepStrictEqual(cmds.map((c) => c.checks), [[], [WEB], [], [WEB], [], [WEB]]);
    assert.deepStrictEqual(cmds[1].argv.slice(-2), ['netns', '777']);
    // Its undo runs in web's namespace (checked) and sends it back to the host's PID 1.
    assert.deepStrictEqual(unguard(plan.steps[1].inverse!), { checks: [WEB], argv: ['nsenter', '-t', '777', '-n', 'ip', 'link', 'set', 'dev', 'veth-host', 'netns', '1'] });
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
    assert.deepStrictEqual(
      planSetLink(snap, 'container:web', 'eth0', 'down').steps[0].argv,
      withIdentityCheck([WEB], ['nsenter', '-t', '777', '-n', 'ip', 'link', 'set', 'dev', 'eth0', 'down']),
    );
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
    assert.ok(!text.includes('nsx-check'), 'no note where nothing is checked');
    // The identity check is shown by name and arguments before the command it guards, and explained.
    const web = renderPreview(planSetLink(fixtureSnapshot(), 'container:web', 'eth0', 'up'));
    assert.match(web, /^ {5}# nsx-check 777 - net:4026532100 -- nsenter -t 777 -n ip link set dev eth0 up$/m);
    assert.match(web, /undo: nsx-check 777 - net:4026532100 -- nsenter -t 777 -n ip link set dev eth0 down$/m);
    assert.ok(web.includes(`(${IDENTITY_CHECK_NOTE})`));
    assert.doesNotMatch(web, /readlink/, 'the check script itself is not in the preview');
    const ping = renderPreview(planConnect(fixtureSnapshot(), 'host', 'netns:blue'));
    assert.match(ping, /^ {5}\$ ping -c 3 -W 2 10\.200\.2\.2$/m);
  });
});
