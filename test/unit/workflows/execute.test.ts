import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { executeWorkflow, formatReport } from '../../../src/workflows/execute';
import { FileJournalStore, Journal, MemoryJournalStore, parseJournal, serializeJournal } from '../../../src/workflows/journal';
import { planConnect } from '../../../src/workflows/plan';
import { FakeConnection, fixtureSnapshot } from './fakes';

const PING_OK = '64 bytes from 10.200.2.2: icmp_seq=1 ttl=64 time=0.05 ms\n1 packets transmitted, 1 received, 0% packet loss, time 0ms\n';

function plan() {
  return planConnect(fixtureSnapshot(), 'netns:blue', 'netns:red', { pingCount: 1 });
}

describe('executor', () => {
  it('runs every step in order with its privilege, then the post-check, and records the undo in reverse', async () => {
    const wf = plan();
    const conn = new FakeConnection((argv) => (argv.includes('ping') ? { stdout: PING_OK } : undefined));
    const report = await executeWorkflow(conn, wf, { now: () => 1000 });
    assert.ok(report.ok);
    assert.deepStrictEqual(conn.calls.map((c) => c.argv), [...wf.steps.map((s) => s.argv), wf.postCheck!.argv]);
    assert.ok(conn.calls.slice(0, wf.steps.length).every((c) => c.options?.privileged === true && c.options.timeoutMs! > 0));
    assert.deepStrictEqual(report.applied?.undo.map((u) => u.argv), wf.steps.map((s) => s.inverse).reverse());
    assert.deepStrictEqual(report.postCheck?.ping, { sent: 1, received: 1, rtts: [0.05], lossPct: 0 });
    assert.ok(report.postCheck?.ok);
  });

  it('on a failure at any step, undoes exactly the completed steps in reverse and never the failed one', async () => {
    const wf = plan();
    for (let fail = 0; fail < wf.steps.length; fail++) {
      const conn = new FakeConnection((argv, i) => (i === fail ? { code: 2, stderr: 'RTNETLINK answers: File exists' } : undefined));
      const report = await executeWorkflow(conn, wf);
      assert.strictEqual(report.ok, false);
      assert.strictEqual(report.failed?.index, fail);
      assert.strictEqual(report.failed?.message, 'RTNETLINK answers: File exists');
      assert.strictEqual(report.failed?.uncertain, false);
      const expected = wf.steps.slice(0, fail).map((s) => s.inverse).reverse();
      assert.deepStrictEqual(conn.calls.slice(fail + 1).map((c) => c.argv), expected);
      assert.deepStrictEqual(report.rolledBack.map((r) => r.argv), expected);
      assert.strictEqual(report.applied, undefined);
      const text = formatReport(report, 'lab');
      assert.match(text, new RegExp(`step ${fail + 1} failed on lab`));
      assert.match(text, fail === 0 ? /nothing was rolled back/ : /Rolled back \d+ of \d+/);
    }
  });

  it('keeps rolling back past a failing inverse and reports it; a thrown exec is uncertain', async () => {
    const wf = plan();
    const conn = new FakeConnection((argv, i) => {
      if (i === 3) return new Error('Connection lost');
      if (i === 5) return { code: 1, stderr: 'Cannot find device' };
      return undefined;
    });
    const report = await executeWorkflow(conn, wf);
    assert.strictEqual(report.failed?.uncertain, true);
    assert.deepStrictEqual(report.rolledBack.map((r) => r.ok), [true, false, true]);
    assert.match(formatReport(report, 'lab'), /may have taken effect[\s\S]*FAIL[\s\S]*by hand/);
  });

  it('reports a failed post-check without rolling back', async () => {
    const conn = new FakeConnection((argv) => (argv.includes('ping') ? { code: 1, stdout: '1 packets transmitted, 0 received, 100% packet loss' } : undefined));
    const report = await executeWorkflow(conn, plan());
    assert.ok(report.ok && report.applied);
    assert.strictEqual(report.postCheck?.ok, false);
    assert.strictEqual(report.rolledBack.length, 0);
  });
});

describe('journal', () => {
  it('records applied workflows per host and undoes the last one', async () => {
    const journal = new Journal(new MemoryJournalStore());
    const wf = plan();
    const report = await executeWorkflow(new FakeConnection(), wf);
    await journal.record('h1', report.applied!);
    assert.strictEqual((await journal.list('h2')).length, 0);
    const conn = new FakeConnection();
    const undo = await journal.undoLast('h1', conn);
    assert.ok(undo.found && undo.ok);
    assert.deepStrictEqual(conn.calls.map((c) => c.argv), wf.steps.map((s) => s.inverse).reverse());
    assert.strictEqual((await journal.list('h1')).length, 0);
    assert.strictEqual((await journal.undoLast('h1', conn)).found, false);
  });

  it('keeps the remaining undo steps when one fails', async () => {
    const journal = new Journal(new MemoryJournalStore());
    const report = await executeWorkflow(new FakeConnection(), plan());
    await journal.record('h1', report.applied!);
    const undo = await journal.undoLast('h1', new FakeConnection((_a, i) => (i === 2 ? { code: 1, stderr: 'busy' } : undefined)));
    assert.strictEqual(undo.ok, false);
    assert.strictEqual(undo.remaining.length, report.applied!.undo.length - 2);
    const [left] = await journal.list('h1');
    assert.deepStrictEqual(left.undo, undo.remaining);
  });

  it('stores JSON files per host and survives a reload', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-journal-'));
    try {
      const report = await executeWorkflow(new FakeConnection(), plan());
      await new Journal(new FileJournalStore(dir)).record('user@host:22', report.applied!);
      const store = new FileJournalStore(dir);
      assert.deepStrictEqual(await store.load('user@host:22'), [report.applied]);
      assert.deepStrictEqual(await store.load('../../etc/passwd'), []);
      assert.ok(path.basename(store.fileFor('../../etc/passwd')).startsWith('journal-'));
      assert.strictEqual(path.dirname(store.fileFor('../../etc/passwd')), dir);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('drops malformed entries and refuses unknown versions', () => {
    const good = { id: 'a', title: 't', appliedAt: 1, undo: [{ description: 'd', argv: ['ip', 'link'], needsRoot: true }] };
    const bad = { id: 'b', title: 't', appliedAt: 1, undo: [{ description: 'd', argv: 'ip link', needsRoot: true }] };
    const text = serializeJournal('h', [good, bad as never]);
    assert.deepStrictEqual(parseJournal(text), [good]);
    assert.throws(() => parseJournal('{"version":99,"entries":[]}'), /unknown format/);
  });
});
