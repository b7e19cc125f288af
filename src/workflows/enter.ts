/**
 * How "Enter Namespace" reaches a target: the nsenter (or `ip netns exec`) argument vector for a
 * container, a process, a namespace or a named netns, with a subset of the eight namespace types, and the
 * shell to run found where it will run. Pure: the terminal layer and the CLI run what this builds.
 */
import { ContainerInfo, NamespaceInfo, NS_TYPES, NsType, Snapshot } from '../model/snapshot';
import { ContainerRefError, resolveContainer, SnapshotIndex } from '../model/snapshotIndex';
import { PidIdentity, withIdentityCheck } from '../host/commandLine';
import type { PrivilegeLevel } from '../host/hostConnection';

export type EnterTarget =
  /** `ref`: `engine:id` from the tree and pickers; the CLI also takes a name, an id or an id prefix. */
  | { kind: 'container'; ref: string }
  | { kind: 'pid'; pid: number }
  | { kind: 'netns'; name: string }
  | { kind: 'namespace'; type: NsType; inode: number };

export class EnterError extends Error {}

/** Entering refused because the connection cannot act as root on the host. */
export class EnterPrivilegeError extends EnterError {}

/** What planEnter needs to know about who the connection acts as. */
export interface EnterHost {
  user: string;
  privilege: PrivilegeLevel;
  /** Why the privilege is limited, when it is (e.g. "nsxnosudo may not use sudo"). */
  note?: string;
}

/**
 * nsenter into another process's namespaces needs root (CAP_SYS_ADMIN and ptrace access); without it the
 * host answers "Operation not permitted", and a limited snapshot does not even list the containers. Say so
 * before trying.
 */
export function requireEnterPrivilege(host: EnterHost, hostLabel: string): void {
  if (host.privilege !== 'limited') {
    return;
  }
  const why = host.note ? ` (${host.note})` : '';
  throw new EnterPrivilegeError(
    `Entering namespaces on ${hostLabel} needs root: ${host.user} is not root and cannot use sudo${why}. ` +
      'Connect as root or as a user allowed to use sudo.',
  );
}

const NSENTER_FLAG: Record<NsType, string> = {
  net: '--net',
  pid: '--pid',
  mnt: '--mount',
  uts: '--uts',
  ipc: '--ipc',
  user: '--user',
  cgroup: '--cgroup',
  time: '--time',
};


/**
 * Picks the first existing shell, looking inside the target's root (`$1`, e.g. /proc/PID/root) when its
 * mount namespace is entered, then execs the rest of the arguments followed by that shell.
 */
const PICK_SHELL = [
  'r=$1; shift',
  // A target that exited since the snapshot would otherwise look like a target without a shell.
  'if [ -n "$r" ] && [ ! -d "$r/" ]; then echo "nsx: the target process is gone (${r%/root} no longer exists); refresh and try again" >&2; exit 1; fi',
  'for s in /bin/bash /bin/sh; do if [ -x "$r$s" ]; then exec "$@" "$s"; fi; done',
  'if [ -x "$r/bin/busybox" ]; then exec "$@" /bin/busybox sh; fi',
  'echo "nsx: no shell found in the target (tried /bin/bash, /bin/sh, /bin/busybox sh); set nsExplorer.terminal.shell" >&2',
  'exit 127',
].join('\n');

export interface EnterPlan {
  /** What the terminal is called: "ns: lab-c1 (net,uts) @host". */
  title: string;
  /**
   * The argv to run (privileged); the program is appended or chosen by the shell picker. When it names a
   * PID (nsenter -t), it first re-checks on the host that the PID is still the planned process.
   */
  argv: string[];
  /** What that re-check compares: the PID's start time and the inodes of the namespaces entered. */
  check?: PidIdentity;
  types: NsType[];
  targetLabel: string;
}

export function parseNsList(text: string): NsType[] {
  const out: NsType[] = [];
  for (const raw of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (raw === 'all') {
      return [...NS_TYPES];
    }
    if (!(NS_TYPES as readonly string[]).includes(raw)) {
      throw new EnterError(`Unknown namespace type "${raw}". Use any of ${NS_TYPES.join(', ')} or all.`);
    }
    out.push(raw as NsType);
  }
  if (out.length === 0) {
    throw new EnterError('Choose at least one namespace type to enter.');
  }
  return [...new Set(out)];
}

function runningContainer(index: SnapshotIndex, ref: string): ContainerInfo & { pid: number } {
  let c: ContainerInfo;
  try {
    c = resolveContainer(index.snapshot, ref);
  } catch (e) {
    throw e instanceof ContainerRefError ? new EnterError(e.message) : e;
  }
  if (c.sandboxed) {
    throw new EnterError(`${c.name} runs in a VM sandbox (${c.runtime ?? 'sandboxed runtime'}); its namespaces are not on the host.`);
  }
  if (c.pid === undefined || c.pid <= 0) {
    throw new EnterError(`${c.name} is ${c.state}; start it before entering its namespaces.`);
  }
  return c as ContainerInfo & { pid: number };
}

/**
 * Build the command for a target. `program` undefined means "a shell": the configured one, else the
 * first of bash, sh, busybox sh that exists where it will run.
 */
export function planEnter(
  snapshot: Snapshot,
  target: EnterTarget,
  types: readonly NsType[],
  options: { program?: string[]; shell?: string; hostLabel: string; host?: EnterHost },
): EnterPlan {
  if (options.host) {
    requireEnterPrivilege(options.host, options.hostLabel);
  }
  const index = new SnapshotIndex(snapshot);
  let pid: number | undefined;
  let label: string;
  let nsfs: string | undefined;
  let netnsName: string | undefined;
  /** Inodes known from the target itself (a container's, the namespace entered), beside its process's. */
  let known: Partial<Record<NsType, number>> = {};
  switch (target.kind) {
    case 'container': {
      const c = runningContainer(index, target.ref);
      pid = c.pid;
      label = c.name;
      known = c.ns;
      break;
    }
    case 'pid': {
      const p = index.byPid.get(target.pid);
      if (!p) {
        throw new EnterError(`No process ${target.pid} on this host (it may have exited; refresh).`);
      }
      pid = p.pid;
      label = `${p.comm} (${p.pid})`;
      break;
    }
    case 'netns': {
      const n = index.netnsByName.get(target.name);
      if (!n) {
        throw new EnterError(`No network namespace named "${target.name}" on this host.`);
      }
      netnsName = n.name;
      label = n.name;
      break;
    }
    case 'namespace': {
      const ns: NamespaceInfo | undefined = index.namespace(target.type, target.inode);
      if (!ns) {
        throw new EnterError(`No ${target.type} namespace ${target.inode} on this host (refresh).`);
      }
      label = `${target.type}:[${target.inode}] ${index.label(target.type, target.inode)}`;
      if (ns.pids.length > 0) {
        pid = ns.pids[0];
        known = { [target.type]: target.inode };
      } else if (ns.nsfsPaths.length > 0) {
        nsfs = ns.nsfsPaths[0];
      } else {
        throw new EnterError(`${label} has neither a process nor a bind mount to enter it through.`);
      }
      break;
    }
  }

  let chosen = [...new Set(types)];
  if (chosen.length === 0) {
    throw new EnterError('Choose at least one namespace type to enter.');
  }
  // Entering one's own user namespace fails (EINVAL); nsenter -a skips it, so do the same.
  if (pid !== undefined) {
    const p = index.byPid.get(pid);
    if (p && index.isInitial('user', p.ns.user)) {
      chosen = chosen.filter((t) => t !== 'user');
    }
  }
  if (nsfs !== undefined && target.kind === 'namespace') {
    // Through a bind mount only that namespace's own type can be entered.
    chosen = [target.type];
  }
  if (netnsName !== undefined) {
    chosen = ['net'];
  }
  if (chosen.length === 0) {
    chosen = ['net'];
  }
  const ordered = NS_TYPES.filter((t) => chosen.includes(t));
  const title = `ns: ${label} (${ordered.join(',')}) @${options.hostLabel}`;

  let check: PidIdentity | undefined;
  if (pid !== undefined) {
    const p = index.byPid.get(pid);
    const ns: Partial<Record<NsType, number>> = {};
    for (const t of ordered) {
      const inode = known[t] ?? p?.ns[t];
      if (inode !== undefined) ns[t] = inode;
    }
    if (p?.start === undefined && Object.keys(ns).length === 0) {
      throw new EnterError(
        `The snapshot shows neither the start time nor the ${ordered.join(', ')} namespace of process ${pid}, so it could not be ` +
          'checked to still be the same process when the terminal opens. Refresh as root and try again.',
      );
    }
    check = p?.start === undefined ? { pid, ns } : { pid, start: p.start, ns };
  }

  let prefix: string[];
  let rootForShell = '';
  if (netnsName !== undefined) {
    prefix = ['ip', 'netns', 'exec', netnsName];
  } else if (nsfs !== undefined) {
    prefix = ['nsenter', `${NSENTER_FLAG[ordered[0]]}=${nsfs}`, '--'];
  } else {
    prefix = ['nsenter', '-t', String(pid), ...ordered.map((t) => NSENTER_FLAG[t]), '--'];
    if (ordered.includes('mnt')) {
      rootForShell = `/proc/${pid}/root`;
    }
  }
  let argv: string[];
  if (options.program && options.program.length > 0) {
    argv = [...prefix, ...options.program];
  } else if (options.shell) {
    argv = [...prefix, options.shell];
  } else {
    argv = ['sh', '-c', PICK_SHELL, 'nsx-enter', rootForShell, ...prefix];
  }
  // The PID was read with the snapshot; by now it may be another process's (the target exited and someone
  // else's process took its number). The host checks that it has not, in the same command.
  if (check) {
    argv = withIdentityCheck([check], argv);
  }
  return { title, argv, types: ordered, targetLabel: label, ...(check ? { check } : {}) };
}
