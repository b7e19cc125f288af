/**
 * The probe fixtures against what the kernel and the engines said when they were captured
 * (test/lab/captureFixtures.ts writes both: `npm run fixtures`, as root, on the lab). Each fixture is real
 * output of the current probe; truth.json holds docker's, podman's and ctr's own listings, `ip -j -d addr`
 * of every namespace, /proc of the lab's processes and /proc/PID/ns of all, read right after the probe.
 */
import * as assert from 'assert';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseProbeOutput } from '../../../src/discovery/parseProbe';
import type { Snapshot } from '../../../src/model/snapshot';
import { SnapshotIndex } from '../../../src/model/snapshotIndex';
import type { Truth, TruthContainer, TruthFile } from '../../lab/captureFixtures';
import { markNames } from './probeFormat';
import { REPO_ROOT } from './probeScriptSource';

const DIR = path.join(REPO_ROOT, 'test/unit/discovery/fixtures');
const truthFile = JSON.parse(fs.readFileSync(path.join(DIR, 'truth.json'), 'utf8')) as TruthFile;
const probeSh = fs.readFileSync(path.join(REPO_ROOT, 'src/discovery/probe.sh'));
/** Runtimes that run a container in a VM sandbox: the PID the engine reports is the sandbox's, not an init's. */
const VM_RUNTIME = /^(runsc|kata|io\.containerd\.(runsc|kata)\.)/;

describe('probe fixtures: current', () => {
  it('were captured from the current probe.sh (else run `npm run fixtures` as root)', () => {
    const sha = crypto.createHash('sha256').update(probeSh).digest('hex');
    assert.strictEqual(truthFile.probeSha256, sha, 'src/discovery/probe.sh changed after the fixtures were captured: run `sudo npm run fixtures`');
  });

  it('are the files truth.json describes, each holding only marks the probe prints, its process sections among them', () => {
    const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.probe.txt')).sort();
    assert.deepStrictEqual(files, Object.keys(truthFile.captures).sort());
    const printed = new Set([...probeSh.toString().matchAll(/\$\{M\}([a-z-]+)|\bM "([a-z]+)|%s([a-z]+) /g)].map((m) => m[1] ?? m[2] ?? m[3]));
    for (const f of files) {
      const names = new Set(markNames(fs.readFileSync(path.join(DIR, f), 'utf8')).map((m) => m.slice(2)).filter((m) => m !== 'nsx-probe'));
      for (const n of names) {
        assert.ok(printed.has(n), `${f}: @@${n} is not a mark probe.sh prints`);
      }
      for (const n of ['host', 'nsp', 'args', 'procs', 'end']) {
        assert.ok(names.has(n), `${f} has @@${n}`);
      }
    }
  });
});

const key = (c: { engine: string; name: string; running: boolean; pid: number | null }) => `${c.engine}/${c.name}/${c.running ? 'running' : 'stopped'}/pid ${c.pid ?? '-'}`;
/** What the snapshot must say of a container the engine listed. */
const expected = (c: TruthContainer) => ({ ...c, pid: c.runtime && VM_RUNTIME.test(c.runtime) ? null : c.pid });
const ofSnapshot = (s: Snapshot) => s.containers.map((c) => key({ engine: c.engine, name: c.name, running: c.state === 'running', pid: c.pid ?? null })).sort();
const addrs = (xs: Array<{ address: string; prefixLen: number }>) => xs.map((a) => `${a.address}/${a.prefixLen}`).sort();

/** Root's probe of the lab against the same moment's truth. */
function asRoot(file: string, check: (s: Snapshot, t: Truth, text: string) => void = () => undefined, opts: { peers: 'all' | 'known' } = { peers: 'all' }): void {
  describe(`probe fixture ${file}: as the kernel and the engines saw the lab`, () => {
    const text = fs.readFileSync(path.join(DIR, file), 'utf8');
    const t = truthFile.captures[file];
    const s = parseProbeOutput(text);
    const index = new SnapshotIndex(s);

    it('names the host and the probe\u2019s uid', () => {
      assert.strictEqual(s.host.hostname, t.hostname);
      assert.strictEqual(s.host.kernel, t.kernel);
      assert.strictEqual(s.host.uid, t.uid);
      assert.strictEqual(s.host.privileged, true);
    });

    it('lists exactly the containers docker, podman, ctr, nspawn and LXC listed, with their init PIDs', () => {
      assert.ok(t.containers.length >= 10, `${t.containers.length} containers on the lab`);
      assert.deepStrictEqual(ofSnapshot(s), t.containers.map(expected).map(key).sort());
      for (const c of t.containers.filter((x) => x.runtime && VM_RUNTIME.test(x.runtime))) {
        assert.strictEqual(s.containers.find((x) => x.name === c.name)?.sandboxed, true, `${c.name} runs under ${c.runtime}`);
      }
    });

    it('gives each running container its init\u2019s namespaces', () => {
      for (const c of s.containers.filter((x) => x.pid !== undefined)) {
        const p = s.processes.find((x) => x.pid === c.pid);
        assert.ok(p, `${c.name}: its pid ${c.pid} is a listed process`);
        assert.deepStrictEqual(c.ns, p.ns, `${c.name}`);
      }
    });

    it('lists the named netns with their inodes, also one no process is in', () => {
      assert.deepStrictEqual(s.netns.map((n) => ({ name: n.name, inode: n.inode })).sort((a, b) => a.name.localeCompare(b.name)), t.netns);
      const empty = t.netns.filter((n) => !t.kernelNs.includes(`net:${n.inode}`));
      assert.ok(empty.length > 0, 'the lab has a netns without processes');
      for (const n of empty) {
        const ns = s.namespaces.find((x) => x.type === 'net' && x.inode === n.inode);
        assert.deepStrictEqual(ns && { pids: ns.pids, nsfs: ns.nsfsPaths }, { pids: [], nsfs: [`/run/netns/${n.name}`] }, n.name);
      }
    });

    it('shows every link of the host and the named netns with its ifindex, kind, addresses and bridge', () => {
      assert.ok(t.links.length > 10);
      for (const l of t.links) {
        const i = s.interfaces.find((x) => x.ns === l.ns && x.name === l.name);
        assert.ok(i, `${l.name} in netns ${l.ns}`);
        assert.strictEqual(i.ifindex, l.ifindex, l.name);
        // Without ip's JSON (busybox), a kind is known only with a peer (a veth); the rest show their link type.
        if (l.kind && (opts.peers === 'all' || i.peer)) assert.strictEqual(i.kind, l.kind, l.name);
        assert.deepStrictEqual(addrs(i.addresses), [...l.addresses].sort(), l.name);
        assert.strictEqual(i.master, l.master, `${l.name}'s bridge`);
      }
    });

    it(opts.peers === 'all' ? 'pairs each veth end with its true peer, both ways' : 'pairs a veth end only with its true peer, else says unknown', () => {
      assert.ok(t.veths.length >= 3);
      for (const v of t.veths) {
        for (const [x, y] of [[v.a, v.b], [v.b, v.a]]) {
          const end = s.interfaces.find((i) => i.ns === x.ns && i.name === x.name);
          assert.ok(end, `${x.name} in ${x.ns}`);
          const peer = end.peer && index.interface(end.peer.ns, end.peer.ifindex);
          if (opts.peers === 'known' && !peer) continue;
          assert.deepStrictEqual(peer && { name: peer.name, ns: peer.ns }, y, `${x.name}'s peer`);
        }
      }
    });

    it('reads the lab\u2019s processes as /proc shows them: name, arguments, parent, uid, PID at each level, namespaces', () => {
      for (const p of t.processes) {
        const q = s.processes.find((x) => x.pid === p.pid);
        assert.ok(q, `pid ${p.pid} (${p.comm})`);
        assert.deepStrictEqual(
          { comm: q.comm, cmdline: q.cmdline, ppid: q.ppid, uid: q.uid, nspid: q.nspid, ns: q.ns },
          { comm: p.comm, cmdline: p.cmdline, ppid: p.ppid, uid: p.uid, nspid: p.nspid, ns: p.ns },
        );
        for (const [type, inode] of Object.entries(p.ns)) {
          assert.ok(s.namespaces.some((n) => n.type === type && n.inode === inode && n.pids.includes(p.pid)), `${type}:${inode} holds ${p.pid}`);
        }
      }
    });

    it('lists the namespaces the kernel showed (all but those of processes gone before /proc was read)', () => {
      const got = new Set(s.namespaces.map((n) => `${n.type}:${n.inode}`));
      const missing = t.kernelNs.filter((k) => !got.has(k));
      // Only the processes the truth's own readers started between the two reads can be missing.
      assert.ok(missing.length <= 2, `missing ${missing.join(' ')}`);
    });

    check(s, t, text);
  });
}

asRoot('lab.probe.txt', (s) => {
  it('runs the engine CLIs after the tree part, and takes parent and owner namespaces from lsns', () => {
    assert.strictEqual(s.host.scope, 'full');
    assert.ok(s.namespaces.some((n) => n.type === 'pid' && n.parent !== undefined));
    assert.ok(s.namespaces.some((n) => n.type === 'user' && !n.initial && n.parent !== undefined));
  });
});

asRoot('lab-files.probe.txt', (s, _t, text) => {
  it('reused the engine CLIs\u2019 last output: containers from the state files alone', () => {
    assert.ok(markNames(text).includes('@@cli-cached'));
    assert.ok(!markNames(text).includes('@@podman') && !markNames(text).includes('@@ctr-containers'));
    assert.ok(s.containers.length > 0);
  });
});

asRoot('busybox.probe.txt', (s) => {
  it('says what busybox\u2019s tools could not show', () => {
    assert.ok(s.host.warnings.some((w) => /lsns is not installed/.test(w)), s.host.warnings.join(' | '));
    assert.ok(s.host.warnings.some((w) => /no JSON output/.test(w)));
    assert.ok(s.host.warnings.some((w) => /busybox tools only/.test(w)));
    assert.ok(s.namespaces.every((n) => n.parent === undefined), 'no parent without lsns');
  });
}, { peers: 'known' });

asRoot('odd.probe.txt', (s, t) => {
  const tenant = t.tenant ?? {};
  it('shows the hostile tenant\u2019s processes as its own ordinary processes, with their literal names', () => {
    assert.ok(Object.keys(tenant).length >= 10, Object.keys(tenant).join(' '));
    for (const [role, pid] of Object.entries(tenant)) {
      const truth = t.processes.find((p) => p.pid === pid);
      const p = s.processes.find((x) => x.pid === pid);
      assert.ok(truth && p, `${role}: pid ${pid}`);
      assert.strictEqual(p.uid, 65534, role);
      assert.strictEqual(p.comm, truth.comm, role);
      assert.ok(!s.containers.some((c) => c.pid === pid || s.processes.find((x) => x.pid === c.pid)?.uid === 65534), `no container from ${role}`);
    }
  });

  it('warns of each process that looks like an engine but is not root\u2019s own', () => {
    for (const role of ['nspawn', 'lxc', 'conmon', 'dockerd', 'containerd']) {
      const pid = tenant[role];
      assert.ok(pid && s.host.warnings.some((w) => w.startsWith(`Process ${pid} `)), `a warning names ${role}'s pid ${pid}`);
    }
  });

  it('keeps a space and a newline in a task name, a newline inside an argument, and a uid-mapped user namespace', () => {
    const odd = t.processes.find((p) => p.comm === 'sl ep\nx');
    assert.ok(odd && s.processes.find((p) => p.pid === odd.pid)?.cmdline === odd.cmdline);
    const nl = t.processes.find((p) => p.cmdline.includes('arg with\nnewline'));
    assert.ok(nl && s.processes.find((p) => p.pid === nl.pid)?.cmdline === nl.cmdline);
    const mapped = s.processes.find((p) => p.uidMap?.some((m) => m.inside === 0 && m.outside === 65534 && m.count === 1));
    assert.ok(mapped, 'the unshare -r sleep: root inside is nobody outside');
  });
});

describe('probe fixture nosudo.probe.txt: an account without sudo', () => {
  const t = truthFile.captures['nosudo.probe.txt'];
  const s = parseProbeOutput(fs.readFileSync(path.join(DIR, 'nosudo.probe.txt'), 'utf8'));

  it('runs unprivileged, as that account', () => {
    assert.strictEqual(s.host.privileged, false);
    assert.strictEqual(s.host.uid, t.uid);
    assert.notStrictEqual(t.uid, 0);
  });

  it('shows no container rather than a wrong one, and says why docker gave none', () => {
    assert.deepStrictEqual(s.containers, []);
    assert.ok(s.host.warnings.some((w) => /docker on \S+: permission denied/.test(w)), s.host.warnings.join(' | '));
  });

  it('still reads every process\u2019s name, arguments, parent and uid, and the host\u2019s own links', () => {
    for (const p of t.processes) {
      const q = s.processes.find((x) => x.pid === p.pid);
      assert.deepStrictEqual(q && { comm: q.comm, cmdline: q.cmdline, ppid: q.ppid, uid: q.uid }, { comm: p.comm, cmdline: p.cmdline, ppid: p.ppid, uid: p.uid });
    }
    // The host's netns (PID 1's, which only root can read): where the lab's bridge is.
    const hostNs = t.links.find((l) => l.name === 'nsxbr0')!.ns;
    for (const l of t.links.filter((x) => x.ns === hostNs)) {
      assert.ok(s.interfaces.some((i) => i.ns === hostNs && i.name === l.name && i.ifindex === l.ifindex), l.name);
    }
  });
});
