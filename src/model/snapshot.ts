/**
 * The snapshot of one host: what the kernel isolates there, read in one probe. Documented in
 * docs/snapshot.md; every view, panel, workflow and terminal reads this model.
 */

export const SNAPSHOT_SCHEMA_VERSION = 1;

export const NS_TYPES = ['net', 'pid', 'mnt', 'uts', 'ipc', 'user', 'cgroup', 'time'] as const;
export type NsType = (typeof NS_TYPES)[number];

/** Namespace inodes by type; a type is absent when the kernel or permissions hide it. */
export type NsMap = Partial<Record<NsType, number>>;

export interface HostFacts {
  hostname: string;
  kernel: string;
  uid: number;
  /** The probe ran as root (directly or through sudo). */
  privileged: boolean;
  /** Milliseconds the probe took on the host side, when measured. */
  probeMs: number;
  /**
   * 'full' (the default): everything. 'tree': the tree's first levels only (processes, namespaces,
   * containers from the engines' state files), without interfaces or the engine CLIs' details.
   */
  scope?: 'tree' | 'full';
  /** Epoch milliseconds when the snapshot was taken. */
  takenAt: number;
  /** What the probe could not see, in words the UI shows. */
  warnings: string[];
  /** Commands on the host that ran out of their time budget and were stopped (their data is missing). */
  timeouts?: CommandTimeout[];
  /**
   * True when the snapshot holds less than the probe would have read: the refresh ran past its overall
   * budget or was stopped, or a command ran out of its budget (see timeouts and warnings).
   */
  partial?: boolean;
}

/** One command the probe stopped at its budget: docker, podman, ctr, nerdctl, crictl, lsns or ip. */
export interface CommandTimeout {
  command: string;
  seconds: number;
  /** The daemon's socket, the store, or the network namespace inode it was asked about. */
  target?: string;
}

export interface ProcessInfo {
  pid: number;
  ppid: number;
  uid: number;
  comm: string;
  /** Bounded command line, arguments joined by spaces. */
  cmdline: string;
  state?: string;
  cgroup?: string;
  /** PIDs from the host's PID namespace down to the innermost (NSpid), host first. */
  nspid: number[];
  /**
   * Start time in clock ticks since boot (field 22 of /proc/PID/stat): with the PID it names this process
   * and no later one that reuses the PID. Root actions re-check it on the host before they act.
   */
  start?: number;
  ns: NsMap;
  /** True for kernel threads (no command line, child of kthreadd). */
  kernelThread?: boolean;
  /** uid_map of the process's user namespace when it is not the identity map. */
  uidMap?: Array<{ inside: number; outside: number; count: number }>;
}

export interface NamespaceHolder {
  kind: 'host' | 'container' | 'netns' | 'process';
  /** Container name, netns name, "host", or the first process's comm. */
  name: string;
  /** Container id, netns path or pid, for lookups. */
  ref?: string;
}

export interface NamespaceInfo {
  type: NsType;
  inode: number;
  holders: NamespaceHolder[];
  pids: number[];
  /** nsfs bind mounts that keep it alive (e.g. /run/netns/NAME). */
  nsfsPaths: string[];
  /** Parent namespace inode (pid and user namespaces), when known. */
  parent?: number;
  /** Owning user namespace inode, when known. */
  owner?: number;
  /** The host's initial namespace of this type. */
  initial: boolean;
}

export type ContainerEngine = 'docker' | 'podman' | 'containerd' | 'cri' | 'nspawn' | 'lxc';

export interface ContainerInfo {
  engine: ContainerEngine;
  id: string;
  name: string;
  image: string;
  /** running, exited, created, paused, ... as the engine says. */
  state: string;
  /** Init PID on the host; absent when stopped or sandboxed. */
  pid?: number;
  ns: NsMap;
  /** Namespace types this container shares with the host's initial namespaces. */
  sharedWithHost: NsType[];
  /** Namespace types shared with other containers: type -> container names. */
  sharedWith?: Partial<Record<NsType, string[]>>;
  pod?: { name: string; namespace?: string; id?: string };
  /** containerd namespace, when the engine has them. */
  engineNamespace?: string;
  /** VM-sandboxed runtime (kata, gVisor): processes not visible on the host. */
  sandboxed?: boolean;
  runtime?: string;
}

export interface NetnsInfo {
  name: string;
  path: string;
  inode: number;
}

export interface AddressInfo {
  family: 'inet' | 'inet6';
  address: string;
  prefixLen: number;
  scope?: string;
}

export interface InterfaceInfo {
  /** Inode of the network namespace the interface lives in. */
  ns: number;
  ifindex: number;
  name: string;
  /** veth, bridge, loopback, ether, ... */
  kind: string;
  state: string;
  mac?: string;
  mtu?: number;
  /** Name of the master (bridge) in the same namespace. */
  master?: string;
  addresses: AddressInfo[];
  /** For a veth: its peer's namespace inode and ifindex, when resolved. */
  peer?: { ns: number; ifindex: number };
}

export interface Snapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  host: HostFacts;
  processes: ProcessInfo[];
  namespaces: NamespaceInfo[];
  containers: ContainerInfo[];
  netns: NetnsInfo[];
  interfaces: InterfaceInfo[];
}
