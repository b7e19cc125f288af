/**
 * `npm run fixtures` (scripts/fixtures.js runs this on the lab, as root): captures the unit tests' probe
 * fixtures from the current probe on the lab host, and beside them, in truth.json, what the kernel and the
 * engines said at the same moment. The unit tests parse each fixture and compare with its truth, so their
 * expectations come from the real components, not from the parser; test/unit/discovery/fixtures.test.ts
 * fails when probe.sh changed after the capture.
 *
 *   lab.probe.txt        root, the whole probe (state files, then the engine CLIs)
 *   lab-files.probe.txt  root, the CLIs' output reused (--cli-cache): containers from state files alone
 *   busybox.probe.txt    root, with busybox's applets as the only tools on PATH
 *   nosudo.probe.txt     the lab's account without sudo: what an unprivileged probe sees
 *   odd.probe.txt        root, with the hostile tenant up (test/lab/tenant.sh) and processes with odd names
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { probeArgv } from '../../src/discovery/discover';
import { NS_TYPES } from '../../src/model/snapshot';
import { loadLab, nsOfPid, podmanOf, processNamespaces, type LabEnv } from './labEnv';
import { tenantDown, tenantProcesses, tenantUp } from './tenant';

const REPO = path.resolve(__dirname, '../../..');
const OUT = path.join(REPO, 'test/unit/discovery/fixtures');
const PROBE_SH = path.join(REPO, 'src/discovery/probe.sh');
/** The token every fixture carries (test/unit/discovery/probeFormat.ts TEST_TOKEN), for stable diffs. */
const FIXED_TOKEN = '00000000-0000-4000-8000-000000000001';

export interface TruthContainer {
  engine: string;
  name: string;
  running: boolean;
  /** the host PID the engine reports (for a VM-sandboxed runtime, the sandbox's own process) */
  pid: number | null;
  /** docker's HostConfig.Runtime (runc, runsc, ...) */
  runtime?: string;
}
export interface TruthLink {
  /** inode of the network namespace the link is in */
  ns: number;
  name: string;
  ifindex: number;
  kind: string;
  addresses: string[];
  master?: string;
}
export interface TruthProcess {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  /** argv joined by spaces, as the snapshot's cmdline */
  cmdline: string;
  nspid: number[];
  ns: Record<string, number>;
}
export interface Truth {
  hostname: string;
  kernel: string;
  /** uid the probe ran as */
  uid: number;
  containers: TruthContainer[];
  netns: Array<{ name: string; inode: number }>;
  /** veth pairs (lab.json's) with the inode of each end's namespace, read here */
  veths: Array<{ a: { name: string; ns: number }; b: { name: string; ns: number } }>;
  /** links of the host and of each named netns, from `ip -j -d addr` */
  links: TruthLink[];
  /** the lab's own processes and, in odd.probe.txt, the tenant's and the odd ones, read from /proc */
  processes: TruthProcess[];
  /** "type:inode" of every namespace a process was in, read from /proc/PID/ns right after the probe */
  kernelNs: string[];
  /** in odd.probe.txt: role → pid of the tenant's processes (tenant.json) */
  tenant?: Record<string, number>;
}
export interface TruthFile {
  /** sha256 of src/discovery/probe.sh the fixtures were captured with */
  probeSha256: string;
  capturedAt: string;
  captures: Record<string, Truth>;
}

export function probeSha256(): string {
  return crypto.createHash('sha256').update(fs.readFileSync(PROBE_SH)).digest('hex');
}

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000, maxBuffer: 64 << 20 });
}

/** Runs the probe as `sh -c PROBE sh ARGS`, as the host connection does; returns its output with the fixed token. */
function runProbe(args: string[], opts: { env?: NodeJS.ProcessEnv; user?: string } = {}): string {
  const [cmd, ...rest] = probeArgv();
  // probeArgv() is ['sh', '-c', PROBE, 'sh', ...default args]; the capture's own args come after them.
  const argv = [...rest, ...args];
  const full = opts.user ? ['runuser', '-u', opts.user, '--', cmd, ...argv] : [cmd, ...argv];
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', env: { ...process.env, ...(opts.env ?? {}) }, timeout: 120_000, maxBuffer: 64 << 20, cwd: '/' });
  if (r.status !== 0) {
    throw new Error(`the probe exited ${String(r.status)}: ${r.stderr}`);
  }
  const tok = /^@@nsx-probe \d+ (\S+)$/m.exec(r.stdout)?.[1];
  if (!tok) {
    throw new Error('the probe printed no header');
  }
  return redactForeignArgs(r.stdout.split(`@@${tok} `).join(`@@${FIXED_TOKEN} `).replace(`@@nsx-probe 2 ${tok}`, `@@nsx-probe 2 ${FIXED_TOKEN}`));
}

/**
 * The fixtures are committed: an argument that looks like an environment or a JSON document (this
 * machine's own agents pass such) is replaced, so nothing of the capturing machine's configuration lands
 * in the repository. The lab's processes carry none (their truth is compared whole).
 */
const FOREIGN_ARG = /(^|\s)[A-Z][A-Z0-9_]{2,}=|"[A-Za-z_]+": |^\{/;
const SECRET_WORD = /token|secret|passw/i;
function redactForeignArgs(text: string): string {
  const lines = text.split('\n');
  let inArgs = false;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('@@')) {
      inArgs = / args( \d+)?$/.test(l);
      continue;
    }
    const m = inArgs ? /^(\d+):(.*)$/.exec(l) : null;
    const arg = m ? decodeURIComponent(m[2].replace(/%(?![0-9A-F]{2})/g, '%25')) : '';
    if (m && (FOREIGN_ARG.test(arg) || SECRET_WORD.test(arg))) {
      lines[i] = `${m[1]}:redacted-by-capture`;
    }
  }
  return lines.join('\n');
}

function readProc(pid: number): TruthProcess | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[argv.length - 1] === '') argv.pop();
    return {
      pid,
      ppid: Number(field('PPid')),
      uid: Number(field('Uid').split(/\s+/)[0]),
      comm: fs.readFileSync(`/proc/${pid}/comm`, 'utf8').replace(/\n$/, ''),
      cmdline: argv.join(' '),
      nspid: field('NSpid').split(/\s+/).map(Number),
      ns: nsOfPid(pid) as Record<string, number>,
    };
  } catch {
    return undefined;
  }
}

function containers(lab: LabEnv): TruthContainer[] {
  const out: TruthContainer[] = [];
  const denv = lab.docker.env;
  const ids = sh('docker', ['ps', '-aq', '--no-trunc'], denv).split('\n').filter(Boolean);
  if (ids.length) {
    for (const line of sh('docker', ['inspect', '--format', '{{.Name}} {{.State.Running}} {{.State.Pid}} {{.HostConfig.Runtime}}', ...ids], denv).split('\n').filter(Boolean)) {
      const [name, running, pid, runtime] = line.split(' ');
      out.push({ engine: 'docker', name: name.replace(/^\//, ''), running: running === 'true', pid: running === 'true' ? Number(pid) : null, runtime });
    }
  }
  const pm = podmanOf(lab);
  if (pm) {
    for (const c of JSON.parse(sh('podman', [...pm.flags, 'ps', '-a', '--format', 'json'])) as Array<{ Names: string[]; State: string; Pid: number }>) {
      out.push({ engine: 'podman', name: c.Names[0], running: c.State === 'running', pid: c.State === 'running' ? c.Pid : null });
    }
  }
  const ctr = (lab as unknown as { ctr: { socket?: string; namespace?: string } }).ctr;
  if (ctr.socket && ctr.namespace) {
    const tasks = new Map(
      sh('ctr', ['-a', ctr.socket, '-n', ctr.namespace, 'tasks', 'ls'])
        .split('\n')
        .slice(1)
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/))
        .map(([id, pid, status]) => [id, { pid: Number(pid), running: status === 'RUNNING' }]),
    );
    for (const id of sh('ctr', ['-a', ctr.socket, '-n', ctr.namespace, 'containers', 'ls', '-q']).split('\n').filter(Boolean)) {
      const t = tasks.get(id);
      out.push({ engine: 'containerd', name: id, running: !!t?.running, pid: t?.running ? t.pid : null });
    }
  }
  const extra = lab as unknown as { nspawn: { name?: string; pid?: number | null }; lxc: { name?: string; pid?: number | null } };
  if (extra.nspawn.name) out.push({ engine: 'nspawn', name: extra.nspawn.name, running: !!extra.nspawn.pid, pid: extra.nspawn.pid ?? null });
  if (extra.lxc.name) out.push({ engine: 'lxc', name: extra.lxc.name, running: !!extra.lxc.pid, pid: extra.lxc.pid ?? null });
  return out.sort((x, y) => `${x.engine}/${x.name}`.localeCompare(`${y.engine}/${y.name}`));
}

interface IpAddr {
  ifindex: number;
  ifname: string;
  master?: string;
  linkinfo?: { info_kind?: string };
  addr_info?: Array<{ local: string; prefixlen: number }>;
}

function links(netnsNames: string[]): TruthLink[] {
  const out: TruthLink[] = [];
  const hostNs = nsOfPid(1).net ?? nsOfPid(process.pid).net!;
  const read = (ns: number, argv: string[]) => {
    for (const l of JSON.parse(sh('ip', argv)) as IpAddr[]) {
      out.push({ ns, name: l.ifname, ifindex: l.ifindex, kind: l.linkinfo?.info_kind ?? '', addresses: (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`), ...(l.master ? { master: l.master } : {}) });
    }
  };
  read(hostNs, ['-j', '-d', 'addr', 'show']);
  for (const n of netnsNames) {
    read(fs.statSync(`/run/netns/${n}`).ino, ['-n', n, '-j', '-d', 'addr', 'show']);
  }
  return out;
}

function truth(lab: LabEnv, uid: number, extraPids: number[] = []): Truth {
  const netns = fs
    .readdirSync('/run/netns')
    .sort()
    .map((name) => ({ name, inode: fs.statSync(`/run/netns/${name}`).ino }));
  const nsOfName = (where: string): number => {
    if (where === 'host') return nsOfPid(1).net ?? nsOfPid(process.pid).net!;
    if (where.startsWith('container:')) return nsOfPid(lab.docker.containers[where.slice('container:'.length)].pid!).net!;
    return fs.statSync(`/run/netns/${where}`).ino;
  };
  const labPids = [
    ...Object.values(lab.docker.containers).map((c) => c.pid),
    lab.nested.outerPid,
    lab.nested.innermostPid,
    lab.netns.nsx_a.holderPid,
    lab.sshInner.pid,
    ...extraPids,
  ].filter((p): p is number => typeof p === 'number' && p > 0);
  // Every namespace some process is in, from /proc/PID/ns (lsns gives up on a newline in a task name).
  const kernelNs = processNamespaces();
  return {
    hostname: os.hostname(),
    kernel: os.release(),
    uid,
    containers: containers(lab),
    netns,
    veths: lab.veths.map((v) => ({ a: { name: v.a.name, ns: nsOfName(v.a.netns) }, b: { name: v.b.name, ns: nsOfName(v.b.netns) } })),
    links: links(netns.map((n) => n.name)),
    processes: [...new Set(labPids)].map(readProc).filter((p): p is TruthProcess => !!p),
    kernelNs: [...kernelNs].filter((k) => NS_TYPES.some((t) => k.startsWith(`${t}:`))).sort(),
  };
}

/** Processes with odd names for odd.probe.txt (each a sleep, killed after the capture). */
function startOddProcesses(dir: string): number[] {
  const oddDir = path.join(dir, 'nsx odd');
  fs.mkdirSync(oddDir);
  const sleep = execFileSync('sh', ['-c', 'command -v sleep'], { encoding: 'utf8' }).trim();
  // A task name with a space and a newline (the kernel keeps 15 bytes of argv[0]'s base name).
  const exe = path.join(oddDir, 'sl ep\nx');
  fs.copyFileSync(sleep, exe);
  fs.chmodSync(exe, 0o755);
  const kids = [
    spawn(exe, ['900'], { detached: true, stdio: 'ignore' }),
    spawn('sh', ['-c', 'sleep 900; : arg with\nnewline', 'sh'], { detached: true, stdio: 'ignore' }),
    // A process in a user namespace of its own: uid 0 inside maps to nobody.
    spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'unshare', '-r', '--', sleep, '900'], { detached: true, stdio: 'ignore' }),
  ];
  for (const k of kids) k.unref();
  return kids.map((k) => k.pid!).filter(Boolean);
}

function waitFor(what: string, ok: () => boolean): void {
  for (let i = 0; i < 50; i++) {
    if (ok()) return;
    spawnSync('sleep', ['0.1']);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function main(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('npm run fixtures needs root (it runs the probe as root on the lab host).');
  }
  const lab = loadLab();
  const captures: Record<string, Truth> = {};
  const write = (name: string, text: string, t: Truth) => {
    fs.writeFileSync(path.join(OUT, name), text);
    captures[name] = t;
    process.stdout.write(`fixtures: ${name}: ${text.length} bytes, ${t.containers.length} containers\n`);
  };

  const full = runProbe([]);
  write('lab.probe.txt', full, truth(lab, 0));
  const fp = /^@@\S+ cli-fingerprint (.*)$/m.exec(full)?.[1];
  if (!fp) throw new Error('the lab probe printed no cli-fingerprint (podman or ctr missing?)');
  write('lab-files.probe.txt', runProbe(['--cli-cache', fp]), truth(lab, 0));

  const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-fixtures-bb-'));
  try {
    const busybox = sh('sh', ['-c', 'command -v busybox']).trim();
    for (const a of sh('busybox', ['--list']).split('\n').filter((x) => /^[\w.-]+$/.test(x))) {
      fs.symlinkSync(busybox, path.join(bin, a));
    }
    write('busybox.probe.txt', runProbe([], { env: { NSX_KEEP_PATH: '1', PATH: bin } }), truth(lab, 0));
  } finally {
    fs.rmSync(bin, { recursive: true, force: true });
  }

  write('nosudo.probe.txt', runProbe([], { user: 'nsxnosudo' }), truth(lab, lab.users.nsxnosudo.uid));

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-fixtures-'));
  fs.chmodSync(tmp, 0o755);
  let odd: number[] = [];
  try {
    const tenant = tenantUp();
    odd = startOddProcesses(tmp);
    waitFor('the odd processes', () => odd.every((p) => (readProc(p)?.cmdline ?? '') !== ''));
    const tps = tenantProcesses(tenant);
    const roles = Object.fromEntries(tps.filter((p) => !tps.some((q) => q.pid === p.ppid)).map((p) => [p.role, p.pid]));
    const text = runProbe([]);
    const t = truth(lab, 0, [...odd, ...tps.map((p) => p.pid)]);
    t.tenant = roles;
    write('odd.probe.txt', text, t);
  } finally {
    for (const p of odd) {
      try {
        // Each was started detached, as its own process group: the group takes its children too.
        process.kill(-p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    tenantDown();
    fs.rmSync(tmp, { recursive: true, force: true });
  }

  const file: TruthFile = { probeSha256: probeSha256(), capturedAt: new Date().toISOString(), captures };
  fs.writeFileSync(path.join(OUT, 'truth.json'), JSON.stringify(file, null, 1) + '\n');
  process.stdout.write(`fixtures: truth.json for probe.sh ${file.probeSha256.slice(0, 12)}\n`);
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`fixtures: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
