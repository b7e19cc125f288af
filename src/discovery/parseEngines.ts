/**
 * Containers of every engine from the probe's engine sections and the process table (shims, nspawn).
 * Pure. Namespaces are filled in later from the init process; here only identity, state and init PID.
 */
import { ContainerEngine, ContainerInfo, ProcessInfo } from '../model/snapshot';
import { argAfter, parseEngineFiles, SANDBOX_RUNTIME } from './parseEngineFiles';
import { Section, unescapeProbeText } from './probeText';

export interface RawContainer {
  info: ContainerInfo;
}

function container(engine: ContainerEngine, id: string, name: string, image: string, state: string, pid?: number): ContainerInfo {
  const c: ContainerInfo = { engine, id, name, image, state, ns: {}, sharedWithHost: [] };
  if (pid !== undefined && pid > 0) {
    c.pid = pid;
  }
  return c;
}

function jsonOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * @param enginePids the processes the probe verified as root's own engine processes (root in the
 * host's user and mount namespaces, from a root-owned executable): only these shims, conmons, nspawns
 * and LXC monitors give containers. Any other process is an ordinary one, whatever its name.
 */
export function parseEngineSections(sections: Section[], processes: ProcessInfo[], enginePids: ReadonlySet<number>): { containers: RawContainer[]; warnings: string[] } {
  const warnings: string[] = [];
  const files = parseEngineFiles(sections, processes, enginePids);
  const out: ContainerInfo[] = [];
  const dockerIds = new Set<string>();
  const criIds = new Set<string>();

  // Shims: containerd-shim-<runtime>-v2 -namespace NS -id ID -address SOCK.
  const shims = processes
    .filter((p) => p.comm.startsWith('containerd-shim') && enginePids.has(p.pid))
    .map((p) => {
      const args = p.cmdline.split(' ');
      return { pid: p.pid, runtime: args[0] ?? p.comm, namespace: argAfter(args, '-namespace', '--namespace'), id: argAfter(args, '-id', '--id') };
    });
  const sandboxedIds = new Set(shims.filter((s) => SANDBOX_RUNTIME.test(s.runtime) && s.id).map((s) => s.id as string));
  /** A VM-sandboxed container (by its runtime, or by its own or its pod's shim): listed, without a host PID. */
  const markSandboxed = (c: ContainerInfo): void => {
    if (SANDBOX_RUNTIME.test(c.runtime ?? '') || sandboxedIds.has(c.id) || (c.pod?.id !== undefined && sandboxedIds.has(c.pod.id))) {
      c.sandboxed = true;
      delete c.pid;
    }
  };

  const criPods = new Map<string, { name: string; namespace?: string; id: string }>();
  for (const sec of sections) {
    if (sec.name !== 'crictl-pods') {
      continue;
    }
    const j = jsonOr<{ items?: Array<{ id: string; metadata?: { name?: string; namespace?: string } }> }>(sec.lines.join('\n'), {});
    for (const p of j.items ?? []) {
      criPods.set(p.id, { name: p.metadata?.name ?? p.id.slice(0, 12), namespace: p.metadata?.namespace, id: p.id });
      criIds.add(p.id);
    }
  }

  const ctrTasks = new Map<string, { pid: number; status: string }>();
  for (const sec of sections) {
    if (sec.name !== 'ctr-tasks') {
      continue;
    }
    for (const l of sec.lines.slice(1)) {
      const f = l.trim().split(/\s+/);
      if (f.length >= 3 && /^\d+$/.test(f[1])) {
        ctrTasks.set(`${sec.args[1]}/${f[0]}`, { pid: Number(f[1]), status: f[2].toLowerCase() });
      }
    }
  }
  for (const [key, t] of files.tasks) {
    if (!ctrTasks.has(key)) {
      ctrTasks.set(key, { pid: t.pid, status: t.status });
    }
  }

  for (const sec of sections) {
    switch (sec.name) {
      case 'docker':
        for (const l of sec.lines) {
          const a = jsonOr<unknown[] | null>(l, null);
          if (!Array.isArray(a) || typeof a[0] !== 'string') {
            continue;
          }
          const [id, name, image, state, pid, hostname, netMode, runtime, , labels] = a as [string, string, string, string, number, string, string, string, string, Record<string, string> | null];
          const c = container('docker', id, String(name).replace(/^\//, ''), typeof image === 'string' ? image : '', String(state), state === 'running' ? pid : undefined);
          if (runtime) {
            c.runtime = runtime;
          }
          markSandboxed(c);
          const podName = labels?.['io.kubernetes.pod.name'];
          if (podName) {
            c.pod = { name: podName, namespace: labels?.['io.kubernetes.pod.namespace'] };
          }
          void hostname;
          void netMode;
          dockerIds.add(id);
          out.push(c);
        }
        break;
      case 'podman': {
        const list = jsonOr<Array<Record<string, unknown>>>(sec.lines.join('\n'), []);
        for (const p of Array.isArray(list) ? list : []) {
          const id = String(p.Id ?? p.ID ?? '');
          if (!id || out.some((o) => o.engine === 'podman' && o.id === id)) {
            continue;
          }
          const names = Array.isArray(p.Names) ? (p.Names as string[]) : [String(p.Names ?? id.slice(0, 12))];
          const state = String(p.State ?? '').toLowerCase();
          const c = container('podman', id, names[0], String(p.Image ?? ''), state, state === 'running' ? Number(p.Pid ?? 0) : undefined);
          if (p.Pod) {
            c.pod = { name: String(p.PodName ?? p.Pod), id: String(p.Pod) };
          }
          if (sec.args[0] && sec.args[0] !== '-') {
            c.engineNamespace = sec.args[0];
          }
          out.push(c);
        }
        break;
      }
      case 'crictl-ps': {
        const j = jsonOr<{ containers?: Array<{ id: string; podSandboxId?: string; metadata?: { name?: string }; image?: { image?: string }; state?: string }> }>(sec.lines.join('\n'), {});
        for (const x of j.containers ?? []) {
          const state = (x.state ?? '').replace(/^CONTAINER_/, '').toLowerCase();
          const c = container('cri', x.id, x.metadata?.name ?? x.id.slice(0, 12), x.image?.image ?? '', state);
          const pod = x.podSandboxId ? criPods.get(x.podSandboxId) : undefined;
          if (pod) {
            c.pod = pod;
          }
          criIds.add(x.id);
          out.push(c);
        }
        break;
      }
      default:
        break;
    }
  }

  // The state files: what a CLI listed too only fills in its init PID; the rest joins the list.
  const merge = (list: ContainerInfo[], ids: Set<string>): void => {
    for (const f of list) {
      const o = out.find((x) => x.engine === f.engine && x.id === f.id);
      if (o) {
        if (o.pid === undefined && f.pid !== undefined && !o.sandboxed && (o.state === 'running' || o.state === f.state)) {
          o.pid = f.pid;
        }
        o.runtime ??= f.runtime;
        continue;
      }
      markSandboxed(f);
      ids.add(f.id);
      out.push(f);
    }
  };
  merge(files.docker, dockerIds);
  merge(files.podman, new Set());
  for (const id of files.criSandboxIds) {
    criIds.add(id);
  }
  merge(files.cri, criIds);

  // containerd: skip what docker (moby) or CRI (k8s.io, pause sandboxes included) already showed.
  const nerdNames = new Map<string, string>();
  for (const sec of sections) {
    if (sec.name === 'nerdctl') {
      for (const l of sec.lines) {
        const j = jsonOr<{ ID?: string; Names?: string } | null>(l, null);
        if (j?.ID && j.Names) {
          nerdNames.set(`${sec.args[1]}/${j.ID}`, j.Names);
        }
      }
    }
  }
  for (const sec of sections) {
    if (sec.name !== 'ctr-containers') {
      continue;
    }
    const ns = sec.args[1] ?? 'default';
    for (const l of sec.lines.slice(1)) {
      const [id, image, runtime] = l.trim().split(/\s+/);
      if (!id || dockerIds.has(id) || criIds.has(id) || [...nerdNames.keys()].some((k) => k.endsWith('/' + id) && dockerIds.has(id))) {
        continue;
      }
      const task = ctrTasks.get(`${ns}/${id}`);
      // The same container under another engine (docker's moby tasks, CRI): same init process.
      if (task?.status === 'running' && out.some((o) => o.pid === task.pid)) {
        continue;
      }
      const nerd = [...nerdNames.entries()].find(([k]) => k === `${ns}/${id}` || (k.startsWith(ns + '/') && id.startsWith(k.slice(ns.length + 1))));
      const c = container('containerd', id, nerd?.[1] ?? id, image ?? '', task?.status ?? 'created', task?.status === 'running' ? task.pid : undefined);
      c.engineNamespace = ns;
      if (runtime) {
        c.runtime = runtime;
      }
      markSandboxed(c);
      out.push(c);
    }
  }

  // Tasks no CLI listed (scope tree, or no ctr): the containers behind them, without an image.
  const dockerd = processes.some((p) => p.comm === 'dockerd');
  for (const t of files.tasks.values()) {
    if ((t.namespace === 'moby' && dockerd) || dockerIds.has(t.id) || criIds.has(t.id) || t.namespace === 'k8s.io') {
      continue;
    }
    if (out.some((o) => o.engine === 'containerd' && o.id === t.id && o.engineNamespace === t.namespace)) {
      continue;
    }
    if (t.status === 'running' && out.some((o) => o.pid === t.pid)) {
      continue;
    }
    const c = container('containerd', t.id, t.id, '', t.status, t.status === 'running' ? t.pid : undefined);
    c.engineNamespace = t.namespace;
    if (t.runtime) {
      c.runtime = t.runtime;
    }
    markSandboxed(c);
    out.push(c);
  }

  // CRI containers get their PID from the containerd task or from the shim's child.
  for (const c of out) {
    if (c.engine === 'cri') {
      const task = ctrTasks.get(`k8s.io/${c.id}`);
      if (c.state === 'running' && task) {
        c.pid = task.pid;
      }
      markSandboxed(c);
    }
  }

  // systemd-nspawn: registered machines (LEADER in /run/systemd/machines) and unregistered ones seen
  // as systemd-nspawn processes; their child is the container's init.
  const machines = new Map<string, { leader?: number; cls?: string }>();
  for (const sec of [...sections, { name: 'machines', args: [], lines: files.machineLines }]) {
    if (sec.name === 'machines') {
      for (const l of sec.lines) {
        const m = /^\/run\/systemd\/machines\/([^:/]+):(\w+)=(.*)$/.exec(l);
        if (!m || m[1].startsWith('unit:')) {
          continue;
        }
        const e = machines.get(m[1]) ?? {};
        if (m[2] === 'LEADER') {
          e.leader = Number(m[3]);
        } else if (m[2] === 'CLASS') {
          e.cls = m[3];
        }
        machines.set(m[1], e);
      }
    } else if (sec.name === 'machinectl') {
      for (const l of sec.lines) {
        const [name, cls] = l.trim().split(/\s+/);
        if (name && !machines.has(name)) {
          machines.set(name, { cls });
        }
      }
    }
  }
  for (const p of processes.filter((x) => x.comm === 'systemd-nspawn' && enginePids.has(x.pid))) {
    const args = p.cmdline.split(' ');
    const dir = argAfter(args, '-D', '--directory');
    const name = argAfter(args, '-M', '--machine') ?? (dir ? dir.replace(/\/+$/, '').split('/').pop() : undefined) ?? `nspawn-${p.pid}`;
    const child = processes.find((x) => x.ppid === p.pid);
    const e = machines.get(name) ?? {};
    e.leader ??= child?.pid;
    machines.set(name, e);
  }
  for (const [name, m] of machines) {
    if (m.cls === 'host') {
      continue;
    }
    out.push(container('nspawn', name, name, '', m.leader ? 'running' : 'unknown', m.leader));
  }

  // LXC: each running container has a monitor process, "[lxc monitor] LXCPATH NAME"; its child is the
  // container's init.
  const lxcMonitors = new Map<string, number>();
  for (const p of processes) {
    const m = enginePids.has(p.pid) ? /^\[lxc monitor\] \S+ (\S+)$/.exec(p.cmdline) : null;
    const child = m ? processes.find((x) => x.ppid === p.pid) : undefined;
    if (m && child) {
      lxcMonitors.set(m[1], child.pid);
    }
  }
  const lxcStart = out.length;
  for (const sec of sections) {
    if (sec.name === 'lxc') {
      for (const l of sec.lines) {
        const [name, state, pid] = l.trim().split(/\s+/);
        if (!name || name === 'NAME' || /^-+$/.test(name)) {
          continue;
        }
        out.push(container('lxc', name, name, '', (state ?? '').toLowerCase(), pid && /^\d+$/.test(pid) ? Number(pid) : undefined));
      }
    } else if (sec.name === 'lxc-dirs') {
      for (const l of sec.lines) {
        const name = unescapeProbeText(l);
        if (name) {
          // Running ones have a monitor (below); the others are stopped.
          out.push(container('lxc', name, name, '', 'stopped'));
        }
      }
    }
  }
  for (const [name, pid] of lxcMonitors) {
    const o = out.slice(lxcStart).find((x) => x.name === name);
    if (o) {
      o.pid ??= pid;
      o.state = 'running';
    } else {
      out.push(container('lxc', name, name, '', 'running', pid));
    }
  }
  return { containers: out.map((info) => ({ info })), warnings };
}
