import * as assert from 'assert';
import { captureCheckArgv, captureRunArgv, parseIdentityCheck } from '../../../src/host/commandLine';
import {
  CaptureEvent,
  CaptureStderrParser,
  installHint,
  missingToolMessage,
  parseCaptureTools,
  planCapture,
  validateFilterText,
} from '../../../src/workflows/capture';
import { WorkflowError } from '../../../src/workflows/validate';
import { fixtureSnapshot } from './fakes';

const ALL = parseCaptureTools('tool tcpdump\ntool timeout\ntool tee\nID=debian\n');

/** The capture script's positional arguments (after `sh -c SCRIPT nsx-capture`), identity check removed. */
function scriptArgs(argv: string[]): string[] {
  const inner = parseIdentityCheck(argv)?.argv ?? argv;
  assert.strictEqual(inner[0], 'sh');
  assert.strictEqual(inner[3], 'nsx-capture');
  return inner.slice(4);
}

describe('packet capture planning', () => {
  it('reads the tools and the distribution the host reports', () => {
    const t = parseCaptureTools('tool dumpcap\ntool tee\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n');
    assert.deepStrictEqual([t.tcpdump, t.dumpcap, t.tshark, t.timeout, t.tee], [false, true, false, false, true]);
    assert.deepStrictEqual(t.distro, ['opensuse-leap', 'suse', 'opensuse']);
    assert.strictEqual(installHint(t.distro), 'sudo zypper install tcpdump');
    assert.strictEqual(installHint(['ubuntu', 'debian']), 'sudo apt-get install tcpdump');
    assert.strictEqual(installHint(['rocky', 'rhel', 'centos', 'fedora']), 'sudo dnf install tcpdump');
    assert.strictEqual(installHint(['alpine']), 'sudo apk add tcpdump');
    assert.match(installHint([]), /tcpdump package/);
  });

  it('refuses a host without tcpdump or dumpcap with the package to install, and prefers tcpdump', () => {
    const none = parseCaptureTools('tool tee\nID=alpine\n');
    assert.throws(
      () => planCapture(fixtureSnapshot(), { endpoint: 'netns:red', iface: 'veth-blue' }, none, 'lab'),
      (e: unknown) => e instanceof WorkflowError && e.code === 'missing-tool' && e.message === missingToolMessage('lab', none) && /apk add tcpdump/.test(e.message),
    );
    assert.strictEqual(planCapture(fixtureSnapshot(), { endpoint: 'netns:red', iface: 'any' }, parseCaptureTools('tool dumpcap\ntool tee\n'), 'lab').tool, 'dumpcap');
    assert.strictEqual(planCapture(fixtureSnapshot(), { endpoint: 'netns:red', iface: 'any' }, parseCaptureTools('tool dumpcap\ntool tcpdump\ntool tee\n'), 'lab').tool, 'tcpdump');
  });

  it('passes the filter as one argument, exactly as typed, and refuses control characters', () => {
    const filter = `icmp and host 10.200.1.2 or 'x' "y" $(touch /tmp/x) ; \`id\` \\ *`;
    const plan = planCapture(fixtureSnapshot(), { endpoint: 'netns:red', iface: 'veth-blue', filter }, ALL, 'lab');
    const args = scriptArgs(captureRunArgv(plan.spec));
    assert.deepStrictEqual(args.slice(0, 8), ['run', 'tcpdump', 'tcpdump', 'veth-blue', '10000', '300', '262144', filter]);
    assert.deepStrictEqual(args.slice(8), ['--', 'ip', 'netns', 'exec', 'red']);
    for (const bad of ['icmp\nor arp', 'icmp\u0000', 'a\u001b[31m', 'x\u0085']) {
      assert.throws(() => validateFilterText(bad), WorkflowError, JSON.stringify(bad));
    }
    assert.throws(() => validateFilterText('x'.repeat(3000)), WorkflowError);
  });

  it("checks a container's init by PID, start time and net inode before entering it", () => {
    const snap = fixtureSnapshot();
    snap.processes.find((p) => p.pid === 777)!.start = 123456;
    const plan = planCapture(snap, { endpoint: 'container:web', iface: 'eth0' }, ALL, 'lab');
    for (const argv of [captureRunArgv(plan.spec), captureCheckArgv(plan.spec)]) {
      const guarded = parseIdentityCheck(argv);
      assert.ok(guarded, 'no identity check');
      assert.deepStrictEqual(guarded.checks, [{ pid: 777, start: 123456, ns: { net: 4026532100 } }]);
      assert.deepStrictEqual(scriptArgs(argv).slice(8), ['--', 'nsenter', '-t', '777', '-n', '--']);
    }
    assert.match(plan.display, /^nsx-check 777 123456 net:4026532100 /);
    assert.strictEqual(plan.label, 'eth0 in container:web');
  });

  it('refuses an interface that is not in the namespace, a stopped container and limits out of range', () => {
    const snap = fixtureSnapshot();
    assert.throws(() => planCapture(snap, { endpoint: 'netns:red', iface: 'eth0' }, ALL, 'lab'), /no interface named "eth0" in netns:red/);
    assert.throws(() => planCapture(snap, { endpoint: 'netns:red', iface: 'a b' }, ALL, 'lab'), WorkflowError);
    assert.throws(() => planCapture(snap, { endpoint: 'container:old', iface: 'any' }, ALL, 'lab'), /exited; start it first/);
    for (const limits of [{ packets: 0 }, { seconds: 1.5 }, { bytes: -1 }, { seconds: 1e9 }]) {
      assert.throws(() => planCapture(snap, { endpoint: 'host', iface: 'any', limits }, ALL, 'lab'), WorkflowError, JSON.stringify(limits));
    }
  });
});

describe('the capture stderr stream', () => {
  const stream = Buffer.from(
    'nsx-capture-filter (icmp) and not (tcp and ((src host 127.0.0.1 and src port 5 and dst host 127.0.0.1 and dst port 22)))\n' +
      'nsx-capture-pid 4242 998877\n' +
      'tcpdump: listening on veth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n' +
      '01:02:03.000001 IP 10.200.1.1 > 10.200.1.2: ICMP echo request, id 1, seq 1, length 64\n' +
      'nsx-capture-pid 1 2 from a packet is only a line once the tool runs\n' +
      'nsx-capture-pid 77 88\n' +
      'größe ✓ \u001b[31m\n' +
      '1 packet captured\n' +
      'nsx-capture-exit 0\n' +
      'tail without newline',
  );
  const parse = (chunks: Buffer[]): CaptureEvent[] => {
    const events: CaptureEvent[] = [];
    const p = new CaptureStderrParser((e) => events.push(e));
    chunks.forEach((c) => p.push(c));
    p.end();
    return events;
  };

  it('reads each marker once and hands every other line over whole, however the stream is cut', () => {
    const whole = parse([stream]);
    assert.deepStrictEqual(whole.slice(0, 2), [
      { kind: 'filter', filter: '(icmp) and not (tcp and ((src host 127.0.0.1 and src port 5 and dst host 127.0.0.1 and dst port 22)))' },
      { kind: 'started', pid: 4242, start: 998877 },
    ]);
    assert.deepStrictEqual(whole.filter((e) => e.kind === 'exit'), [{ kind: 'exit', code: 0 }]);
    const lines = whole.flatMap((e) => (e.kind === 'line' ? [e.text] : []));
    assert.deepStrictEqual(lines, [
      'tcpdump: listening on veth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes',
      '01:02:03.000001 IP 10.200.1.1 > 10.200.1.2: ICMP echo request, id 1, seq 1, length 64',
      'nsx-capture-pid 1 2 from a packet is only a line once the tool runs',
      'nsx-capture-pid 77 88',
      'größe ✓ \u001b[31m',
      '1 packet captured',
      'tail without newline',
    ]);
    for (const size of [1, 2, 3, 7, 64]) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < stream.length; i += size) chunks.push(stream.subarray(i, i + size));
      assert.deepStrictEqual(parse(chunks), whole, `chunks of ${size}`);
    }
  });
});
