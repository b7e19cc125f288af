/**
 * The probe's cheap paths against the lab, over SSH as nsxkey (sudo): containers read from the engines'
 * state files (tree scope and the onTree snapshot) agree with the engines' own CLIs, and the CLIs'
 * output kept between refreshes (DiscoveryCache) follows every change of their databases. Containers
 * made here are removed in after hooks. Skips when the lab is not up.
 */
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import { discover, DiscoveryCache } from '../../src/discovery/discover';
import { openConnection } from '../../src/host/connect';
import { HostConnection } from '../../src/host/hostConnection';
import { ContainerInfo, Snapshot } from '../../src/model/snapshot';
import { LabEnv, loadLab, podmanOf, requireLab, requireLabEngine } from './labEnv';

function run(argv: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env }).trim();
}

function tryRun(argv: string[], env?: NodeJS.ProcessEnv): void {
  try {
    run(argv, env);
  } catch {
    // cleanup of something that may not exist
  }
}

interface LabCtr {
  socket: string;
  namespace: string;
  containers: Record<'lab-ctr1', { id: string; image: string }>;
}

const ident = (c: ContainerInfo) => `${c.engine}/${c.name}/${c.state}/${c.pid ?? '-'}`;

describe('lab: discovery from the engines\' state files, and the engine CLI cache (ssh nsxkey)', function () {
  this.timeout(180_000);
  let lab: LabEnv;
  let conn: HostConnection;
  let dockerEnv: NodeJS.ProcessEnv;
  let ctr: LabCtr | undefined;
  const made: Array<() => void> = [];

  before(async function () {
    requireLab(this);
    lab = loadLab();
    const l = lab as unknown as { docker: { env: Record<string, string> }; ctr?: LabCtr | { skipped: string } };
    dockerEnv = { ...process.env, ...l.docker.env };
    ctr = l.ctr && !('skipped' in l.ctr) ? l.ctr : undefined;
    conn = await openConnection(`ssh://nsxkey@127.0.0.1:${lab.ssh.port}`, {
      identities: [lab.keys.ed25519.path],
      knownHosts: [lab.ssh.knownHosts],
      sshConfig: { configPath: '/dev/null', systemConfigPath: null },
      sudo: 'always',
      reconnect: false,
    });
    await conn.connect();
  });

  after(() => {
    for (const undo of made.reverse()) {
      undo();
    }
    conn?.dispose();
  });

  it('a tree-scope probe lists the containers a full one does, docker\'s as docker inspect has them', async () => {
    const tree = await discover(conn, { scope: 'tree' });
    const full = await discover(conn);
    assert.strictEqual(tree.host.scope, 'tree');
    assert.strictEqual(tree.interfaces.length, 0);
    assert.deepStrictEqual(tree.containers.map(ident).sort(), full.containers.map(ident).sort());
    const docker = tree.containers.filter((c) => c.engine === 'docker');
    assert.ok(docker.length >= 4, 'the lab\'s docker containers');
    const fmt = '{{.Id}} {{.Name}} {{.Config.Image}} {{.State.Status}} {{.State.Pid}} {{.HostConfig.Runtime}}';
    for (const c of docker) {
      const [id, name, image, state, pid, runtime] = run(['docker', 'inspect', '--format', fmt, c.id], dockerEnv).split(' ');
      // A sandboxed (gVisor) container's pid is the sandbox's, not a workload process: left out.
      const hostPid = c.sandboxed ? undefined : Number(pid) || undefined;
      assert.deepStrictEqual([c.id, c.name, c.image, c.state, c.pid, c.runtime], [id, name.replace(/^\//, ''), image, state, hostPid, runtime], c.name);
    }
    for (const c of tree.containers.filter((x) => x.pid !== undefined)) {
      assert.deepStrictEqual(c.ns, tree.processes.find((p) => p.pid === c.pid)?.ns, `${c.name}: its init's namespaces`);
    }
  });

  it('hands over the tree\'s first levels (onTree) before the full snapshot, in the same exec', async () => {
    const order: string[] = [];
    let tree: Snapshot | undefined;
    const full = await discover(conn, {
      onTree: (t) => {
        tree = t;
        order.push('tree');
      },
    });
    order.push('full');
    assert.deepStrictEqual(order, ['tree', 'full']);
    assert.ok(tree && tree.host.scope === 'tree' && tree.interfaces.length === 0);
    assert.deepStrictEqual(
      tree.containers.filter((c) => c.state === 'running').map((c) => `${c.name}:${c.pid}`).sort(),
      full.containers.filter((c) => c.state === 'running').map((c) => `${c.name}:${c.pid}`).sort(),
    );
    assert.ok(full.interfaces.length > 0 && full.namespaces.some((n) => n.parent !== undefined));
  });

  it('reuses the podman and ctr answers while their databases are unchanged, and asks again after a change', async function () {
    const pm = podmanOf(lab);
    requireLabEngine(this, 'podman', pm, JSON.stringify(lab.podman));
    requireLabEngine(this, 'containerd (ctr)', ctr, 'lab.json has no ctr container');
    const cache = new DiscoveryCache();
    const first = await discover(conn, { cache });
    assert.ok(cache.fingerprint?.includes('meta.db') && cache.fingerprint.includes('bolt_state.db'), cache.fingerprint);
    const second = await discover(conn, { cache });
    assert.strictEqual(cache.hits, 1, 'second refresh: cached');
    assert.deepStrictEqual(second.containers.map(ident).sort(), first.containers.map(ident).sort());
    assert.strictEqual(second.containers.find((c) => c.name === 'lab-ctr1')?.image, ctr.containers['lab-ctr1'].image);

    // A ctr container without a task and a podman container never started: both only in the databases.
    const ctrBase = ['ctr', '-a', ctr.socket, '-n', ctr.namespace];
    tryRun([...ctrBase, 'containers', 'rm', 'nsx-cache-c']);
    run([...ctrBase, 'containers', 'create', ctr.containers['lab-ctr1'].image, 'nsx-cache-c', 'true']);
    made.push(() => tryRun([...ctrBase, 'containers', 'rm', 'nsx-cache-c']));
    tryRun(['podman', ...pm.flags, 'rm', '-f', 'nsx-cache-p']);
    run(['podman', ...pm.flags, 'create', '--name', 'nsx-cache-p', '--network', 'none', pm.image, 'true']);
    made.push(() => tryRun(['podman', ...pm.flags, 'rm', '-f', 'nsx-cache-p']));

    const third = await discover(conn, { cache });
    assert.strictEqual(cache.hits, 1, 'changed databases: not cached');
    const c = third.containers.find((x) => x.name === 'nsx-cache-c');
    assert.deepStrictEqual([c?.engine, c?.state, c?.pid, c?.image], ['containerd', 'created', undefined, ctr.containers['lab-ctr1'].image]);
    const p = third.containers.find((x) => x.name === 'nsx-cache-p');
    assert.deepStrictEqual([p?.engine, p?.state, p?.pid], ['podman', 'created', undefined]);
    // The state files alone (tree scope) know the podman one too, without its exact state.
    const tree = await discover(conn, { scope: 'tree' });
    assert.deepStrictEqual(
      tree.containers.filter((x) => x.name === 'nsx-cache-p').map((x) => [x.engine, x.state]),
      [['podman', 'stopped']],
    );

    const fourth = await discover(conn, { cache });
    assert.strictEqual(cache.hits, 2, 'unchanged again: cached');
    assert.deepStrictEqual(fourth.containers.map(ident).sort(), third.containers.map(ident).sort());

    run([...ctrBase, 'containers', 'rm', 'nsx-cache-c']);
    run(['podman', ...pm.flags, 'rm', '-f', 'nsx-cache-p']);
    const fifth = await discover(conn, { cache });
    assert.strictEqual(cache.hits, 2, 'removed: not cached');
    assert.ok(!fifth.containers.some((x) => x.name === 'nsx-cache-c' || x.name === 'nsx-cache-p'));
  });

  it('leaves nothing of itself on the host: no probe process listed, no temporary file left', async () => {
    const snap = await discover(conn);
    assert.ok(!snap.processes.some((p) => p.cmdline.includes('@@nsx-probe')), 'the probe shell is not listed');
    await new Promise((r) => setTimeout(r, 300));
    const left = run(['sh', '-c', 'ls -a /run /tmp | grep -c "nsx-probe" || true']);
    assert.strictEqual(left, '0');
  });
});
