/**
 * How isolated each container really is, from what the probe read of its init (src/discovery/
 * parseIsolation.ts) and the snapshot's namespaces: namespace sharing, the user namespace's root mapping,
 * capabilities against the engine's default set, seccomp, NoNewPrivs, the LSM label and the mounts. Each
 * risky combination is a finding with a severity, a one-line risk and, where one applies, the CIS Docker
 * Benchmark (v1.6.0) section 5 check it matches. Pure: the isolation report panel, the CLI and the tests
 * read this.
 */
import type { ContainerEngine, ContainerInfo, HostFacts, IdMapEntry, MountEntry, NsType, ProcessInfo, ProcessSecurity, Snapshot } from './snapshot';
import { NS_TYPES } from './snapshot';

// ---- capabilities -------------------------------------------------------------------------------

/** Capability numbers as include/uapi/linux/capability.h defines them (0..40, Linux 5.9 and later). */
export const CAPABILITY_NAMES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP',
  'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER',
  'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE',
  'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP',
  'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
];

/** The names of the bits set in a kernel capability mask (`CapEff:` of /proc/PID/status, hex), without CAP_. */
export function decodeCapabilities(hex: string): string[] {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) return [];
  const v = BigInt(`0x${hex}`);
  const out: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((v >> BigInt(bit)) & 1n) out.push(CAPABILITY_NAMES[bit] ?? `CAP_${bit}`);
  }
  return out;
}

/**
 * The capabilities each engine gives a container unless told otherwise. Docker and containerd/CRI: moby's
 * oci/caps/defaults.go (also containerd's and CRI's default spec). Podman: containers.conf
 * `default_capabilities` of containers-common. nspawn: systemd-nspawn(1) "--capability". LXC keeps all but
 * what its config drops, so it has no fixed default here.
 */
export const DEFAULT_CAPABILITIES: Partial<Record<ContainerEngine, readonly string[]>> = {
  docker: ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'],
  containerd: ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'],
  cri: ['CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP', 'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE'],
  podman: ['CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT'],
  nspawn: ['AUDIT_CONTROL', 'AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'IPC_OWNER', 'KILL', 'LEASE', 'LINUX_IMMUTABLE', 'MKNOD', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_CHROOT', 'SYS_NICE', 'SYS_PTRACE', 'SYS_RESOURCE', 'SYS_TTY_CONFIG'],
};

export interface CapabilityComparison {
  /** The engine's default set, when it has one. */
  defaults?: readonly string[];
  /** In the bounding set but not in the default: granted on top (`--cap-add`, `--privileged`). */
  added: string[];
  /** In the default but not in the bounding set (`--cap-drop`). */
  dropped: string[];
}

/** The bounding set (what the container can ever hold) against the engine's default. */
export function compareWithDefault(bounding: readonly string[], engine: ContainerEngine): CapabilityComparison {
  const defaults = DEFAULT_CAPABILITIES[engine];
  if (!defaults) return { added: [], dropped: [] };
  const d = new Set(defaults);
  const b = new Set(bounding);
  return { defaults, added: bounding.filter((c) => !d.has(c)), dropped: defaults.filter((c) => !b.has(c)) };
}

/** Every capability the kernel has (0..cap_last_cap), or the host's own bounding set. */
function fullCapabilities(host: HostFacts): Set<string> {
  if (host.capBnd) return new Set(decodeCapabilities(host.capBnd));
  const last = host.capLastCap ?? CAPABILITY_NAMES.length - 1;
  return new Set(CAPABILITY_NAMES.slice(0, last + 1));
}

// ---- mounts -------------------------------------------------------------------------------------

/** Engine API sockets: whoever can connect to one controls the engine, and so the host. */
export const ENGINE_SOCKETS = ['docker.sock', 'containerd.sock', 'podman.sock', 'crio.sock', 'cri-dockerd.sock', 'buildkitd.sock', 'dockershim.sock'];

/** Host paths that give a container the host when mounted (CIS 5.5 lists /, /boot, /dev, /etc, /lib, /proc, /sys, /usr). */
export const SENSITIVE_HOST_PATHS = ['/', '/boot', '/dev', '/etc', '/lib', '/lib64', '/proc', '/root', '/sys', '/usr', '/var', '/var/run', '/run', '/var/lib', '/var/lib/docker', '/var/lib/containers', '/var/lib/kubelet', '/var/log', '/home'];

/** Paths the engines hide from a container (runc's default maskedPaths), by bind-mounting /dev/null or an empty tmpfs. */
export const MASKED_PATHS = ['/proc/acpi', '/proc/asound', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/sched_debug', '/proc/scsi', '/proc/timer_list', '/proc/timer_stats', '/sys/firmware', '/sys/devices/virtual/powercap'];

/** Filesystems an engine makes for a container itself; anything else mounted with a host path is the host's. */
const CONTAINER_OWN_FS = new Set(['overlay', 'aufs', 'fuse-overlayfs', 'tmpfs', 'proc', 'sysfs', 'devpts', 'mqueue', 'cgroup', 'cgroup2', 'shm', 'securityfs', 'debugfs', 'tracefs', 'nsfs', 'bpf', 'binfmt_misc', 'configfs', 'fusectl', 'pstore', 'autofs', 'hugetlbfs', 'rpc_pipefs']);
/** The files engines bind-mount from their own state (or, read-only, the host's time zone): not a host path given away. */
const ENGINE_FILES = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/etc/localtime', '/etc/timezone', '/run/.containerenv', '/.dockerenv', '/run/secrets', '/dev/termination-log']);
/** Directories engines keep for themselves inside a container: nspawn's /run/host (os-release, notify), LXC's /dev/.lxc (its own proc and sys). */
const ENGINE_DIRS = ['/run/host', '/dev/.lxc'];

const base = (p: string): string => p.slice(p.lastIndexOf('/') + 1);
const writable = (m: MountEntry): boolean => !m.options.includes('ro');

export interface SocketMount {
  socket: string;
  mountPoint: string;
  writable: boolean;
}

export interface HostPathMount {
  /** The host path as far as mountinfo shows it (the path within its filesystem). */
  hostPath: string;
  mountPoint: string;
  fstype: string;
  writable: boolean;
}

export interface MountFindings {
  sockets: SocketMount[];
  hostPaths: HostPathMount[];
  /** The container's `/` is mounted read-only. */
  readOnlyRoot?: boolean;
  /** /proc/sys is mounted read-only on its own (runc does so unless privileged). */
  procSysReadOnly: boolean;
  /** Masked paths in place; false when none of them is masked. */
  masked: boolean;
  maskedPaths: string[];
  /** A sysfs or cgroup mount writable inside: only privileged containers get that. */
  writableSysfs: boolean;
}

function underOrEqual(path: string, dir: string): boolean {
  return path === dir || (dir === '/' ? false : path.startsWith(`${dir}/`));
}

/** What a container's mountinfo says about its isolation. */
export function mountFindings(mounts: readonly MountEntry[]): MountFindings {
  const sockets: SocketMount[] = [];
  const hostPaths: HostPathMount[] = [];
  for (const m of mounts) {
    if (ENGINE_DIRS.some((d) => underOrEqual(m.mountPoint, d))) continue;
    const name = ENGINE_SOCKETS.find((s) => base(m.mountPoint) === s || base(m.root) === s);
    if (name && m.mountPoint !== '/') {
      sockets.push({ socket: name, mountPoint: m.mountPoint, writable: writable(m) });
      continue;
    }
    if (m.fstype === 'devtmpfs') {
      hostPaths.push({ hostPath: '/dev', mountPoint: m.mountPoint, fstype: m.fstype, writable: writable(m) });
      continue;
    }
    // The host's /proc or /sys mounted beside the container's own (a second proc or sysfs elsewhere).
    if ((m.fstype === 'proc' && !underOrEqual(m.mountPoint, '/proc')) || (m.fstype === 'sysfs' && !underOrEqual(m.mountPoint, '/sys'))) {
      hostPaths.push({ hostPath: m.fstype === 'proc' ? '/proc' : '/sys', mountPoint: m.mountPoint, fstype: m.fstype, writable: writable(m) });
      continue;
    }
    if (CONTAINER_OWN_FS.has(m.fstype) || ENGINE_FILES.has(m.mountPoint) || m.mountPoint === '/') continue;
    if (SENSITIVE_HOST_PATHS.includes(m.root) || ['/etc', '/root', '/boot', '/usr', '/lib'].some((d) => underOrEqual(m.root, d))) {
      hostPaths.push({ hostPath: m.root, mountPoint: m.mountPoint, fstype: m.fstype, writable: writable(m) });
    }
  }
  const byPoint = new Map(mounts.map((m) => [m.mountPoint, m]));
  const rootMount = [...mounts].reverse().find((m) => m.mountPoint === '/');
  const procSys = byPoint.get('/proc/sys');
  const maskedPaths = MASKED_PATHS.filter((p) => byPoint.has(p));
  const out: MountFindings = {
    sockets,
    hostPaths,
    procSysReadOnly: procSys !== undefined && !writable(procSys),
    masked: maskedPaths.length > 0,
    maskedPaths,
    writableSysfs: mounts.some((m) => (m.fstype === 'sysfs' || m.fstype === 'cgroup' || m.fstype === 'cgroup2') && underOrEqual(m.mountPoint, '/sys') && writable(m)),
  };
  if (rootMount) out.readOnlyRoot = !writable(rootMount);
  return out;
}

// ---- the report ---------------------------------------------------------------------------------

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export interface Finding {
  id: string;
  severity: Severity;
  title: string;
  /** One line: what the risk is. */
  risk: string;
  /** The CIS Docker Benchmark v1.6.0 check, e.g. "5.9". */
  cis?: string;
}

/** The CIS Docker Benchmark v1.6.0 section 5 checks the findings name. */
export const CIS_CHECKS: Record<string, string> = {
  '5.1': 'Ensure that, if applicable, an AppArmor Profile is enabled',
  '5.2': 'Ensure that, if applicable, SELinux security options are set',
  '5.3': 'Ensure that Linux kernel capabilities are restricted within containers',
  '5.4': 'Ensure that privileged containers are not used',
  '5.5': 'Ensure sensitive host system directories are not mounted on containers',
  '5.9': "Ensure that the host's network namespace is not shared",
  '5.12': "Ensure that the container's root filesystem is mounted as read only",
  '5.15': "Ensure that the host's process namespace is not shared",
  '5.16': "Ensure that the host's IPC namespace is not shared",
  '5.20': "Ensure that the host's UTS namespace is not shared",
  '5.21': 'Ensure the default seccomp profile is not Disabled',
  '5.25': 'Ensure that the container is restricted from acquiring additional privileges',
  '5.31': 'Ensure that the Docker socket is not mounted inside any containers',
};

export type IsolationClass = 'namespaced' | 'privileged' | 'sandboxed' | 'stopped' | 'unknown';

export interface NamespaceSharing {
  type: NsType;
  state: 'isolated' | 'host' | 'shared' | 'unknown';
  /** Other containers in the same namespace. */
  with: string[];
}

export interface UserNamespaceFacts {
  /** The container has a user namespace of its own. */
  own: boolean;
  /** Host uid that root (uid 0) inside maps to; undefined when unmapped or unknown. */
  rootUid?: number;
  rootGid?: number;
  uidMap: IdMapEntry[];
  gidMap: IdMapEntry[];
}

export interface IsolationRow {
  /** `engine:id`, the one container reference (src/model/snapshotIndex.ts). */
  ref: string;
  name: string;
  engine: ContainerEngine;
  runtime?: string;
  pid?: number;
  isolationClass: IsolationClass;
  namespaces: NamespaceSharing[];
  user?: UserNamespaceFacts;
  capabilities?: { effective: string[]; bounding: string[]; full: boolean } & CapabilityComparison;
  seccomp?: { mode: 'disabled' | 'strict' | 'filter'; filters: number };
  noNewPrivs?: boolean;
  lsmLabel?: string;
  /** No LSM profile confines it (unconfined, spc_t, or none at all). */
  unconfined?: boolean;
  mounts?: MountFindings;
  findings: Finding[];
  /** The worst finding's severity; `info` when none. */
  worst: Severity;
  /** Why some facts are missing (stopped, not root, sandboxed). */
  note?: string;
}

export interface IsolationReport {
  title: string;
  rows: IsolationRow[];
  /** Sentences for the host: "3 containers share the host network; 1 looks privileged". */
  summary: string[];
  warnings: string[];
}

function idOutside(map: readonly IdMapEntry[] | undefined, id: number): number | undefined {
  if (!map) return id; // no map read: the identity, as in the host's user namespace
  const e = map.find((x) => id >= x.inside && id < x.inside + x.count);
  return e ? e.outside + (id - e.inside) : undefined;
}

function unconfinedLabel(label: string | undefined): boolean {
  if (label === undefined) return true;
  const l = label.trim();
  return l === '' || l === 'unconfined' || /(^|:)(unconfined_t|spc_t|kernel_t)(:|$)/.test(l);
}

const HOST_FINDINGS: Partial<Record<NsType, Omit<Finding, 'id'>>> = {
  net: { severity: 'high', title: 'Host network', risk: "Shares the host's network stack: it can bind host ports, see all traffic on host interfaces and reach services on localhost.", cis: '5.9' },
  pid: { severity: 'high', title: 'Host PID', risk: 'Sees every process on the host; with enough privileges it can signal, trace or enter them.', cis: '5.15' },
  ipc: { severity: 'medium', title: 'Host IPC', risk: "Shares the host's shared memory and semaphores: it can read or corrupt other processes' IPC data.", cis: '5.16' },
  uts: { severity: 'low', title: 'Host UTS', risk: "Shares the host's hostname: with CAP_SYS_ADMIN it can rename the host.", cis: '5.20' },
  mnt: { severity: 'critical', title: 'Host mount namespace', risk: "Runs in the host's mount namespace: it sees and can change the host's filesystems.", cis: '5.5' },
};

/** The isolation report of one container; the host facts say what "all capabilities" means here. */
export function containerIsolation(c: ContainerInfo, host: HostFacts, init?: ProcessInfo): IsolationRow {
  const ref = `${c.engine}:${c.id}`;
  const namespaces: NamespaceSharing[] = NS_TYPES.map((type) => {
    if (c.ns[type] === undefined) return { type, state: 'unknown', with: [] };
    const withOthers = c.sharedWith?.[type] ?? [];
    if (c.sharedWithHost.includes(type)) return { type, state: 'host', with: withOthers };
    return { type, state: withOthers.length ? 'shared' : 'isolated', with: withOthers };
  });
  const row: IsolationRow = { ref, name: c.name, engine: c.engine, isolationClass: 'namespaced', namespaces, findings: [], worst: 'info' };
  if (c.runtime) row.runtime = c.runtime;
  if (c.pid !== undefined) row.pid = c.pid;
  if (c.sandboxed) {
    row.isolationClass = 'sandboxed';
    row.note = `Runs in a VM sandbox (${c.runtime ?? 'kata or gVisor'}): its workload has its own kernel (or a user-space one), so host namespaces and capabilities do not describe it.`;
    // A sandbox still shares what its runtime's process shares; host network is the one that matters.
    if (c.sharedWithHost.includes('net')) row.findings.push({ id: 'host-net', ...HOST_FINDINGS.net! });
    return finish(row);
  }
  if (c.pid === undefined || Object.keys(c.ns).length === 0) {
    row.isolationClass = c.pid === undefined ? 'stopped' : 'unknown';
    row.note = c.pid === undefined ? `Not running (${c.state}): nothing to inspect.` : 'Its init process could not be read.';
    return finish(row);
  }
  for (const t of ['mnt', 'net', 'pid', 'ipc', 'uts'] as const) {
    if (c.sharedWithHost.includes(t)) row.findings.push({ id: `host-${t}`, ...HOST_FINDINGS[t]! });
  }
  const s: ProcessSecurity | undefined = c.security;
  const ownUserNs = !c.sharedWithHost.includes('user') && c.ns.user !== undefined;
  if (s) {
    row.user = {
      own: ownUserNs,
      rootUid: idOutside(ownUserNs ? s.uidMap ?? [] : undefined, 0),
      rootGid: idOutside(ownUserNs ? s.gidMap ?? [] : undefined, 0),
      uidMap: s.uidMap ?? [],
      gidMap: s.gidMap ?? [],
    };
  } else {
    // The tree's own read of the init's uid_map (one process per user namespace) still says where root maps.
    const uidMap = init?.uidMap ?? [];
    row.user = { own: ownUserNs, uidMap, gidMap: [] };
    const rootUid = idOutside(ownUserNs ? (init?.uidMap ?? (init ? [{ inside: 0, outside: 0, count: 4294967295 }] : undefined)) : undefined, 0);
    if (rootUid !== undefined && (init || !ownUserNs)) row.user.rootUid = rootUid;
    row.note = host.privileged
      ? 'The probe read no security details of its init (an older probe, or the init is not a child of a verified engine process).'
      : 'Security details need root: connect with sudo.';
    return finish(row);
  }
  const effective = s.capEff ? decodeCapabilities(s.capEff) : [];
  const bounding = s.capBnd ? decodeCapabilities(s.capBnd) : [];
  const all = fullCapabilities(host);
  const full = bounding.length > 0 && [...all].every((x) => bounding.includes(x));
  row.capabilities = { effective, bounding, full, ...compareWithDefault(bounding, c.engine) };
  if (s.seccomp !== undefined) row.seccomp = { mode: s.seccomp === 2 ? 'filter' : s.seccomp === 1 ? 'strict' : 'disabled', filters: s.seccompFilters ?? 0 };
  if (s.noNewPrivs !== undefined) row.noNewPrivs = s.noNewPrivs;
  if (s.lsmLabel !== undefined) row.lsmLabel = s.lsmLabel;
  row.unconfined = unconfinedLabel(s.lsmLabel);
  if (s.mounts) row.mounts = mountFindings(s.mounts);
  const m = row.mounts;
  const noSeccomp = row.seccomp?.mode === 'disabled';
  const rootIsHostRoot = row.user.rootUid === 0;

  // Privileged: masks cleared, every capability, no seccomp and no LSM profile.
  const privileged = full && noSeccomp && row.unconfined && (m ? !m.masked && !m.procSysReadOnly : true);
  if (privileged) {
    row.isolationClass = 'privileged';
    row.findings.push({ id: 'privileged', severity: 'critical', title: 'Privileged', risk: 'Every capability, no seccomp, no LSM profile and the host\'s /proc and /sys unmasked: root inside is root on the host, one mount away.', cis: '5.4' });
  } else {
    if (bounding.includes('SYS_ADMIN') && !(DEFAULT_CAPABILITIES[c.engine] ?? []).includes('SYS_ADMIN')) {
      row.findings.push({ id: 'cap-sys-admin', severity: 'high', title: 'CAP_SYS_ADMIN', risk: 'Can mount filesystems, create namespaces and use many kernel interfaces: the usual first step of a container escape.', cis: '5.3' });
    }
    const others = row.capabilities.added.filter((x) => x !== 'SYS_ADMIN');
    const dangerous = others.filter((x) => ['SYS_MODULE', 'SYS_PTRACE', 'SYS_RAWIO', 'DAC_READ_SEARCH', 'NET_ADMIN', 'SYS_BOOT', 'BPF', 'PERFMON', 'MAC_ADMIN', 'MAC_OVERRIDE', 'SYS_TIME'].includes(x));
    if (dangerous.length) row.findings.push({ id: 'cap-added', severity: 'medium', title: `Added capabilities: ${dangerous.map((x) => `CAP_${x}`).join(', ')}`, risk: 'Capabilities beyond the engine\'s default widen what root inside can do to the kernel and the host.', cis: '5.3' });
    else if (others.length) row.findings.push({ id: 'cap-added', severity: 'low', title: `Added capabilities: ${others.map((x) => `CAP_${x}`).join(', ')}`, risk: 'Capabilities beyond the engine\'s default.', cis: '5.3' });
    if (noSeccomp && rootIsHostRoot) {
      row.findings.push({ id: 'root-no-seccomp', severity: 'high', title: 'Root not remapped, no seccomp', risk: 'Root inside is uid 0 on the host and every system call is allowed: a kernel bug or a missing mask is an escape.', cis: '5.21' });
    } else if (noSeccomp) {
      row.findings.push({ id: 'no-seccomp', severity: 'medium', title: 'No seccomp', risk: 'Every system call is allowed, so the whole kernel surface is exposed.', cis: '5.21' });
    }
    if (m && !m.masked) row.findings.push({ id: 'unmasked', severity: 'medium', title: 'Masked paths cleared', risk: '/proc/kcore, /proc/keys, /sys/firmware and the like are readable: kernel memory and host secrets leak.' });
    if (m && !m.procSysReadOnly && !privileged) row.findings.push({ id: 'proc-sys-writable', severity: 'medium', title: '/proc/sys writable', risk: 'Kernel parameters of the host (those not namespaced) can be changed from inside.' });
    if (m?.writableSysfs) row.findings.push({ id: 'sysfs-writable', severity: 'medium', title: '/sys writable', risk: 'A writable sysfs or cgroup tree lets it change host devices and cgroup limits.' });
  }
  for (const sock of m?.sockets ?? []) {
    row.findings.push({
      id: `socket:${sock.mountPoint}`,
      severity: 'critical',
      title: `Engine socket ${sock.socket}${sock.writable ? '' : ' (read-only mount)'}`,
      risk: `${sock.mountPoint} talks to the engine, which starts containers as root: whoever reaches it owns the host${sock.writable ? '' : ' (a read-only mount does not stop connect())'}.`,
      cis: '5.31',
    });
  }
  for (const h of m?.hostPaths ?? []) {
    row.findings.push({
      id: `hostpath:${h.mountPoint}`,
      severity: h.writable ? 'high' : 'medium',
      title: `Host ${h.hostPath} mounted at ${h.mountPoint}${h.writable ? '' : ' (read-only)'}`,
      risk: h.writable ? 'Writing there changes the host itself.' : 'Host files (configuration, keys, other containers\' data) are readable from inside.',
      cis: '5.5',
    });
  }
  if (row.unconfined && !privileged && host.privileged && s.lsmLabel !== undefined) {
    row.findings.push({ id: 'unconfined', severity: 'low', title: 'No AppArmor/SELinux profile', risk: 'No mandatory access control profile limits what it can touch.', cis: s.lsmLabel.includes(':') ? '5.2' : '5.1' });
  }
  if (m?.readOnlyRoot === false) row.findings.push({ id: 'rw-root', severity: 'info', title: 'Root filesystem writable', risk: 'Whoever gets in can change its binaries and keep them there until the container is recreated.', cis: '5.12' });
  if (row.noNewPrivs === false && !privileged) row.findings.push({ id: 'new-privs', severity: 'info', title: 'no-new-privileges not set', risk: 'setuid programs inside can raise privileges.', cis: '5.25' });
  return finish(row);
}

function finish(row: IsolationRow): IsolationRow {
  row.findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
  row.worst = row.findings[0]?.severity ?? 'info';
  return row;
}

/** The report of every container on the host, or of the ones named (refs), with the host's summary. */
export function buildIsolationReport(s: Snapshot, refs?: readonly string[], hostLabel = s.host.hostname): IsolationReport {
  const containers = s.containers.filter((c) => !refs || refs.includes(`${c.engine}:${c.id}`));
  const byPid = new Map(s.processes.map((p) => [p.pid, p]));
  const rows = containers.map((c) => containerIsolation(c, s.host, c.pid !== undefined ? byPid.get(c.pid) : undefined)).sort((a, b) => SEVERITIES.indexOf(a.worst) - SEVERITIES.indexOf(b.worst) || a.name.localeCompare(b.name));
  const running = rows.filter((r) => r.isolationClass !== 'stopped');
  const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
  const has = (id: string) => running.filter((r) => r.findings.some((f) => f.id === id || f.id.startsWith(`${id}:`))).length;
  const summary: string[] = [];
  const parts: Array<[number, string, string]> = [
    [has('host-net'), 'shares the host network', 'share the host network'],
    [has('host-pid'), 'shares the host PID namespace', 'share the host PID namespace'],
    [running.filter((r) => r.isolationClass === 'privileged').length, 'looks privileged', 'look privileged'],
    [has('cap-sys-admin'), 'has CAP_SYS_ADMIN', 'have CAP_SYS_ADMIN'],
    [has('socket'), 'can reach an engine socket', 'can reach an engine socket'],
    [has('hostpath'), 'mounts sensitive host paths', 'mount sensitive host paths'],
    [has('root-no-seccomp'), 'runs root unmapped without seccomp', 'run root unmapped without seccomp'],
  ];
  for (const [n, one, many] of parts) if (n > 0) summary.push(`${count(n, 'container')} ${n === 1 ? one : many}`);
  const sandboxed = running.filter((r) => r.isolationClass === 'sandboxed').length;
  if (sandboxed) summary.push(`${count(sandboxed, 'container')} ${sandboxed === 1 ? 'runs' : 'run'} in a VM sandbox`);
  const remapped = running.filter((r) => r.user?.own && r.user.rootUid !== 0).length;
  if (remapped) summary.push(`${count(remapped, 'container')} ${remapped === 1 ? 'remaps' : 'remap'} root to an unprivileged host uid`);
  const warnings: string[] = [];
  if (!s.host.privileged) warnings.push('The probe did not run as root: capabilities, seccomp and mounts of containers are unknown. Connect with sudo.');
  else if (s.host.scope === 'tree') warnings.push('This snapshot is the tree part of a refresh: security details arrive when it completes.');
  return {
    title: hostLabel || 'host',
    rows,
    summary: summary.length ? [`${count(running.length, 'running container')}: ${summary.join('; ')}.`] : [`${count(running.length, 'running container')}: no risky sharing or privileges found.`],
    warnings,
  };
}

/** The report as Markdown (a table per host and the findings of each container). */
export function isolationMarkdown(r: IsolationReport, rows: readonly IsolationRow[] = r.rows): string {
  const cell = (s: string) => s.replace(/[\\|`*_[\]<>]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ');
  const nsText = (row: IsolationRow) => row.namespaces.filter((n) => n.state !== 'isolated').map((n) => `${n.type}: ${n.state === 'shared' ? `shared with ${n.with.join(', ')}` : n.state}`).join('; ') || 'all isolated';
  const lines = [`# Isolation report: ${cell(r.title)}`, '', ...r.summary.map(cell), ''];
  lines.push('| Container | Engine | Class | Worst | Namespaces not isolated | Root maps to | Added caps | Seccomp | NoNewPrivs | LSM | Read-only root |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const root = row.user?.rootUid === undefined ? (row.user?.own ? 'unmapped' : '?') : String(row.user.rootUid);
    lines.push(`| ${cell(row.name)} | ${row.engine} | ${row.isolationClass} | ${row.worst} | ${cell(nsText(row))} | ${root} | ${cell(row.capabilities?.full ? 'all' : row.capabilities?.added.join(', ') || '—')} | ${row.seccomp ? `${row.seccomp.mode}${row.seccomp.filters ? ` (${row.seccomp.filters})` : ''}` : '?'} | ${row.noNewPrivs === undefined ? '?' : row.noNewPrivs ? 'yes' : 'no'} | ${cell(row.lsmLabel || (row.unconfined ? 'none' : '?'))} | ${row.mounts?.readOnlyRoot === undefined ? '?' : row.mounts.readOnlyRoot ? 'yes' : 'no'} |`);
  }
  lines.push('');
  for (const row of rows) {
    if (!row.findings.length && !row.note) continue;
    lines.push(`## ${cell(row.name)} (${row.engine})`, '');
    if (row.note) lines.push(cell(row.note), '');
    for (const f of row.findings) lines.push(`- **${f.severity}** ${cell(f.title)}: ${cell(f.risk)}${f.cis ? ` (CIS Docker Benchmark ${f.cis}: ${CIS_CHECKS[f.cis] ?? ''})` : ''}`);
    lines.push('');
  }
  return lines.join('\n');
}
