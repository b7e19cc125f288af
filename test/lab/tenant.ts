// Helpers for the hostile tenant (test/lab/tenant.sh): bring it up and down, read its tenant.json, and
// read the ground truth about its processes straight from /proc on this machine (the lab's sshd runs
// here), independently of the probe. No vscode import.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

export const TENANT_SH = path.resolve(__dirname, '..', '..', '..', 'test', 'lab', 'tenant.sh');

export interface TenantEnv {
  version: 1;
  uid: number;
  mark: string;
  dir: string;
  stateDir: string;
  ttl: number;
  fifo: string;
  store: string;
  runroot: string;
  runtime: string;
  runtimeLog: string;
  socketLog: string;
  sockets: string[];
  wrapLog: string;
  /** "NAME=REAL_PATH" of each wrapper installed in /usr/local/sbin */
  wrappers: string[];
  wrappersSkipped: string[];
  /** roles whose top process poses as a container engine (a warning must name its PID) */
  fakeEngineRoles: string[];
  /** a PID no process can have, used in injected process lines */
  phantomPid: number;
  /** the lab's real containers the tenant impersonates */
  targets: { nspawn: string; lxc: string; podmanId: string; taskId: string };
}

export interface TenantProcess {
  pid: number;
  ppid: number;
  uid: number;
  role: string;
  /** /proc/PID/comm as the kernel keeps it (trailing newline removed): tabs and escapes literal */
  comm: string;
  args: string[];
}

export function tenantStateDir(): string {
  return process.env.NSX_TENANT_STATE || '/run/nsx-tenant';
}

function runTenant(cmd: 'up' | 'down'): void {
  const r = spawnSync('bash', [TENANT_SH, cmd], { encoding: 'utf8', timeout: 90_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    throw new Error(`tenant.sh ${cmd} failed (exit ${r.status ?? r.signal}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

export function tenantUp(): TenantEnv {
  runTenant('up');
  return loadTenant();
}

export function tenantDown(): void {
  runTenant('down');
}

export function loadTenant(): TenantEnv {
  return JSON.parse(fs.readFileSync(path.join(tenantStateDir(), 'tenant.json'), 'utf8')) as TenantEnv;
}

function readOr(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every process of the tenant: uid 65534 and the tenant's mark in its environment. */
export function tenantProcesses(env: TenantEnv): TenantProcess[] {
  const out: TenantProcess[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    let environ: Buffer;
    try {
      environ = fs.readFileSync(`/proc/${name}/environ`);
    } catch {
      continue;
    }
    const vars = environ.toString('utf8').split('\0');
    if (!vars.includes(`NSX_TENANT_MARK=${env.mark}`)) {
      continue;
    }
    const status = readOr(`/proc/${name}/status`);
    const comm = readOr(`/proc/${name}/comm`);
    const cmdline = readOr(`/proc/${name}/cmdline`);
    if (status === undefined || comm === undefined || cmdline === undefined) {
      continue;
    }
    const uid = Number(/^Uid:\t(\d+)/m.exec(status)?.[1] ?? -1);
    if (uid !== env.uid) {
      continue;
    }
    out.push({
      pid: Number(name),
      ppid: Number(/^PPid:\t(\d+)/m.exec(status)?.[1] ?? -1),
      uid,
      role: vars.find((v) => v.startsWith('NSX_TENANT_ROLE='))?.slice('NSX_TENANT_ROLE='.length) ?? '',
      comm: comm.replace(/\n$/, ''),
      args: cmdline.split('\0').slice(0, -1),
    });
  }
  return out.sort((a, b) => a.pid - b.pid);
}

/** The process of a role that poses as the engine (its parent is not of the same role). */
export function roleLeader(procs: TenantProcess[], role: string): TenantProcess | undefined {
  const mine = procs.filter((p) => p.role === role);
  return mine.find((p) => !mine.some((q) => q.pid === p.ppid));
}

/** Every file and directory below dir (relative paths, sorted); [] when dir is missing. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string, depth: number): void => {
    if (depth > 12 || out.length > 10_000) {
      return;
    }
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      out.push(r);
      if (e.isDirectory()) {
        walk(r, depth + 1);
      }
    }
  };
  walk('', 0);
  return out.sort();
}

/**
 * Wakes every reader blocked opening the FIFO (a writer appears: O_RDWR never blocks on Linux), and
 * says which processes were blocked in a FIFO open just before (by /proc/PID/wchan).
 */
export function releaseFifo(fifo: string): string[] {
  const blocked: string[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) {
      continue;
    }
    const wchan = readOr(`/proc/${name}/wchan`) ?? '';
    if (/fifo_open|wait_for_partner/.test(wchan)) {
      const cmd = (readOr(`/proc/${name}/cmdline`) ?? '').split('\0').filter(Boolean);
      // awk's program text is long: name the process by its first words.
      blocked.push(`${name} ${wchan} ${cmd.slice(0, 3).map((a) => a.slice(0, 60)).join(' ')}`);
    }
  }
  try {
    fs.closeSync(fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
  } catch {
    // gone already
  }
  return blocked;
}

/**
 * Runs fn while a watchdog releases the FIFO: from `afterMs` on, every 300 ms (bounded: at most
 * maxRounds). Returns fn's result and what the watchdog saw.
 */
export async function withFifoWatchdog<T>(
  fifo: string,
  afterMs: number,
  fn: () => Promise<T>,
  maxRounds = 400,
): Promise<{ value?: T; error?: Error; ms: number; releases: number; blocked: string[] }> {
  const start = Date.now();
  let releases = 0;
  const blocked = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const tick = (): void => {
    if (releases >= maxRounds) {
      return;
    }
    const b = releaseFifo(fifo);
    if (b.length) {
      releases++;
      b.forEach((x) => blocked.add(x));
    }
    timer = setTimeout(tick, 300);
  };
  timer = setTimeout(tick, afterMs);
  try {
    const value = await fn();
    return { value, ms: Date.now() - start, releases, blocked: [...blocked] };
  } catch (err) {
    return { error: err as Error, ms: Date.now() - start, releases, blocked: [...blocked] };
  } finally {
    clearTimeout(timer);
  }
}
