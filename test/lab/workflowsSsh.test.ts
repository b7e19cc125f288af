/**
 * netns and veth workflows over SSH against the lab, as a sudo user: Connect Namespaces between a named
 * netns and a docker container with a ping across and an exact undo, and hostile input that must be
 * rejected with the host unchanged. Addresses only in 10.200.0.0/16, inside namespaces the lab created.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connect, netnsAdd, undo } from '../../src/cli/netnsCommands';
import { discover } from '../../src/discovery/discover';
import { openConnection } from '../../src/host/connect';
import { HostConnection } from '../../src/host/hostConnection';
import { FileJournalStore, Journal } from '../../src/workflows/journal';
import { isLabUp, loadLab } from './labEnv';

function sh(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
}

/** Links and addresses of a namespace, minus counters that change on their own. */
function linkState(prefix: string[]): string[] {
  return [...sh([...prefix, 'ip', '-o', 'link']).split('\n'), ...sh([...prefix, 'ip', '-o', 'addr']).split('\n')]
    .filter(Boolean)
    .map((l) => l.replace(/valid_lft \S+ preferred_lft \S+/, ''))
    .sort();
}

describe('workflows over SSH (lab, sudo user)', function () {
  this.timeout(120_000);
  let conn: HostConnection;
  let journal: Journal;
  let journalDir: string;
  const canary = path.join(os.tmpdir(), `nsx-canary-${process.pid}`);

  before(async function () {
    if (!isLabUp()) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error('the lab is not up');
      this.skip();
    }
    const lab = loadLab();
    conn = await openConnection(`ssh://nsxkey@127.0.0.1:${lab.ssh.port}`, {
      identities: [lab.keys.ed25519.path],
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
    });
    await conn.connect();
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-journal-'));
    journal = new Journal(new FileJournalStore(journalDir));
  });

  after(() => {
    conn?.dispose();
    if (journalDir) fs.rmSync(journalDir, { recursive: true, force: true });
    fs.rmSync(canary, { force: true });
  });

  it('connects a named netns with a docker container, pings across, and undo restores both exactly', async () => {
    const lab = loadLab();
    const pid = lab.docker.containers['lab-none'].pid!;
    const inB = ['ip', 'netns', 'exec', 'nsx_b'];
    const inC = ['nsenter', '-t', String(pid), '-n'];
    const before = { b: linkState(inB), c: linkState(inC) };
    const snapshot = await discover(conn);
    const r = await connect(conn, snapshot, 'netns:nsx_b', 'container:lab-none', { journal });
    try {
      assert.strictEqual(r.exitCode, 0, r.output);
      assert.match(r.output, /Check: 3\/3 replies, 0% loss, rtt [0-9./]+ ms/, r.output);
      const after = await discover(conn);
      const cNet = after.containers.find((c) => c.name === 'lab-none')!.ns.net!;
      const bNet = after.netns.find((n) => n.name === 'nsx_b')!.inode;
      const newEnd = after.interfaces.find((i) => i.ns === cNet && i.kind === 'veth');
      assert.ok(newEnd, 'no veth in lab-none after connecting');
      assert.strictEqual(newEnd.peer?.ns, bNet, 'the new veth in lab-none does not point at nsx_b');
      assert.ok(newEnd.addresses.some((a) => a.address.startsWith('10.200.')), 'no 10.200 address on the new end');
    } finally {
      const u = await undo(conn, journal);
      assert.strictEqual(u.exitCode, 0, u.output);
    }
    assert.deepStrictEqual(linkState(inB), before.b);
    assert.deepStrictEqual(linkState(inC), before.c);
  });

  it('rejects hostile netns names and subnets, handles interface names literally: no canary, the host as before', async () => {
    const snapshot = await discover(conn);
    const netnsBefore = sh(['ip', 'netns', 'list']);
    const linksBefore = linkState([]);
    const hostile = fc.oneof(
      fc.constantFrom('$(touch CANARY)', '`touch CANARY`', 'a;touch CANARY', "a'b", 'a"b', 'x\ny', '../etc', '/abs', 'a b', '', 'x'.repeat(300), '-rf', 'ünï\u202e', '..'),
      fc.string({ minLength: 1, maxLength: 40 }).map((s) => `${s}$(touch CANARY)`),
      fc.string({ minLength: 1, maxLength: 20 }).map((s) => `${s};touch CANARY`),
    ).map((s) => s.split('CANARY').join(canary));
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(hostile, hostile, async (name, other) => {
        runs++;
        const a = await netnsAdd(conn, snapshot, name, { journal });
        assert.strictEqual(a.exitCode, 2, `netns add ${JSON.stringify(name)} was not rejected: ${a.output}`);
        const c = await connect(conn, snapshot, 'netns:nsx_a', 'netns:nsx_b', { subnet: other, journal });
        assert.strictEqual(c.exitCode, 2, `--subnet ${JSON.stringify(other)} was not rejected: ${c.output}`);
        // Interface names follow the kernel's rules, which allow quotes and most bytes: a name that passes
        // them must then be handled literally (an interface of exactly that name), and is undone at once.
        const n = await connect(conn, snapshot, 'netns:nsx_a', 'netns:nsx_b', { names: { a: name, b: other }, journal });
        if (n.exitCode === 0) {
          const made = await discover(conn);
          const names = new Set(made.interfaces.map((i) => i.name));
          assert.ok(names.has(name) && names.has(other), `--names ${JSON.stringify([name, other])} did not make interfaces of exactly those names`);
          const u = await undo(conn, journal);
          assert.strictEqual(u.exitCode, 0, u.output);
        } else {
          assert.strictEqual(n.exitCode, 2, `--names ${JSON.stringify([name, other])} neither rejected nor applied: ${n.output}`);
        }
        assert.ok(!fs.existsSync(canary), 'the canary file was created');
      }),
      { numRuns: 25, interruptAfterTimeLimit: 90_000 },
    );
    assert.ok(runs >= 10, `only ${runs} runs`);
    assert.strictEqual(sh(['ip', 'netns', 'list']), netnsBefore);
    assert.deepStrictEqual(linkState([]), linksBefore);
    const after = await discover(conn);
    assert.deepStrictEqual(after.netns.map((x) => x.name).sort(), snapshot.netns.map((x) => x.name).sort());
    assert.deepStrictEqual(
      after.interfaces.map((i) => `${i.ns}/${i.name}`).sort(),
      snapshot.interfaces.map((i) => `${i.ns}/${i.name}`).sort(),
    );
    assert.deepStrictEqual(await journal.list(conn.id), [], 'a rejected workflow was journaled');
  });
});
