import * as assert from 'assert';
import { needTool } from '../../support/needTool';
import { mark, probeText } from './probeFormat';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { discover, DiscoveryCache, probeArgv } from '../../../src/discovery/discover';
import { dockerState, parseEngineFiles, shimRuntime } from '../../../src/discovery/parseEngineFiles';
import { parseProbeOutput, ProbeStreamParser, Section } from '../../../src/discovery/parseProbe';
import { PROBE_SCRIPT } from '../../../src/discovery/probeScript';
import { ExecOptions, ExecResult, HostConnection, HostInfo } from '../../../src/host/hostConnection';
import { ProcessInfo } from '../../../src/model/snapshot';
import { REPO_ROOT } from './probeScriptSource';
import type { TruthFile } from '../../lab/captureFixtures';

const fixture = (name: string): string => fs.readFileSync(path.join(REPO_ROOT, 'test/unit/discovery/fixtures', name), 'utf8');

function proc(pid: number, ppid: number, comm: string, cmdline: string): ProcessInfo {
  return { pid, ppid, uid: 0, comm, cmdline, nspid: [pid], ns: {} };
}

describe('engines from their state files (lab-files.probe.txt, captured with lab.sh up)', () => {
  const text = fixture('lab-files.probe.txt');
  const full = parseProbeOutput(text);
  const tree = parseProbeOutput(text.slice(0, text.indexOf('\n', text.indexOf(mark('tree-end'))) + 1));
  const key = (c: { engine: string; name: string; state: string; pid?: number }) => `${c.engine}/${c.name}/${c.state}/${c.pid ?? '-'}`;

  it('finds every lab container, with its init PID, before the tree-end mark', () => {
    // What docker, podman, ctr, nspawn and LXC themselves listed when the fixture was captured.
    const listed = (JSON.parse(fixture('truth.json')) as TruthFile).captures['lab-files.probe.txt'].containers;
    assert.deepStrictEqual(tree.containers.map((c) => `${c.engine}/${c.name}`).sort(), listed.map((c) => `${c.engine}/${c.name}`).sort());
    for (const c of tree.containers.filter((x) => x.state === 'running' && !x.sandboxed)) {
      const p = tree.processes.find((x) => x.pid === c.pid);
      assert.ok(p, `${c.name}: pid ${c.pid} is a listed process`);
      assert.deepStrictEqual(c.ns, p.ns, `${c.name}: namespaces are its init's`);
    }
  });

  it('gives the same containers in the tree part as the whole probe with the engine CLIs (lab.probe.txt), which adds the ctr image', () => {
    const withClis = parseProbeOutput(fixture('lab.probe.txt'));
    assert.deepStrictEqual(tree.containers.map(key).sort(), withClis.containers.map(key).sort());
    assert.deepStrictEqual(full.containers.map(key).sort(), withClis.containers.map(key).sort());
    assert.strictEqual(tree.containers.find((c) => c.name === 'lab-ctr1')?.image, '');
    assert.strictEqual(withClis.containers.find((c) => c.name === 'lab-ctr1')?.image, 'docker.io/library/nsx-busybox:lab');
  });

  it('reads docker names, images, states and runtimes from config.v2.json and hostconfig.json', () => {
    const stopped = tree.containers.find((c) => c.name === 'lab-stopped')!;
    assert.strictEqual(stopped.state, 'exited');
    assert.strictEqual(stopped.pid, undefined);
    assert.deepStrictEqual(stopped.ns, {});
    const c1 = tree.containers.find((c) => c.name === 'lab-c1')!;
    assert.strictEqual(c1.image, 'nsx-busybox:lab');
    assert.strictEqual(c1.runtime, 'runc');
    assert.deepStrictEqual(c1.sharedWith?.net, ['lab-c2']);
  });

  it('names the podman image from the store metadata and the store by its root', () => {
    const p = tree.containers.find((c) => c.name === 'lab-p1')!;
    assert.strictEqual(p.image, 'localhost/nsx-busybox:lab');
    assert.strictEqual(p.engineNamespace, '/var/lib/nsx-lab-podman/storage');
    assert.strictEqual(tree.processes.find((x) => x.pid === p.pid)?.comm, 'sleep');
  });

  it('marks a tree-part snapshot as such: no interfaces, no parent namespaces yet', () => {
    assert.strictEqual(tree.host.scope, 'tree');
    assert.strictEqual(full.host.scope, 'full');
    assert.strictEqual(tree.interfaces.length, 0);
    assert.ok(full.interfaces.length > 0);
    assert.ok(full.namespaces.some((n) => n.type === 'pid' && n.parent !== undefined));
    assert.ok(!tree.host.warnings.some((w) => /lsns/.test(w)), tree.host.warnings.join('; '));
  });

  it('leaves out the probe itself and everything it started', () => {
    const shellpid = Number(/^shellpid=(\d+)$/m.exec(text)![1]);
    assert.ok(text.includes(`\n${shellpid} `) && text.includes(`\n${shellpid}:sh\n`), 'the capture holds the probe shell');
    assert.ok(!full.processes.some((p) => p.pid === shellpid || p.ppid === shellpid));
    assert.ok(!full.processes.some((p) => p.cmdline.includes('@@nsx-probe') || /^(stat -L|grep -asHz) /.test(p.cmdline)));
  });
});

describe('parseEngineFiles', () => {
  it('maps docker state flags like docker does', () => {
    assert.strictEqual(dockerState({ Running: true }), 'running');
    assert.strictEqual(dockerState({ Running: true, Paused: true }), 'paused');
    assert.strictEqual(dockerState({ Running: true, Restarting: true }), 'restarting');
    assert.strictEqual(dockerState({ Dead: true, StartedAt: '2026-01-01T00:00:00Z' }), 'dead');
    assert.strictEqual(dockerState({ RemovalInProgress: true }), 'removing');
    assert.strictEqual(dockerState({ StartedAt: '0001-01-01T00:00:00Z' }), 'created');
    assert.strictEqual(dockerState({ StartedAt: '2026-11-30T23:06:15Z' }), 'exited');
    assert.strictEqual(dockerState(undefined), 'unknown');
  });

  it('names shim runtimes as ctr does', () => {
    assert.strictEqual(shimRuntime('/usr/bin/containerd-shim-runc-v2'), 'io.containerd.runc.v2');
    assert.strictEqual(shimRuntime('containerd-shim-kata-v2'), 'io.containerd.kata.v2');
    assert.strictEqual(shimRuntime('bash'), undefined);
  });

  it('reads CRI pods from bundle annotations, folds sandboxes, and tells stopped tasks by their dead init', () => {
    const processes = [
      proc(100, 1, 'containerd-shim', '/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id sbx1 -address /run/containerd/containerd.sock'),
      proc(101, 100, 'pause', '/pause'),
      proc(102, 100, 'nginx', 'nginx -g daemon off;'),
      proc(200, 1, 'containerd-shim', '/usr/bin/containerd-shim-runc-v2 -namespace default -id web -address /run/containerd/containerd.sock'),
    ];
    const b = '/proc/100/cwd/..';
    const sections: Section[] = [
      { name: 'state-files', args: [], lines: [`${b}/sbx1/init.pid:101`, `${b}/app1/init.pid:102`, '/proc/200/cwd/../web/init.pid:999', '/proc/200/cwd/../web2/init.pid:201'] },
      {
        name: 'cri-annotations',
        args: [],
        lines: [
          `${b}/sbx1/config.json:"io.kubernetes.cri.container-type":"sandbox"`,
          `${b}/sbx1/config.json:"io.kubernetes.cri.sandbox-name":"web-7d9"`,
          `${b}/app1/config.json:"io.kubernetes.cri.container-type":"container"`,
          `${b}/app1/config.json:"io.kubernetes.cri.container-name":"nginx"`,
          `${b}/app1/config.json:"io.kubernetes.cri.image-name":"docker.io/library/nginx:1.27"`,
          `${b}/app1/config.json:"io.kubernetes.cri.sandbox-id":"sbx1"`,
          `${b}/app1/config.json:"io.kubernetes.cri.sandbox-name":"web-7d9"`,
          `${b}/app1/config.json:"io.kubernetes.cri.sandbox-namespace":"shop"`,
        ],
      },
    ];
    const f = parseEngineFiles(sections, processes, new Set([100, 200]));
    assert.deepStrictEqual([...f.criSandboxIds], ['sbx1']);
    assert.strictEqual(f.cri.length, 1);
    assert.deepStrictEqual(
      { name: f.cri[0].name, image: f.cri[0].image, pid: f.cri[0].pid, pod: f.cri[0].pod },
      { name: 'nginx', image: 'docker.io/library/nginx:1.27', pid: 102, pod: { name: 'web-7d9', namespace: 'shop', id: 'sbx1' } },
    );
    assert.deepStrictEqual(f.tasks.get('default/web'), { namespace: 'default', id: 'web', pid: 999, status: 'stopped', runtime: 'io.containerd.runc.v2', address: '/run/containerd/containerd.sock' });
    assert.strictEqual(f.tasks.get('default/web2')?.status, 'stopped', 'pid 201 is not a listed process');
  });

  it('joins podman store entries to their conmon child, and keeps containers without one as stopped', () => {
    const id1 = 'a'.repeat(64);
    const id2 = 'b'.repeat(64);
    const processes = [proc(300, 1, 'conmon', `/usr/bin/conmon --api-version 1 -c ${id1} -u ${id1} -n web`), proc(301, 300, 'httpd', 'httpd -DFOREGROUND')];
    const entries = [
      { id: id1, names: ['web'], image: 'f'.repeat(64), metadata: JSON.stringify({ 'image-name': 'docker.io/library/httpd:2.4', name: 'web' }) },
      { id: id2, names: ['job'], image: 'e'.repeat(64), metadata: '{}' },
    ];
    const f = parseEngineFiles([{ name: 'state-files', args: [], lines: [`/var/lib/containers/storage/overlay-containers/containers.json:${JSON.stringify(entries)}`] }], processes, new Set([300]));
    assert.deepStrictEqual(
      f.podman.map((c) => [c.name, c.image, c.state, c.pid, c.engineNamespace]),
      [
        ['web', 'docker.io/library/httpd:2.4', 'running', 301, undefined],
        ['job', 'eeeeeeeeeeee', 'stopped', undefined, undefined],
      ],
    );
  });

  it('ignores torn JSON and files of other kinds', () => {
    const f = parseEngineFiles(
      [{ name: 'state-files', args: [], lines: [`/var/lib/docker/containers/${'c'.repeat(64)}/config.v2.json:{"ID":"${'c'.repeat(64)}","Sta`, '/proc/1/status:Name:\tinit'] }],
      [],
      new Set(),
    );
    assert.deepStrictEqual([f.docker.length, f.podman.length, f.tasks.size], [0, 0, 0]);
  });

  it('lists an LXC container from its monitor process, with the monitor\'s child as init', () => {
    const text = (verdict: string) =>
      probeText(
        [
          '@@nsx-probe 2',
          '@@host',
          'shellpid=9999',
          '@@files',
          '/proc/50/status:Name:\tlxc-start',
          '/proc/50/status:PPid:\t1',
          '/proc/51/status:Name:\tinit',
          '/proc/51/status:PPid:\t50',
          '@@cmdline',
          '/proc/50/cmdline:[lxc monitor] /var/lib/lxc c1',
          '/proc/51/cmdline:/sbin/init',
          '@@engine-procs',
          `50 ${verdict}`,
          '',
        ].join('\n'),
      );
    const s = parseProbeOutput(text('ok'));
    assert.deepStrictEqual(
      s.containers.map((c) => [c.engine, c.name, c.state, c.pid]),
      [['lxc', 'c1', 'running', 51]],
    );
    // The same monitor, not verified by the probe (another user's): an ordinary process, and a warning.
    const t = parseProbeOutput(text('uids 65534 65534 65534 65534'));
    assert.deepStrictEqual(t.containers, []);
    assert.ok(t.processes.some((p) => p.pid === 50 && p.comm === 'lxc-start'));
    assert.ok(t.host.warnings.some((w) => w.startsWith('Process 50 (lxc-start) looks like a container engine') && w.includes('uid 65534')), t.host.warnings.join('\n'));
  });
});

/** The awk program of the probe, run alone. */
const procAwk = (): string => {
  const m = /\nPROC_AWK='([^']*)'\n/.exec(PROBE_SCRIPT);
  const e = /\nESC_AWK='([^']*)'\n/.exec(PROBE_SCRIPT);
  assert.ok(m && e, 'PROC_AWK and ESC_AWK in the probe');
  return e[1] + m[1];
};

describe('the probe\'s process reader and engine detector (awk)', () => {
  let dir: string;
  // argv lists as /proc/PID/cmdline holds them, under DIR/proc (PIDs that do not exist, so the daemons'
  // own /proc files are not found).
  const cmdlines = (): Array<[number, string[]]> => [
    [999001, ['/usr/bin/dockerd', '-H', 'unix:///var/run/docker.sock', '-H', 'tcp://0.0.0.0:2375', '--data-root=/srv/docker']],
    [999002, ['containerd', '--config', path.join(dir, 'containerd.toml')]],
    [999003, ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'x', '-address', '/srv/ctd.sock']],
    [999004, ['/usr/bin/containerd-shim-runc-v2', '-namespace', 'k8s.io', '-id', 'y', '-address', '/srv/ctd.sock']],
    [999005, ['/usr/bin/conmon', '-c', 'id1', '--exit-command-arg', '--root', '--exit-command-arg', '/srv/pm', '--exit-command-arg', '--runroot=/run/pm', '--exit-command-arg', 'cleanup']],
    [999006, ['/bin/sleep', 'arg with\nnewline', '--data-root', '/not/a/daemon']],
    [999007, ['x'.repeat(400)]],
    [999008, ['/tmp/x/systemd-nspawn', '-M', 'web']],
    // Another user's "dockerd" whose argument would forge findings (a T line for itself, a shim).
    [999009, ['dockerd', '--data-root', 'x\nT\x1f999009\x1f1\nS\x1f999009\x1fk8s.io\x1fa\nN\x1f1\x1f/tmp/fifo']],
  ];
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-awk-'));
    fs.writeFileSync(path.join(dir, 'containerd.toml'), 'version = 2\nroot = "/srv/ctd"\n[grpc]\n  address = "/srv/ctd.sock"\n');
    for (const [pid, argv] of cmdlines()) {
      fs.mkdirSync(path.join(dir, 'proc', String(pid)), { recursive: true });
      fs.writeFileSync(path.join(dir, 'proc', String(pid), 'cmdline'), argv.map((a) => `${a}\0`).join(''));
    }
    const p1 = path.join(dir, 'proc', '999001');
    fs.writeFileSync(path.join(p1, 'status'), 'Name:\tdockerd\nUmask:\t0022\nState:\tS (sleeping)\nPPid:\t1\nUid:\t0\t0\t0\t0\nNSpid:\t999001\n');
    fs.writeFileSync(path.join(p1, 'uid_map'), '         0          0 4294967295\n');
    fs.writeFileSync(path.join(p1, 'cgroup'), '2:pids:/system.slice\n1:name=systemd:/system.slice\n0::/system.slice/docker.service\n');
    // The task name in stat is raw: the fields after it are found from its last ") ".
    fs.writeFileSync(path.join(p1, 'stat'), '999001 (a) b) S 1 999001 999001 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 10 18446744073709551615\n');
    // Another user's process that names itself with a tab and an ESC, and claims to be nspawn.
    const p8 = path.join(dir, 'proc', '999008');
    fs.writeFileSync(path.join(p8, 'status'), 'Name:\tev\til\x1b\nState:\tS (sleeping)\nPPid:\t1\nUid:\t65534\t65534\t65534\t65534\nNSpid:\t999008\n');
    fs.writeFileSync(path.join(p8, 'stat'), '999008 (ev\til\x1b) S 1 9 9 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 777 1 1 1\n');
    fs.writeFileSync(path.join(dir, 'plain'), '12\n');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const pids = (): string[] => cmdlines().map(([pid]) => path.join(dir, 'proc', String(pid)));
  const trLines = (): Buffer => Buffer.from(cmdlines().flatMap(([pid, argv]) => argv.map((a) => `${path.join(dir, 'proc', String(pid))}/cmdline:${a.replace(/\n/g, '\x1f')}\n`)).join(''));
  // Each candidate's findings with its PID, no file opened (the containerd config is read by the shell
  // once verify has vouched for it); every shim, conmon and nspawn is a candidate, checked against
  // its uids: a root dockerd outside the probe's mount namespace (unknown here) and another user's
  // "systemd-nspawn" are not root's own (U).
  const want = [
    'D|999001|/srv/docker|/run/docker.sock|',
    'F|999002|DIR/containerd.toml',
    'R|999002|',
    'S|999003|k8s.io|/srv/ctd.sock',
    'S|999004|k8s.io|/srv/ctd.sock',
    'M|999005|--root=/srv/pm|--runroot=/run/pm',
    // No finding from an argument with a control character: the process is no candidate.
    'U|999009|ctrl',
    'U|999001|0 0 0 0',
    'U|999008|65534 65534 65534 65534',
  ];
  const clean = (l: string): string => l.split(String.fromCharCode(0x1f)).join('|').split(dir).join('DIR');
  /** The findings alone (no -v out): on stdout. */
  const run = (awk: string[], z: string, input?: Buffer): string[] =>
    execFileSync(awk[0], [...awk.slice(1), '-v', `z=${z}`, procAwk(), ...pids()], { input: input ?? '', encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(clean);

  const awks: Array<[string, string[]]> = [['awk', ['awk']], ['busybox awk', ['busybox', 'awk']]];
  for (const [name, awk] of awks) {
    it(`${name}: finds daemons by argv[0] only, with their sockets, roots, namespaces and podman stores (lines on stdin)`, function () {
      needTool(this, [...awk, 'BEGIN{}'], awk[0] === 'busybox' ? 'busybox-static' : 'mawk');
      assert.deepStrictEqual(run(awk, '0', trLines()), want);
    });
  }
  it('mawk: reads the NUL-terminated command lines itself (z=1) to the same findings', function () {
    needTool(this, ['mawk', '-W', 'version'], 'mawk');
    assert.deepStrictEqual(run(['mawk'], '1'), want);
  });
  it('prints namespace links, arguments, status and cgroup compactly, then uid maps and plain files, and lists network namespaces', function () {
    needTool(this, ['mawk', '-W', 'version'], 'mawk');
    const det = path.join(dir, 'det');
    const mountinfo = path.join(dir, 'mountinfo');
    fs.writeFileSync(mountinfo, [
      '22 1 0:21 / / rw - ext4 /dev/vda rw',
      '400 22 0:4 net:[4026532300] /run/netns/blue rw - nsfs nsfs rw',
      '401 22 0:4 net:[4026532400] /run/netns/with\\040space rw - nsfs nsfs rw',
      '402 22 0:4 net:[4026532300] /run/netns/blue-again rw - nsfs nsfs rw',
      '',
    ].join('\n'));
    const p1 = path.join(dir, 'proc', '999001');
    const stat = [
      '/proc/50/ns/net 4026531840',
      '/proc/50/ns/mnt 4026531841',
      '/proc/50/ns/user 4026531837',
      '/proc/60/ns/net 4026532300',
      '/proc/70/ns/net 4026532500',
      '/proc/71/ns/net 4026532500',
      '/proc/70/ns/pid 4026531836',
      `${p1}/ns/mnt 4026531841`,
      `${p1}/ns/user 4026531837`,
      '',
    ].join('\n');
    const out = execFileSync('mawk', ['-v', 'z=1', '-v', `out=${det}`, '-v', 'cg=^0::', '-v', 'self=50', '-v', 'M=@@', procAwk(), ...pids(), path.join(dir, 'plain'), mountinfo], { input: stat, encoding: 'utf8' });
    const lines = out.trimEnd().split('\n').map(clean);
    const at = (mark: string) => lines.indexOf(mark);
    assert.deepStrictEqual(lines.slice(0, at('@@args 1')), [
      '@@nsp',
      '50 4026531840 - 4026531841 - - 4026531837 - -',
      '60 4026532300 - - - - - - -',
      '70 4026532500 4026531836 - - - - - -',
      '71 4026532500 - - - - - - -',
      '999001 - - 4026531841 - - 4026531837 - -',
    ]);
    const args = lines.slice(at('@@args 1') + 1, at('@@procs'));
    assert.strictEqual(args.length, cmdlines().reduce((n, [, a]) => n + a.length, 0));
    assert.ok(args.includes('999006:arg with%0Anewline'), 'a newline inside an argument is escaped');
    assert.ok(args.includes('999001:/usr/bin/dockerd'));
    assert.strictEqual(args[args.indexOf('999008:/tmp/x/systemd-nspawn') - 1], `999007:${'x'.repeat(290)}`);
    // Uids in full, the start time after the last ") " of stat, names and cgroups escaped: a tab in a
    // name is %09, never a field.
    assert.deepStrictEqual(lines.slice(at('@@procs') + 1, at('@@files')), [
      '999001\tdockerd\tS\t1\t0 0 0 0\t999001\t12345\t0::/system.slice/docker.service',
      '999008\tev%09il%1B\tS\t1\t65534 65534 65534 65534\t999008\t777',
    ]);
    assert.deepStrictEqual(lines.slice(at('@@files') + 1), [
      'DIR/proc/999001/uid_map:         0          0 4294967295',
      'DIR/plain:12',
      ...fs.readFileSync(mountinfo, 'utf8').trimEnd().split('\n').map((l) => `DIR/mountinfo:${l}`).map(clean),
    ]);
    const found = fs.readFileSync(det, 'utf8').split('\n').filter(Boolean).map(clean);
    // Here the dockerd is root's own in the probe's (PID 50's) user and mount namespaces: T, with its start time.
    assert.deepStrictEqual(found.slice(0, want.length), want.map((l) => (l === 'U|999001|0 0 0 0' ? 'T|999001|12345' : l)));
    // One entry per network namespace: the probe's own, then nsfs mounts (not one with an escape, not a
    // second mount of the same), then processes of the others.
    assert.deepStrictEqual(found.slice(want.length), ['N|4026531840|-', 'N|4026532300|/run/netns/blue', 'N|4026532500|/proc/70/ns/net']);
  });

  // Each awk at hand (gawk too when installed) reads the same from the same input, and ends even with no
  // nsfs mount at all (a host without named netns).
  const readers: Array<[string, string[]]> = [['mawk', ['mawk']], ['gawk', ['gawk']], ['busybox awk', ['busybox', 'awk']]];
  for (const [name, awk] of readers) {
    it(`${name}: the same sections and findings, and an end without nsfs mounts`, function () {
      needTool(this, [...awk, 'BEGIN{}'], { mawk: 'mawk', gawk: 'gawk', busybox: 'busybox-static' }[awk[0]] ?? awk[0]);
      const z = name === 'busybox awk' ? '0' : '1';
      const det = path.join(dir, `det-${awk[0]}`);
      const stat = ['/proc/50/ns/net 4026531840', '/proc/70/ns/net 4026532500', ''].join('\n');
      const input = z === '1' ? stat : stat + trLines().toString();
      const out = execFileSync(awk[0], [...awk.slice(1), '-v', `z=${z}`, '-v', `out=${det}`, '-v', 'cg=^0::', '-v', 'self=50', '-v', 'M=@@', procAwk(), ...pids(), path.join(dir, 'plain')], { input, encoding: 'utf8', timeout: 10_000 });
      const lines = out.trimEnd().split('\n').map(clean);
      assert.deepStrictEqual(lines.slice(0, 4), ['@@nsp', '50 4026531840 - - - - - - -', '70 4026532500 - - - - - - -', `@@args ${z}`]);
      // Through grep -z and tr (z=0), a newline inside an argument arrives as \037, escaped as such.
      assert.ok(lines.includes(z === '1' ? '999006:arg with%0Anewline' : '999006:arg with%1Fnewline'));
      assert.ok(lines.includes('999001\tdockerd\tS\t1\t0 0 0 0\t999001\t12345\t0::/system.slice/docker.service'));
      assert.ok(lines.includes('999008\tev%09il%1B\tS\t1\t65534 65534 65534 65534\t999008\t777'));
      assert.strictEqual(lines[lines.length - 1], 'DIR/plain:12');
      const found = fs.readFileSync(det, 'utf8').split('\n').filter(Boolean).map(clean);
      assert.deepStrictEqual(found, [...want, 'N|4026531840|-', 'N|4026532500|/proc/70/ns/net']);
    });
  }
});

class ScriptedConnection implements HostConnection {
  readonly id = 'fake';
  readonly label = 'fake host';
  readonly state = { kind: 'connected' as const };
  argvs: Array<readonly string[]> = [];
  constructor(private readonly outputs: string[]) {}
  onStateChange() {
    return { dispose() {} };
  }
  async connect(): Promise<HostInfo> {
    return { label: this.label, user: 'root', uid: 0, privilege: 'root' };
  }
  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.argvs.push(argv);
    const out = this.outputs.shift() ?? '';
    // In two chunks, split inside the tree part, as a stream would.
    const cut = Math.max(1, out.indexOf(mark('tree-end')) - 5);
    options?.onStdout?.(Buffer.from(out.slice(0, cut)));
    options?.onStdout?.(Buffer.from(out.slice(cut)));
    return { code: 0, stdout: out, stderr: '' };
  }
  openPty(): never {
    throw new Error('not supported');
  }
  dispose() {}
}

describe('discover: tree first, and the engine CLIs\' output reused while their databases are unchanged', () => {
  const base = (tail: string) =>
    probeText([
      '@@nsx-probe 2',
      '@@host',
      'hostname=h',
      'shellpid=9999',
      'tools= lsns ip podman',
      '@@files',
      '/proc/1/status:Name:\tinit',
      '/proc/1/status:PPid:\t0',
      '/proc/40/status:Name:\tconmon',
      '/proc/40/status:PPid:\t1',
      '/proc/41/status:Name:\tsleep',
      '/proc/41/status:PPid:\t40',
      '@@state-files',
      `/var/lib/containers/storage/overlay-containers/containers.json:[{"id":"${'a'.repeat(64)}","names":["p1"],"metadata":"{\\"image-name\\":\\"busybox\\"}"},{"id":"${'b'.repeat(64)}","names":["p2"],"metadata":"{}"}]`,
      '@@engine-procs',
      '40 ok',
      '@@cmdline',
      `/proc/40/cmdline:/usr/bin/conmon`,
      `/proc/40/cmdline:-c`,
      `/proc/40/cmdline:${'a'.repeat(64)}`,
      '@@ns',
      '/proc/41/ns/net 4026532001',
      '@@tree-end 1.0',
      '@@ipmode json',
      ...tail.split('\n'),
      '@@end 1.2',
      '',
    ].join('\n'));
  const fp = '/var/lib/containers/storage/libpod/bolt_state.db:11:32768:2026-11-30,20:11:06.1,+0000';
  const cli = `@@cli-fingerprint ${fp}\n@@podman - -\n[{"Id":"${'b'.repeat(64)}","Names":["p2"],"Image":"busybox","State":"created"}]`;

  it('calls onTree once, before the end, with the containers and no interfaces', async () => {
    const conn = new ScriptedConnection([base(cli)]);
    const seen: string[] = [];
    const snap = await discover(conn, {
      onTree: (t) => seen.push(`${t.host.scope}:${t.containers.map((c) => `${c.name}=${c.state}`).join(',')}:${t.interfaces.length}`),
    });
    assert.deepStrictEqual(seen, ['tree:p1=running,p2=stopped:0']);
    assert.deepStrictEqual(snap.containers.map((c) => `${c.name}=${c.state}`).sort(), ['p1=running', 'p2=created']);
    assert.strictEqual(snap.host.scope, 'full');
  });

  it('passes the last fingerprint back and puts the kept sections in when the probe says cli-cached', async () => {
    const cache = new DiscoveryCache();
    const conn = new ScriptedConnection([base(cli), base(`@@cli-fingerprint ${fp}\n@@cli-cached`), base(`@@cli-fingerprint ${fp}X\n@@podman - -\n[]`)]);
    const first = await discover(conn, { cache });
    assert.ok(!conn.argvs[0].includes('--cli-cache'));
    assert.strictEqual(cache.fingerprint, fp);
    const second = await discover(conn, { cache });
    assert.deepStrictEqual(conn.argvs[1].slice(-2), ['--cli-cache', fp]);
    assert.strictEqual(cache.hits, 1);
    assert.deepStrictEqual(second.containers, first.containers);
    // A changed database: the probe ran podman again; its new answer replaces the kept one.
    const third = await discover(conn, { cache });
    assert.strictEqual(cache.fingerprint, `${fp}X`);
    assert.strictEqual(third.containers.find((c) => c.name === 'p2')?.state, 'stopped', 'no podman record: the state file\'s view');
  });

  it('keeps crictl\'s pods with the other CLIs, and takes crictl\'s fresh answer when the probe asked it anyway (CRI-O)', async () => {
    const pods = (name: string) => `@@crictl-pods\n{"items":[{"id":"${'c'.repeat(64)}","metadata":{"name":"${name}","namespace":"default"}}]}\n@@crictl-ps\n{"containers":[{"id":"${'d'.repeat(64)}","podSandboxId":"${'c'.repeat(64)}","metadata":{"name":"app"},"image":{"image":"busybox"},"state":"CONTAINER_RUNNING"}]}`;
    const cache = new DiscoveryCache();
    const conn = new ScriptedConnection([
      base(`${cli}\n${pods('web')}`),
      base(`@@cli-fingerprint ${fp}\n@@cli-cached`),
      base(`@@cli-fingerprint ${fp}\n@@cli-cached\n${pods('api')}`),
    ]);
    const podOf = (s: Awaited<ReturnType<typeof discover>>) => s.containers.filter((c) => c.engine === 'cri').map((c) => `${c.name}@${c.pod?.name}`);
    assert.deepStrictEqual(podOf(await discover(conn, { cache })), ['app@web']);
    assert.deepStrictEqual(podOf(await discover(conn, { cache })), ['app@web'], 'kept while the databases are unchanged');
    assert.deepStrictEqual(podOf(await discover(conn, { cache })), ['app@api'], 'asked anyway: the fresh answer, once');
  });

  it('passes back the paths and engine processes the last probe found root\'s own, plain ones only', async () => {
    const cache = new DiscoveryCache();
    const known = '/var/lib/docker|d /run/docker.sock|s /proc/40/exe@1234|x';
    const conn = new ScriptedConnection([base(`@@known-paths ${known} /bad path|d /x\x1b|d`), base('')]);
    await discover(conn, { cache });
    assert.ok(!conn.argvs[0].includes('--known-paths'), 'nothing known before the first probe');
    await discover(conn, { cache, scope: 'tree' });
    const at = conn.argvs[1].indexOf('--known-paths');
    assert.ok(at > 0, 'the tree probe gets them too');
    assert.strictEqual(conn.argvs[1][at + 1], known);
  });

  it('never sends a fingerprint with control characters, nor for a tree-scope probe', () => {
    assert.ok(!probeArgv([], 'full', 'a\nb').includes('--cli-cache'));
    assert.ok(!probeArgv([], 'tree', 'ab').includes('--cli-cache'));
    assert.deepStrictEqual(probeArgv([], 'full', 'ab').slice(-2), ['--cli-cache', 'ab']);
  });

  it('fires onTreeEnd once, with the sections read until the mark', () => {
    const calls: string[][] = [];
    const p = new ProbeStreamParser(undefined, (s) => calls.push(s.map((x) => x.name)));
    const t = probeText('@@nsx-probe\n@@files\nx\n@@tree-end 1\n@@netns 1 -\n@@end 2\n');
    const cut = t.indexOf('-end 1');
    p.feed(t.slice(0, cut));
    p.feed(t.slice(cut));
    p.finishSections();
    assert.deepStrictEqual(calls, [['nsx-probe', 'files', 'tree-end']]);
  });
});
