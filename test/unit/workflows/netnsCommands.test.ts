import * as assert from 'assert';
import { connect, netnsAdd, netnsDel, ping, probeCapabilities, undo, vethAdd } from '../../../src/cli/netnsCommands';
import { Journal, MemoryJournalStore } from '../../../src/workflows/journal';
import { FakeConnection, fixtureSnapshot } from './fakes';

const caps = { ip: true, nsenter: true, ping: true, busybox: false };

describe('netns CLI commands', () => {
  it('--dry-run prints the commands and runs nothing', async () => {
    const conn = new FakeConnection();
    const r = await connect(conn, fixtureSnapshot(), 'netns:blue', 'netns:red', { dryRun: true, capabilities: caps, names: 'a0:b0' });
    assert.strictEqual(r.exitCode, 0);
    assert.match(r.output, /Dry run on fake[\s\S]*# ip link add name a0 type veth peer name b0/);
    assert.strictEqual(conn.calls.length, 0);
  });

  it('bad input exits 2 and runs nothing', async () => {
    const conn = new FakeConnection();
    for (const r of [
      await netnsAdd(conn, fixtureSnapshot(), '../etc', { capabilities: caps }),
      await netnsDel(conn, fixtureSnapshot(), 'red', { capabilities: caps }),
      await connect(conn, fixtureSnapshot(), 'netns:blue', 'netns:red', { capabilities: caps, names: 'only-one' }),
      await connect(conn, fixtureSnapshot(), 'netns:blue', 'netns:red', { capabilities: caps, subnet: '10.200.1.0/24' }),
      await vethAdd(conn, fixtureSnapshot(), { nameA: 'a', endpointA: 'container:old', nameB: 'b', endpointB: 'host' }, { capabilities: caps }),
      await ping(conn, fixtureSnapshot(), 'host', '$(reboot)', { capabilities: caps }),
    ]) {
      assert.strictEqual(r.exitCode, 2, r.output);
      assert.match(r.output, /Nothing was changed/);
    }
    assert.strictEqual(conn.calls.length, 0);
  });

  it('a failing remote step exits 4 after rolling back; success records into the journal', async () => {
    const failing = new FakeConnection((argv) => (argv.includes('addr') && argv.includes('add') ? { code: 2, stderr: 'RTNETLINK answers: File exists' } : undefined));
    const bad = await connect(failing, fixtureSnapshot(), 'netns:blue', 'netns:red', { capabilities: caps });
    assert.strictEqual(bad.exitCode, 4);
    assert.match(bad.output, /File exists[\s\S]*Rolled back 3 of 3/);

    const journal = new Journal(new MemoryJournalStore());
    const conn = new FakeConnection((argv) => (argv.includes('ping') ? { stdout: '1 packets transmitted, 1 received, 0% packet loss' } : undefined));
    const ok = await netnsAdd(conn, fixtureSnapshot(), 'green', { capabilities: caps, journal });
    assert.strictEqual(ok.exitCode, 0, ok.output);
    assert.strictEqual((await journal.list('fake-host')).length, 1);
    const u = await undo(conn, journal);
    assert.strictEqual(u.exitCode, 0);
    assert.deepStrictEqual(conn.calls.at(-1)?.argv, ['ip', 'netns', 'del', 'green']);
  });

  it('ping reports replies and RTTs, and exits 4 on total loss', async () => {
    const good = new FakeConnection(() => ({ stdout: '64 bytes from 10.0.0.2: icmp_seq=1 ttl=64 time=0.5 ms\n1 packets transmitted, 1 received, 0% packet loss' }));
    const r = await ping(good, fixtureSnapshot(), 'netns:blue', '10.0.0.2', { count: 1, timeout: 1, capabilities: caps });
    assert.strictEqual(r.exitCode, 0);
    assert.match(r.output, /1 sent, 1 received, 0% loss, rtt 0.5 ms/);
    assert.strictEqual(good.calls[0].options?.privileged, true);
    const lost = new FakeConnection(() => ({ code: 1, stdout: '1 packets transmitted, 0 received, 100% packet loss' }));
    assert.strictEqual((await ping(lost, fixtureSnapshot(), 'host', '10.0.0.2', { capabilities: caps })).exitCode, 4);
  });

  it('probes the tools in one command, with the names as arguments', async () => {
    const conn = new FakeConnection(() => ({ stdout: 'ip\nbusybox\n' }));
    assert.deepStrictEqual(await probeCapabilities(conn), { ip: true, nsenter: false, ping: false, busybox: true });
    assert.strictEqual(conn.calls.length, 1);
    assert.deepStrictEqual(conn.calls[0].argv.slice(0, 2), ['sh', '-c']);
    assert.deepStrictEqual(conn.calls[0].argv.slice(-4), ['ip', 'nsenter', 'ping', 'busybox']);
  });
});
