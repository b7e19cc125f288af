/**
 * Capture Packets against the lab, over SSH as a sudo user: pings between the lab's netns captured on one
 * veth end and read back from the local pcap with tcpdump -r, a container's end, a bad filter refused by
 * the host's tool before anything starts, no tcpdump left on the host however a capture ends, the
 * capture's own SSH connection never in its file, and a host without tcpdump told which package to
 * install. Traffic only between 10.200.0.0/16 addresses the lab assigned, and on loopback.
 */
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover } from '../../src/discovery/discover';
import { openConnection } from '../../src/host/connect';
import { HostConnection } from '../../src/host/hostConnection';
import { Snapshot } from '../../src/model/snapshot';
import { CaptureEvent, CaptureTools, checkCapture, planCapture, probeCaptureTools, RunningCapture, startCapture } from '../../src/workflows/capture';
import { WorkflowError } from '../../src/workflows/validate';
import { needTool } from '../support/needTool';
import { isLabUp, LabEnv, loadLab } from './labEnv';

const root = path.resolve(__dirname, '..', '..', '..');

function sh(argv: string[], timeout = 20_000): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout });
}

/** PIDs of tcpdump processes on this machine (the lab host), read from /proc here. */
function tcpdumps(): number[] {
  const out: number[] = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(d)) continue;
    try {
      if (fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'tcpdump') out.push(Number(d));
    } catch {
      // exited
    }
  }
  return out;
}

async function waitFor(what: string, ms: number, cond: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a capture and resolves once the host's tool is running (its "listening on" line). */
async function started(conn: HostConnection, snapshot: Snapshot, tools: CaptureTools, req: Parameters<typeof planCapture>[1], file: string) {
  const plan = planCapture(snapshot, req, tools, 'lab');
  assert.strictEqual(await checkCapture(conn, plan), undefined, 'the filter was refused');
  const lines: string[] = [];
  const events: CaptureEvent[] = [];
  const run = startCapture(conn, plan, file, { onLine: (l) => lines.push(l), onEvent: (e) => events.push(e) });
  await waitFor('tcpdump to listen', 15_000, () => lines.some((l) => /listening on/.test(l)));
  return { run, lines, events, plan };
}

/** The local pcap decoded by tcpdump -r here: one line per packet. */
function readBack(file: string, filter: string[] = []): string[] {
  return sh(['tcpdump', '-n', '-r', file, ...filter]).split('\n').filter(Boolean);
}

describe('Capture Packets (lab, over SSH as a sudo user)', function () {
  this.timeout(120_000);
  let lab: LabEnv;
  let conn: HostConnection;
  let snapshot: Snapshot;
  let tools: CaptureTools;
  let dir: string;
  const running: RunningCapture[] = [];

  const open = async () => {
    const c = await openConnection(`ssh://nsxkey@127.0.0.1:${lab.ssh.port}`, {
      identities: [lab.keys.ed25519.path],
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
    });
    await c.connect();
    return c;
  };

  before(async function () {
    if (!isLabUp()) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error('the lab is not up');
      this.skip();
    }
    needTool(this, ['tcpdump', '--version'], 'tcpdump');
    lab = loadLab();
    conn = await open();
    snapshot = await discover(conn);
    tools = await probeCaptureTools(conn);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-capture-'));
  });

  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop().catch(() => undefined);
  });

  after(() => {
    conn?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('captures pings between nsx_a and nsx_b on nsxb0; the local pcap holds exactly those requests and replies', async () => {
    assert.ok(tools.tcpdump, 'the lab host has tcpdump');
    const file = path.join(dir, 'nsxb0.pcap');
    const { run, lines } = await started(conn, snapshot, tools, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp' }, file);
    running.push(run);
    sh(['ip', 'netns', 'exec', 'nsx_a', 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.200.1.2']);
    await waitFor('the decoded replies', 10_000, () => lines.filter((l) => /ICMP echo reply/.test(l)).length >= 3);
    const r = await run.stop();
    assert.strictEqual(r.reason, 'requested');
    assert.strictEqual(r.error, undefined);
    const packets = readBack(file);
    const requests = packets.filter((l) => / IP 10\.200\.1\.1 > 10\.200\.1\.2: ICMP echo request/.test(l));
    const replies = packets.filter((l) => / IP 10\.200\.1\.2 > 10\.200\.1\.1: ICMP echo reply/.test(l));
    assert.strictEqual(requests.length, 3, packets.join('\n'));
    assert.strictEqual(replies.length, 3, packets.join('\n'));
    assert.strictEqual(packets.length, 6, `only the pings: ${packets.join('\n')}`);
    // What the terminal showed is what the file holds.
    assert.strictEqual(lines.filter((l) => /ICMP echo (request|reply)/.test(l)).length, 6, lines.join('\n'));
    assert.deepStrictEqual(tcpdumps(), [], 'a tcpdump is still running after Stop');
  });

  it("captures on a container's veth end (nsenter -n into lab-c1, its PID re-checked)", async () => {
    const file = path.join(dir, 'nsxc1.pcap');
    const { run, plan } = await started(conn, snapshot, tools, { endpoint: 'container:lab-c1', iface: 'nsxc1', filter: 'icmp' }, file);
    running.push(run);
    assert.match(plan.display, /^nsx-check [0-9]+ [0-9]+ net:[0-9]+ /, plan.display.slice(0, 80));
    sh(['ip', 'netns', 'exec', 'nsx_b', 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.200.3.2']);
    await waitFor('the packets in the file', 10_000, () => fs.statSync(file).size > 24 && readBack(file).length >= 4);
    await run.stop();
    const packets = readBack(file);
    assert.strictEqual(packets.filter((l) => / IP 10\.200\.3\.1 > 10\.200\.3\.2: ICMP echo request/.test(l)).length, 2, packets.join('\n'));
    assert.strictEqual(packets.filter((l) => / IP 10\.200\.3\.2 > 10\.200\.3\.1: ICMP echo reply/.test(l)).length, 2, packets.join('\n'));
  });

  it("refuses a bad BPF filter with the tool's own words before anything starts", async () => {
    const before = tcpdumps();
    for (const filter of ['icmp and', 'port 99999', 'tcp port ssh2x', 'host 10.200.1.2 or (']) {
      const plan = planCapture(snapshot, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter }, tools, 'lab');
      const refused = await checkCapture(conn, plan);
      assert.ok(refused, `the filter ${JSON.stringify(filter)} was accepted`);
      assert.match(refused, /tcpdump: .*(syntax error|port|unknown|illegal)/i, refused);
    }
    // A filter with shell syntax in it is only a filter: refused by tcpdump, never run by a shell.
    const canary = path.join(dir, 'canary');
    const plan = planCapture(snapshot, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: `icmp $(touch ${canary}) ; touch ${canary}` }, tools, 'lab');
    assert.ok(await checkCapture(conn, plan));
    assert.ok(!fs.existsSync(canary), 'the filter reached a shell');
    assert.deepStrictEqual(tcpdumps(), before, 'checking a filter left a tcpdump running');
    // Control characters never reach the host.
    assert.throws(() => planCapture(snapshot, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp\nor arp' }, tools, 'lab'), WorkflowError);
  });

  it('leaves no tcpdump running: after Stop, at the time, size and packet limits, and when the connection drops', async () => {
    // Stop with no traffic at all: the tool is signalled, not left waiting for a packet to write.
    const idle = await started(conn, snapshot, tools, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp' }, path.join(dir, 'idle.pcap'));
    assert.ok(tcpdumps().length > 0, 'no tcpdump while capturing');
    await idle.run.stop();
    assert.deepStrictEqual(tcpdumps(), []);

    const timed = await started(conn, snapshot, tools, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp', limits: { seconds: 2 } }, path.join(dir, 'timed.pcap'));
    const t = await timed.run.done;
    assert.strictEqual(t.reason, 'seconds');
    assert.deepStrictEqual(tcpdumps(), []);

    const sized = await started(conn, snapshot, tools, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp', limits: { bytes: 400 } }, path.join(dir, 'sized.pcap'));
    sh(['ip', 'netns', 'exec', 'nsx_a', 'ping', '-c', '5', '-i', '0.2', '-W', '2', '10.200.1.2']);
    const z = await sized.run.done;
    assert.strictEqual(z.reason, 'bytes');
    assert.strictEqual(fs.statSync(z.file).size, 400);
    assert.deepStrictEqual(tcpdumps(), []);

    // At the packet limit the tool itself ends (tcpdump -c), with its counts.
    const counted = await started(conn, snapshot, tools, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp', limits: { packets: 2 } }, path.join(dir, 'counted.pcap'));
    sh(['ip', 'netns', 'exec', 'nsx_a', 'ping', '-c', '3', '-i', '0.2', '-W', '2', '10.200.1.2']);
    const k = await counted.run.done;
    assert.strictEqual(k.reason, 'ended');
    assert.strictEqual(k.toolExit, 0);
    assert.strictEqual(readBack(k.file).length, 2);
    assert.ok(counted.lines.some((l) => /^2 packets captured/.test(l)), counted.lines.join('\n'));
    assert.deepStrictEqual(tcpdumps(), []);

    // The connection drops mid-capture: the orphan guard ends the tool on the host.
    const other = await open();
    const snap2 = await discover(other);
    const dropped = await started(other, snap2, tools, { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp' }, path.join(dir, 'dropped.pcap'));
    other.dispose();
    await dropped.run.done;
    await waitFor('tcpdump to end after the session died', 10_000, () => tcpdumps().length === 0);
  });

  it("never captures its own SSH connection, even on the host's loopback where sshd listens", async () => {
    const file = path.join(dir, 'lo.pcap');
    const mine = (await conn.exec(['sh', '-c', 'echo $SSH_CONNECTION'])).stdout.trim().split(' ');
    assert.strictEqual(mine.length, 4, `SSH_CONNECTION: ${mine.join(' ')}`);
    const { run, events, lines } = await started(conn, snapshot, tools, { endpoint: 'host', iface: 'lo', filter: `tcp port ${lab.ssh.port}` }, file);
    running.push(run);
    assert.ok(events.some((e) => e.kind === 'filter' && e.filter.includes(`src port ${mine[1]}`)), JSON.stringify(events));
    // Traffic on the capture's own connection, and on a second one that the capture must see.
    const second = await open();
    try {
      for (let i = 0; i < 5; i++) {
        await conn.exec(['true']);
        await second.exec(['true']);
      }
    } finally {
      second.dispose();
    }
    await new Promise((r) => setTimeout(r, 500));
    const r = await run.stop();
    const packets = readBack(file);
    assert.ok(packets.length > 10, `the second connection was not captured: ${packets.length} packets, ${JSON.stringify(r)}: ${lines.join('\n')}`);
    const own = packets.filter((l) => l.includes(`.${mine[1]} `) || l.includes(`.${mine[1]}:`));
    assert.deepStrictEqual(own, [], 'packets of the capture\'s own SSH connection are in the file');
  });

  it('captures and stops as a user whose sudo asks a password (the password on stdin, never seen by the tool)', async () => {
    const secret = lab.users.nsxpass.password!;
    const c = await openConnection(`ssh://nsxpass@127.0.0.1:${lab.ssh.port}`, {
      password: secret,
      sudoPassword: secret,
      identities: [],
      agentSocket: '',
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
    });
    try {
      assert.strictEqual((await c.connect()).privilege, 'sudo');
      const snap = await discover(c);
      const file = path.join(dir, 'sudo-password.pcap');
      const { run, lines } = await started(c, snap, await probeCaptureTools(c), { endpoint: 'netns:nsx_b', iface: 'nsxb0', filter: 'icmp' }, file);
      sh(['ip', 'netns', 'exec', 'nsx_a', 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.200.1.2']);
      await waitFor('the decoded replies', 10_000, () => lines.filter((l) => /ICMP echo reply/.test(l)).length >= 2);
      const r = await run.stop();
      assert.strictEqual(r.reason, 'requested');
      assert.strictEqual(readBack(file).length, 4);
      assert.ok(!lines.some((l) => l.includes(secret)), 'the sudo password reached the capture\'s output');
      assert.deepStrictEqual(tcpdumps(), []);
    } finally {
      c.dispose();
    }
  });

  it('tells a host without tcpdump which package to install, and starts nothing', function () {
    needTool(this, ['unshare', '--version'], 'util-linux');
    // This machine, in a mount namespace of its own where tcpdump (and dumpcap) are hidden: the real
    // detection and planning, in a child process, through the same LocalConnection "This machine" uses.
    const script = `
      const { LocalConnection } = require(${JSON.stringify(path.join(root, 'out/src/host/localConnection'))});
      const { discover } = require(${JSON.stringify(path.join(root, 'out/src/discovery/discover'))});
      const c = require(${JSON.stringify(path.join(root, 'out/src/workflows/capture'))});
      (async () => {
        const conn = new LocalConnection(); await conn.connect();
        const snap = await discover(conn);
        const tools = await c.probeCaptureTools(conn);
        try { c.planCapture(snap, { endpoint: 'netns:nsx_b', iface: 'nsxb0' }, tools, 'This machine'); console.log('PLANNED'); }
        catch (e) { console.log(e.code + ': ' + e.message); }
        conn.dispose();
      })().catch((e) => { console.log('ERR ' + e.message); process.exit(1); });`;
    const hide = ['tcpdump', 'dumpcap']
      .flatMap((t) => ['/usr/bin', '/usr/sbin', '/bin', '/sbin', '/usr/local/bin', '/usr/local/sbin'].map((d) => `${d}/${t}`))
      .map((p) => `[ -e ${p} ] && mount --bind /dev/null ${p}`)
      .join('; ');
    const r = spawnSync('unshare', ['-m', 'sh', '-c', `mount --make-rprivate / && { ${hide}; true; } && exec "$0" -e "$1"`, process.execPath, script], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.strictEqual(r.status, 0, r.stderr);
    assert.match(r.stdout, /^missing-tool: This machine has neither tcpdump nor dumpcap/m, r.stdout);
    assert.match(r.stdout, /Install the package tcpdump there \(sudo apt-get install tcpdump\)/, r.stdout);
    assert.match(r.stdout, /Nothing was started/, r.stdout);
    // Outside that namespace the host's tcpdump is untouched.
    assert.ok(sh(['tcpdump', '--version']).length > 0);
  });
});
