/**
 * Containers from the engines' own state files (the probe's `state-files` and `cri-annotations`
 * sections), which the probe reads without starting any engine CLI:
 * - docker: `containers/<id>/config.v2.json` and `hostconfig.json` under each daemon's data root;
 * - podman: each store's `<driver>-containers/containers.json`, a running container's init being the
 *   child of the conmon whose `-c` names it;
 * - containerd: each task bundle's `init.pid` (the bundles of a namespace sit beside the bundle a shim
 *   runs in), and for CRI the pod annotations of the bundle's OCI config;
 * - systemd-nspawn: the registrations under /run/systemd/machines.
 * Pure.
 */
import { ContainerInfo, ProcessInfo } from '../model/snapshot';
import { Section, unescapeProbeText } from './probeText';

export const SANDBOX_RUNTIME = /kata|runsc|gvisor/i;
const DEFAULT_PODMAN_ROOT = '/var/lib/containers/storage';

export interface ShimTask {
  namespace: string;
  id: string;
  pid: number;
  /** running when the init process is alive, else stopped (a task whose process exited). */
  status: 'running' | 'stopped';
  runtime?: string;
  address?: string;
}

export interface EngineFiles {
  docker: ContainerInfo[];
  podman: ContainerInfo[];
  /** containerd tasks by `${namespace}/${id}`. */
  tasks: Map<string, ShimTask>;
  /** CRI containers (kind container) from bundle annotations, and the pod sandboxes' ids. */
  cri: ContainerInfo[];
  criSandboxIds: Set<string>;
  /** /run/systemd/machines lines, as the `machines` section has them. */
  machineLines: string[];
}

function jsonOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** Command line argument after a flag (`-f V`, `--f=V`). */
export function argAfter(args: string[], ...flags: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const f of flags) {
      if (args[i] === f && i + 1 < args.length) {
        return args[i + 1];
      }
      if (args[i].startsWith(f + '=')) {
        return args[i].slice(f.length + 1);
      }
    }
  }
  return undefined;
}

/** docker's State.StateString() from config.v2.json's State. */
export function dockerState(s: { Running?: boolean; Paused?: boolean; Restarting?: boolean; Dead?: boolean; RemovalInProgress?: boolean; StartedAt?: string } | undefined): string {
  if (!s) {
    return 'unknown';
  }
  if (s.Running) {
    return s.Paused ? 'paused' : s.Restarting ? 'restarting' : 'running';
  }
  if (s.RemovalInProgress) {
    return 'removing';
  }
  if (s.Dead) {
    return 'dead';
  }
  return !s.StartedAt || s.StartedAt.startsWith('0001-01-01') ? 'created' : 'exited';
}

/** containerd-shim-runc-v2 -> io.containerd.runc.v2, as `ctr containers ls` names runtimes. */
export function shimRuntime(argv0: string): string | undefined {
  const m = /containerd-shim-([A-Za-z0-9.-]+)-(v\d+)$/.exec(argv0.split('/').pop() ?? '');
  return m ? `io.containerd.${m[1]}.${m[2]}` : undefined;
}

interface DockerConfig {
  ID?: string;
  Name?: string;
  State?: { Running?: boolean; Paused?: boolean; Restarting?: boolean; Dead?: boolean; RemovalInProgress?: boolean; StartedAt?: string; Pid?: number };
  Config?: { Image?: string; Labels?: Record<string, string> | null };
}

/** One line of the probe's state-files or cri-annotations section: "FILE:LINE", both escaped. */
function stateLine(l: string): { file: string; body: string } | undefined {
  const i = l.indexOf(':');
  return i < 0 ? undefined : { file: unescapeProbeText(l.slice(0, i)), body: unescapeProbeText(l.slice(i + 1)) };
}

/** @param enginePids the processes the probe verified as root's own engine processes (parseEngineSections). */
export function parseEngineFiles(sections: Section[], processes: ProcessInfo[], enginePids: ReadonlySet<number>): EngineFiles {
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  const dockerCfg = new Map<string, DockerConfig>();
  const dockerRuntime = new Map<string, string>();
  const podman: ContainerInfo[] = [];
  const tasks = new Map<string, ShimTask>();
  const machineLines: string[] = [];
  const annotations = new Map<string, { namespace: string; id: string; a: Record<string, string> }>();

  const shimOf = (pid: number): { namespace: string; runtime?: string; address?: string } | undefined => {
    const p = byPid.get(pid);
    if (!p || !enginePids.has(pid)) {
      return undefined;
    }
    const args = p.cmdline.split(' ');
    const namespace = argAfter(args, '-namespace', '--namespace');
    return namespace ? { namespace, runtime: shimRuntime(args[0] ?? ''), address: argAfter(args, '-address', '--address') } : undefined;
  };
  // conmon -c ID: the container's init is conmon's child.
  const conmonChild = new Map<string, number>();
  for (const p of processes) {
    if (p.comm === 'conmon' && enginePids.has(p.pid)) {
      const id = argAfter(p.cmdline.split(' '), '-c', '--cid');
      const child = processes.filter((c) => c.ppid === p.pid).sort((a, b) => a.pid - b.pid)[0];
      if (id && child) {
        conmonChild.set(id, child.pid);
      }
    }
  }

  for (const sec of sections) {
    // The probe reads the engines' state files (only those of verified engine processes and root-owned
    // paths) into state-files, names escaped.
    if (sec.name === 'state-files') {
      for (const raw of sec.lines) {
        const sl = stateLine(raw);
        if (!sl) {
          continue;
        }
        const { file, body } = sl;
        let m = /^(.*)\/containers\/([0-9a-f]{64})\/(config\.v2|hostconfig)\.json$/.exec(file);
        if (m) {
          if (m[3] === 'config.v2') {
            const cfg = jsonOr<DockerConfig | null>(body, null);
            if (cfg?.ID === m[2]) {
              dockerCfg.set(m[2], cfg);
            }
          } else {
            const runtime = jsonOr<{ Runtime?: string } | null>(body, null)?.Runtime;
            if (runtime) {
              dockerRuntime.set(m[2], runtime);
            }
          }
          continue;
        }
        m = /^(.*)\/[a-z0-9]+-containers\/containers\.json$/.exec(file);
        if (m) {
          const root = m[1];
          const list = jsonOr<Array<{ id?: string; names?: string[]; image?: string; metadata?: string }>>(body, []);
          for (const e of Array.isArray(list) ? list : []) {
            if (!e.id || podman.some((o) => o.id === e.id)) {
              continue;
            }
            const meta = jsonOr<{ 'image-name'?: string; name?: string }>(e.metadata ?? '', {});
            const pid = conmonChild.get(e.id);
            const c: ContainerInfo = {
              engine: 'podman',
              id: e.id,
              name: e.names?.[0] ?? meta.name ?? e.id.slice(0, 12),
              image: meta['image-name'] ?? (e.image ?? '').slice(0, 12),
              state: pid !== undefined ? 'running' : 'stopped',
              ns: {},
              sharedWithHost: [],
            };
            if (pid !== undefined) {
              c.pid = pid;
            }
            if (root !== DEFAULT_PODMAN_ROOT) {
              c.engineNamespace = root;
            }
            podman.push(c);
          }
          continue;
        }
        m = /^\/proc\/(\d+)\/cwd\/\.\.\/([^/]+)\/init\.pid$/.exec(file);
        if (m && /^\d+$/.test(body)) {
          const shim = shimOf(Number(m[1]));
          if (shim && !tasks.has(`${shim.namespace}/${m[2]}`)) {
            const pid = Number(body);
            const task: ShimTask = { namespace: shim.namespace, id: m[2], pid, status: byPid.has(pid) ? 'running' : 'stopped' };
            if (shim.runtime) {
              task.runtime = shim.runtime;
            }
            if (shim.address) {
              task.address = shim.address;
            }
            tasks.set(`${shim.namespace}/${m[2]}`, task);
          }
          continue;
        }
        if (/^\/run\/systemd\/machines\/[^:/\n]+$/.test(file) && !/[\n]/.test(body)) {
          machineLines.push(`${file}:${body}`);
        }
      }
    } else if (sec.name === 'cri-annotations') {
      for (const raw of sec.lines) {
        const sl = stateLine(raw);
        const l = sl ? `${sl.file}:${sl.body}` : '';
        const m = /^\/proc\/(\d+)\/cwd\/\.\.\/([^/\n]+)\/config\.json:"(io\.kubernetes\.cri\.[a-z-]+)":"([^\n]*)"$/.exec(l);
        const shim = m ? shimOf(Number(m[1])) : undefined;
        if (!m || !shim) {
          continue;
        }
        const key = `${shim.namespace}/${m[2]}`;
        const e = annotations.get(key) ?? { namespace: shim.namespace, id: m[2], a: {} };
        e.a[m[3].slice('io.kubernetes.cri.'.length)] = m[4];
        annotations.set(key, e);
      }
    }
  }

  const docker: ContainerInfo[] = [];
  for (const [id, cfg] of dockerCfg) {
    const state = dockerState(cfg.State);
    const c: ContainerInfo = {
      engine: 'docker',
      id,
      name: (cfg.Name ?? id.slice(0, 12)).replace(/^\//, ''),
      image: cfg.Config?.Image ?? '',
      state,
      ns: {},
      sharedWithHost: [],
    };
    if (cfg.State?.Running && (cfg.State.Pid ?? 0) > 0) {
      c.pid = cfg.State.Pid;
    }
    const runtime = dockerRuntime.get(id);
    if (runtime) {
      c.runtime = runtime;
    }
    const labels = cfg.Config?.Labels ?? {};
    if (labels['io.kubernetes.pod.name']) {
      c.pod = { name: labels['io.kubernetes.pod.name'], namespace: labels['io.kubernetes.pod.namespace'] };
    }
    docker.push(c);
  }

  const cri: ContainerInfo[] = [];
  const criSandboxIds = new Set<string>();
  for (const { namespace, id, a } of annotations.values()) {
    if (a['container-type'] === 'sandbox') {
      criSandboxIds.add(id);
      continue;
    }
    if (a['container-type'] !== 'container') {
      continue;
    }
    const task = tasks.get(`${namespace}/${id}`);
    const c: ContainerInfo = {
      engine: 'cri',
      id,
      name: a['container-name'] ?? id.slice(0, 12),
      image: a['image-name'] ?? '',
      state: task?.status ?? 'unknown',
      ns: {},
      sharedWithHost: [],
    };
    if (task?.status === 'running') {
      c.pid = task.pid;
    }
    if (a['sandbox-name']) {
      c.pod = { name: a['sandbox-name'], namespace: a['sandbox-namespace'], id: a['sandbox-id'] };
    }
    cri.push(c);
  }
  return { docker, podman, tasks, cri, criSandboxIds, machineLines };
}
