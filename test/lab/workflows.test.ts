/**
 * netns and veth workflows against real namespaces on this machine, through LocalConnection and a real
 * discover() snapshot. Needs root. Uses only netns named nsxwf_* and host links named nsxwf-*, and only
 * addresses in 10.200.50.0/24 .. 10.200.60.0/24, all inside namespaces the test creates; pings are
 * bounded (-c/-W) and only target those addresses.
 */

import * as assert from 'assert';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connect, netnsAdd, netnsDel, ping, probeCapabilities } from '../../src/cli/netnsCommands';
import { discover } from '../../src/discovery/discover';
import { LocalConnection } from '../../src/host/localConnection';
import type { Snapshot } from '../../src/model/snapshot';
import { executeWorkflow } from '../../src/workflows/execute';
import { FileJournalStore, Journal } from '../../src/workflows/journal';
import { planConnect, planCreateNetns } from '../../src/workflows/plan';
import type { HostCapabilities } from '../../src/workflows/validate';

const NS_A = 'nsxwf_a';
const NS_B = 'nsxwf_b';
const NS_C = 'nsxwf_c';
const OURS = /nsxwf|va-fail|vb-fail/;

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function quiet(argv: string[]): void {
  try {
    sh(argv);
  } catch {
    // already gone
  }
}

/** `ip -o link` and `ip -o addr` of a namespace, minus counters that change on their own. */
function state(ns: string | 'host'): string[] {
  const prefix = ns === 'host' ? ['ip'] : ['ip', 'netns', 'exec', ns, 'ip'];
  const lines = [...sh([...prefix, '-o', 'link']).split('\n'), ...sh([...prefix, '-o', 'addr']).split('\n')]
    .filter((l) => l.trim() !== '')
    .map((l) => l.replace(/valid_lft \S+ preferred_lft \S+/, ''));
  // Other suites share the host namespace; compare only what this suite could have made there.
  return (ns === 'host' ? lines.filter((l) => OURS.test(l)) : lines).sort();
}

function cleanup(): void {
  for (const ns of [NS_A, NS_B, NS_C]) quiet(['ip', 'netns', 'del', ns]);
  for (const link of ['nsxwf-h0', 'nsxwf-h1', 'va-fail', 'vb-fail']) quiet(['ip', 'link', 'del', 'dev', link]);
}

const canRun = process.platform === 'linux' && process.getuid?.() === 0;

(canRun ? describe : describe.skip)('workflows on real namespaces (lab)', function () {
  this.timeout(60_000);
  let conn: LocalConnection;
  let caps: HostCapabilities;
  let journal: Journal;
  let journalDir: string;

  async function snap(): Promise<Snapshot> {
    return discover(conn, { privileged: true });
  }

  before(async () => {
    cleanup();
    conn = new LocalConnection();
    await conn.connect();
    caps = await probeCapabilities(conn);
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsxwf-journal-'));
    journal = new Journal(new FileJournalStore(journalDir));
  });

  after(() => {
    cleanup();
    conn?.dispose();
    if (journalDir) fs.rmSync(journalDir, { recursive: true, force: true });
  });

  it('creates and deletes a netns, and refuses to delete one with a process inside', async () => {
    const add = await netnsAdd(conn, await snap(), NS_C, { capabilities: caps, journal });
    assert.strictEqual(add.exitCode, 0, add.output);
    assert.match(sh(['ip', 'netns', 'list']), new RegExp(`^${NS_C}\\b`, 'm'));
    assert.match(sh(['ip', 'netns', 'exec', NS_C, 'ip', '-o', 'link', 'show', 'lo']), /UP/);

    const again = await netnsAdd(conn, await snap(), NS_C, { capabilities: caps });
    assert.strictEqual(again.exitCode, 2);
    assert.match(again.output, /already exists/);

    // A bounded process inside makes deletion refuse, naming it; the pid is killed in finally.
    const sleeper = spawn('ip', ['netns', 'exec', NS_C, 'sleep', '30'], { stdio: 'ignore' });
    try {
      let busy = '';
      for (let i = 0; i < 50 && !busy.includes('sleep'); i++) {
        const r = await netnsDel(conn, await snap(), NS_C, { capabilities: caps });
        assert.strictEqual(r.exitCode, 2, r.output);
        busy = r.output;
      }
      assert.match(busy, /still has processes inside[\s\S]*\(sleep\)/);
    } finally {
      sleeper.kill('SIGKILL');
      await new Promise((resolve) => sleeper.once('exit', resolve));
    }

    const del = await netnsDel(conn, await snap(), NS_C, { capabilities: caps });
    assert.strictEqual(del.exitCode, 0, del.output);
    assert.doesNotMatch(sh(['ip', 'netns', 'list']), new RegExp(`^${NS_C}\\b`, 'm'));
  });

  it('connects two netns, pings across, and undo restores both namespaces exactly', async () => {
    for (const ns of [NS_A, NS_B]) {
      const r = await executeWorkflow(conn, planCreateNetns(await snap(), ns));
      assert.ok(r.ok, JSON.stringify(r.failed));
    }
    const before = { a: state(NS_A), b: state(NS_B), host: state('host') };

    const plan = planConnect(await snap(), `netns:${NS_A}`, `netns:${NS_B}`, { subnet: '10.200.50.0/24', capabilities: caps });
    const report = await executeWorkflow(conn, plan);
    assert.ok(report.ok, JSON.stringify(report.failed));
    assert.ok(report.postCheck?.ok, report.postCheck?.output);
    assert.ok((report.postCheck?.ping?.received ?? 0) > 0);
    assert.strictEqual(report.postCheck?.ping?.rtts.length, report.postCheck?.ping?.received);
    assert.match(state(NS_A).join('\n'), /inet 10\.200\.50\.1\/24/);
    assert.match(state(NS_B).join('\n'), /inet 10\.200\.50\.2\/24/);
    await journal.record(conn.id, report.applied!);

    // The reverse direction through the CLI handler, with a fresh snapshot.
    const back = await ping(conn, await snap(), `netns:${NS_B}`, '10.200.50.1', { count: 2, timeout: 1, capabilities: caps });
    assert.strictEqual(back.exitCode, 0, back.output);
    assert.match(back.output, /2 received, 0% loss/);

    const undo = await journal.undoLast(conn.id, conn);
    assert.ok(undo.ok, JSON.stringify(undo.ran));
    assert.deepStrictEqual({ a: state(NS_A), b: state(NS_B), host: state('host') }, before);
  });

  it('connects the host to a netns and pings from the host', async () => {
    const before = { a: state(NS_A), host: state('host') };
    const r = await connect(conn, await snap(), 'host', `netns:${NS_A}`, {
      subnet: '10.200.52.0/24',
      names: 'nsxwf-h0:nsxwf-h1',
      capabilities: caps,
      journal,
    });
    assert.strictEqual(r.exitCode, 0, r.output);
    assert.match(r.output, /replies/);
    assert.match(state('host').join('\n'), /nsxwf-h0.*inet 10\.200\.52\.1\/24/);
    assert.match(state(NS_A).join('\n'), /nsxwf-h1.*inet 10\.200\.52\.2\/24/);
    const fromNs = await ping(conn, await snap(), `netns:${NS_A}`, '10.200.52.1', { count: 1, timeout: 1, capabilities: caps });
    assert.strictEqual(fromNs.exitCode, 0, fromNs.output);

    const undo = await journal.undoLast(conn.id, conn);
    assert.ok(undo.ok, JSON.stringify(undo.ran));
    assert.deepStrictEqual({ a: state(NS_A), host: state('host') }, before);
  });

  it('a step failing part-way rolls back: no new link or address remains anywhere', async () => {
    const stale = await snap();
    // After the snapshot, B gains an interface with the name the plan gives B's end: the move into B fails.
    sh(['ip', 'netns', 'exec', NS_B, 'ip', 'link', 'add', 'vb-fail', 'type', 'veth', 'peer', 'name', 'vb-fail-p']);
    const before = { a: state(NS_A), b: state(NS_B), host: state('host'), netns: sh(['ip', 'netns', 'list']) };

    const plan = planConnect(stale, `netns:${NS_A}`, `netns:${NS_B}`, {
      subnet: '10.200.54.0/24',
      names: { a: 'va-fail', b: 'vb-fail' },
      capabilities: caps,
    });
    const report = await executeWorkflow(conn, plan);
    assert.strictEqual(report.ok, false);
    assert.strictEqual(report.failed?.index, 2, JSON.stringify(report.failed));
    assert.match(report.failed?.message ?? '', /exists/i);
    assert.deepStrictEqual(report.rolledBack.map((x) => x.ok), [true, true]);
    assert.deepStrictEqual(
      { a: state(NS_A), b: state(NS_B), host: state('host'), netns: sh(['ip', 'netns', 'list']) },
      before,
    );
    assert.doesNotMatch([...state(NS_A), ...state(NS_B)].join('\n'), /10\.200\.54\./);
  });

  it('the CLI rejects an overlapping subnet before running anything', async () => {
    const before = { a: state(NS_A), b: state(NS_B) };
    // vb-fail in B has no address; give it one, then ask for a subnet that overlaps it.
    sh(['ip', 'netns', 'exec', NS_B, 'ip', 'addr', 'add', '10.200.56.2/24', 'dev', 'vb-fail']);
    const after = { a: state(NS_A), b: state(NS_B) };
    const r = await connect(conn, await snap(), `netns:${NS_A}`, `netns:${NS_B}`, { subnet: '10.200.56.0/25', capabilities: caps });
    assert.strictEqual(r.exitCode, 2, r.output);
    assert.match(r.output, /overlaps 10\.200\.56\.2\/24 on vb-fail in netns:nsxwf_b/);
    assert.deepStrictEqual({ a: state(NS_A), b: state(NS_B) }, after);
    assert.notDeepStrictEqual(after, before);
  });
});
