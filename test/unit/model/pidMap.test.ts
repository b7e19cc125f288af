import * as assert from 'assert';
import { buildPidMap, uidInside, type PidMapModel } from '../../../src/model/pidMap';
import type { ContainerInfo, NamespaceInfo, ProcessInfo, Snapshot } from '../../../src/model/snapshot';
import { isPidMapExtensionMessage, isPidMapWebviewMessage, isPidMapViewState } from '../../../src/protocol/pidMap';

const HOST = 4026531836;
const C1 = 4026532500; // lab-c1, depth 1
const NEST = 4026532600; // a PID namespace made inside lab-c1 (unshare), depth 2
const DEEP = 4026532700; // one more inside that, depth 3
const C2 = 4026532800; // lab-c2, depth 1
const USERNS = 4026532900;
const MAP = [{ inside: 0, outside: 100000, count: 65536 }];

function proc(pid: number, nspid: number[], pidns: number | undefined, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return { pid, ppid: 1, uid: 0, comm: `p${pid}`, cmdline: `/bin/p${pid}`, state: 'S', nspid, ns: pidns === undefined ? {} : { pid: pidns }, ...extra };
}

function ns(inode: number, parent: number | undefined, initial = false): NamespaceInfo {
  const n: NamespaceInfo = { type: 'pid', inode, holders: [], pids: [], nsfsPaths: [], initial };
  if (parent !== undefined) n.parent = parent;
  return n;
}

function container(name: string, id: string, pid: number | undefined, pidns: number | undefined, extra: Partial<ContainerInfo> = {}): ContainerInfo {
  const c: ContainerInfo = { engine: 'docker', id, name, image: 'alpine', state: pid ? 'running' : 'exited', ns: pidns ? { pid: pidns } : {}, sharedWithHost: [], ...extra };
  if (pid !== undefined) c.pid = pid;
  return c;
}

function snapshot(processes: ProcessInfo[], namespaces: NamespaceInfo[], containers: ContainerInfo[] = []): Snapshot {
  return {
    schemaVersion: 1,
    host: { hostname: 'lab', kernel: '6.1', uid: 0, privileged: true, probeMs: 5, takenAt: 1700000000000, warnings: [] },
    processes, namespaces, containers, netns: [], interfaces: [],
  };
}

/** A host with lab-c1 holding a three-level chain and lab-c2 beside it. */
function lab(): Snapshot {
  return snapshot(
    [
      proc(1, [1], HOST, { ppid: 0, comm: 'systemd' }),
      proc(900, [900], HOST, { comm: 'containerd-shim' }),
      proc(24691, [24691, 1], C1, { ppid: 900, comm: 'sh', uid: 100000, uidMap: MAP, ns: { pid: C1, user: USERNS } }),
      proc(24700, [24700, 7], C1, { ppid: 24691, comm: 'unshare', uid: 101000, uidMap: MAP }),
      proc(24701, [24701, 8, 1], NEST, { ppid: 24700, comm: 'bash', uid: 100000, uidMap: MAP }),
      proc(24720, [24720, 12, 5, 1], DEEP, { ppid: 24701, comm: 'sleep', uid: 100000, uidMap: MAP }),
      proc(24721, [24721, 13, 6, 2], DEEP, { ppid: 24720, comm: 'cat', uid: 100000, uidMap: MAP }),
      proc(25000, [25000, 1], C2, { ppid: 900, comm: 'nginx', uid: 0 }),
    ],
    [ns(HOST, undefined, true), ns(C1, HOST), ns(NEST, C1), ns(DEEP, NEST), ns(C2, HOST)],
    [container('lab-c1', 'c1c1c1c1c1c1aaaa', 24691, C1), container('lab-c2', 'c2c2c2c2c2c2bbbb', 25000, C2)],
  );
}

const rowOf = (m: PidMapModel, hostPid: number) => {
  const r = m.rows.find((x) => x.hostPid === hostPid);
  assert.ok(r, `row for host PID ${hostPid}`);
  return r;
};

describe('pidMap model', () => {
  it('maps a container three levels deep: one column per level, headed by holder', () => {
    const m = buildPidMap(lab(), { kind: 'container', id: 'c1c1c1c1c1c1aaaa' });
    assert.strictEqual(m.header, 'host PID 24691 is PID 1 inside lab-c1');
    assert.strictEqual(m.title, 'lab-c1');
    assert.strictEqual(m.focusPid, 24691);
    assert.deepStrictEqual(m.levels.map((l) => [l.level, l.label, l.inode]), [
      [0, 'host', undefined], [1, 'lab-c1', C1], [2, 'bash', NEST], [3, 'sleep', DEEP],
    ]);
    assert.deepStrictEqual(rowOf(m, 24721).pids, [24721, 13, 6, 2]);
    assert.deepStrictEqual(rowOf(m, 24701).pids, [24701, 8, 1, null]);
    assert.deepStrictEqual(rowOf(m, 24691).pids, [24691, 1, null, null]);
    assert.strictEqual(rowOf(m, 24720).depth, 3);
    // Only lab-c1 and what it nests: not the host's processes, not lab-c2.
    assert.deepStrictEqual(m.rows.map((r) => r.hostPid).sort((a, b) => a - b), [24691, 24700, 24701, 24720, 24721]);
  });

  it('describes a process in a nested namespace through every level', () => {
    const m = buildPidMap(lab(), { kind: 'pid', pid: 24720 });
    assert.strictEqual(m.header, 'host PID 24720 (sleep) is PID 12 inside lab-c1, PID 5 inside bash and PID 1 inside sleep');
    assert.strictEqual(m.focusPid, 24720);
    // Scope is the process's own namespace: the deepest one.
    assert.deepStrictEqual(m.rows.map((r) => r.hostPid), [24720, 24721]);
    assert.deepStrictEqual(m.levels.map((l) => l.label), ['host', 'lab-c1', 'bash', 'sleep']);
  });

  it('groups the whole host depth first, parents before children, siblings by name', () => {
    const m = buildPidMap(lab(), { kind: 'host' });
    assert.deepStrictEqual(m.groups.map((g) => [g.label, g.depth, g.rowCount]), [
      ['host', 0, 2], ['lab-c1', 1, 2], ['bash', 2, 1], ['sleep', 3, 2], ['lab-c2', 1, 1],
    ]);
    // Rows of a group are contiguous, from firstRow, sorted by host PID.
    for (const [i, g] of m.groups.entries()) {
      const slice = m.rows.slice(g.firstRow, g.firstRow + g.rowCount);
      assert.ok(slice.every((r) => r.group === i));
      assert.deepStrictEqual(slice.map((r) => r.hostPid), [...slice.map((r) => r.hostPid)].sort((a, b) => a - b));
    }
    // Level 1 holds two different namespaces: a generic heading, no inode.
    assert.deepStrictEqual(m.levels[1], { level: 1, label: 'Level 1', holderKind: 'unknown' });
    assert.deepStrictEqual(rowOf(m, 1).pids, [1, null, null, null]);
    assert.match(m.header, /^8 processes in 5 PID namespaces, nested up to 3 levels/);
  });

  it('infers nesting from parent processes when the probe gives no namespace parents', () => {
    const s = lab();
    s.namespaces = [];
    const m = buildPidMap(s, { kind: 'host' });
    assert.deepStrictEqual(m.groups.map((g) => [g.label, g.depth]), [
      ['host', 0], ['lab-c1', 1], ['bash', 2], ['sleep', 3], ['lab-c2', 1],
    ]);
  });

  it('shows the uid inside a user namespace only where its uid_map maps it', () => {
    const s = lab();
    s.processes.push(proc(24730, [24730, 20], C1, { uid: 0, uidMap: MAP, comm: 'leaked' }));
    const m = buildPidMap(s, { kind: 'container', id: 'lab-c1' });
    assert.strictEqual(rowOf(m, 24691).uidInside, 0);
    assert.strictEqual(rowOf(m, 24700).uidInside, 1000);
    assert.strictEqual(rowOf(m, 24730).uidInside, undefined);
    assert.strictEqual(rowOf(m, 24730).uidUnmapped, true);
    const host = buildPidMap(s, { kind: 'host' });
    assert.strictEqual(rowOf(host, 25000).uidInside, undefined, 'identity map: nothing extra');
    assert.strictEqual(rowOf(host, 25000).uidUnmapped, undefined);
    assert.strictEqual(uidInside(165535, MAP), 65535);
    assert.strictEqual(uidInside(165536, MAP), undefined);
  });

  it('keeps processes that exited during the probe, with inner PIDs unknown', () => {
    const s = lab();
    s.processes.push(proc(24740, [], C1, { comm: 'gone' }));
    s.processes.push(proc(30000, [], undefined, { comm: 'gone2', ns: {} }));
    const m = buildPidMap(s, { kind: 'container', id: 'lab-c1' });
    const r = rowOf(m, 24740);
    assert.strictEqual(r.vanished, true);
    assert.deepStrictEqual(r.pids, [24740, null, null, null]);
    assert.ok(m.warnings.some((w) => /exited while the host was probed/.test(w)));
    const host = buildPidMap(s, { kind: 'host' });
    const last = host.groups[host.groups.length - 1]!;
    assert.strictEqual(last.inode, null, 'processes with no readable namespace come last, in their own group');
    assert.strictEqual(host.rows[last.firstRow]!.hostPid, 30000);
  });

  it('marks chains shorter than their namespace depth (kernel without NSpid)', () => {
    const s = lab();
    s.processes.push(proc(24750, [24750], NEST, { comm: 'old' }));
    const m = buildPidMap(s, { kind: 'container', id: 'lab-c1' });
    const r = rowOf(m, 24750);
    assert.strictEqual(r.chainIncomplete, true);
    assert.strictEqual(r.depth, 2);
    assert.deepStrictEqual(r.pids, [24750, null, null, null]);
  });

  it('explains containers it cannot map', () => {
    const s = lab();
    s.containers.push(container('stopped', 'dddd', undefined, undefined));
    s.containers.push(container('kata', 'eeee', 4242, 4026533000, { sandboxed: true, runtime: 'kata' }));
    assert.match(buildPidMap(s, { kind: 'container', id: 'dddd' }).header, /stopped is exited: no processes/);
    assert.match(buildPidMap(s, { kind: 'container', id: 'eeee' }).header, /VM sandbox \(kata\)/);
    assert.match(buildPidMap(s, { kind: 'container', id: 'nope' }).header, /no longer on this host/);
    assert.match(buildPidMap(s, { kind: 'pid', pid: 99999 }).header, /PID 99999 is no longer running/);
    assert.strictEqual(buildPidMap(s, { kind: 'pid', pid: 99999 }).rows.length, 0);
  });

  it('scopes to a PID namespace inode and its descendants', () => {
    const m = buildPidMap(lab(), { kind: 'pidns', inode: NEST });
    assert.deepStrictEqual(m.groups.map((g) => g.inode), [NEST, DEEP]);
    assert.match(m.header, /^PID namespace 4026532600 \(bash\) at nesting depth 2: 3 processes in it and 1 nested namespace\.$/);
  });

  it('survives JSON (postMessage) unchanged', () => {
    const m = buildPidMap(lab(), { kind: 'host' });
    assert.deepStrictEqual(JSON.parse(JSON.stringify(m)), m);
  });
});

describe('pidMap protocol guards', () => {
  it('accepts well-formed messages and rejects the rest', () => {
    assert.ok(isPidMapWebviewMessage({ type: 'ready' }));
    assert.ok(isPidMapWebviewMessage({ type: 'enterNamespace', pid: 12 }));
    assert.ok(isPidMapWebviewMessage({ type: 'setScope', scope: { kind: 'pidns', inode: C1 } }));
    assert.ok(!isPidMapWebviewMessage({ type: 'copyPid', pid: '12' }));
    assert.ok(!isPidMapWebviewMessage({ type: 'copyPid', pid: -1 }));
    assert.ok(!isPidMapWebviewMessage({ type: 'setScope', scope: { kind: 'pid' } }));
    assert.ok(!isPidMapWebviewMessage({ type: 'runShell', cmd: 'rm' }));
    assert.ok(!isPidMapWebviewMessage(null));
    const model = buildPidMap(lab(), { kind: 'host' });
    assert.ok(isPidMapExtensionMessage({ type: 'init', hostId: 'h', hostLabel: 'lab', takenAt: 1, model }));
    assert.ok(!isPidMapExtensionMessage({ type: 'init', hostId: 'h', hostLabel: 'lab', takenAt: 1 }));
    assert.ok(isPidMapViewState({ hostId: 'h', scope: { kind: 'host' } }));
    assert.ok(!isPidMapViewState({ hostId: '', scope: { kind: 'host' } }));
  });
});
