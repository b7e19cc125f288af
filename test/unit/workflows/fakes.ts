import type { ExecOptions, ExecResult, HostConnection, HostInfo, PtyChannel } from '../../../src/host/hostConnection';
import type { ContainerInfo, InterfaceInfo, Snapshot } from '../../../src/model/snapshot';

export const HOST_NS = 4026531840;
export const NS_BLUE = 4026532001;
export const NS_RED = 4026532002;
export const NS_WEB = 4026532100;

export function iface(ns: number, ifindex: number, name: string, addrs: string[] = [], kind = 'veth'): InterfaceInfo {
  return {
    ns,
    ifindex,
    name,
    kind,
    state: 'UP',
    addresses: addrs.map((a) => {
      const [address, len] = a.split('/');
      return { family: address.includes(':') ? 'inet6' : 'inet', address, prefixLen: Number(len) };
    }),
  };
}

export function container(name: string, state: string, pid: number | undefined, net: number): ContainerInfo {
  return { engine: 'docker', id: `${name}0123456789abcdef`, name, image: 'nginx', state, pid, ns: { net }, sharedWithHost: [] };
}

/** A small host: two named netns (blue empty, red with a process), one running and one stopped container. */
export function fixtureSnapshot(extra: Partial<Snapshot> = {}): Snapshot {
  return {
    schemaVersion: 1,
    host: { hostname: 'lab', kernel: '6.1', uid: 0, privileged: true, probeMs: 1, takenAt: 0, warnings: [] },
    processes: [
      { pid: 1, ppid: 0, uid: 0, comm: 'systemd', cmdline: '/sbin/init', nspid: [1], ns: { net: HOST_NS } },
      { pid: 4242, ppid: 1, uid: 0, comm: 'dnsmasq', cmdline: 'dnsmasq', nspid: [4242], ns: { net: NS_RED } },
      { pid: 777, ppid: 1, uid: 0, comm: 'nginx', cmdline: 'nginx', nspid: [777, 1], ns: { net: NS_WEB } },
    ],
    namespaces: [
      { type: 'net', inode: HOST_NS, holders: [{ kind: 'host', name: 'host' }], pids: [1], nsfsPaths: [], initial: true },
      { type: 'net', inode: NS_BLUE, holders: [{ kind: 'netns', name: 'blue' }], pids: [], nsfsPaths: ['/run/netns/blue'], initial: false },
      { type: 'net', inode: NS_RED, holders: [{ kind: 'netns', name: 'red' }], pids: [4242], nsfsPaths: ['/run/netns/red'], initial: false },
      { type: 'net', inode: NS_WEB, holders: [{ kind: 'container', name: 'web' }], pids: [777], nsfsPaths: [], initial: false },
    ],
    containers: [container('web', 'running', 777, NS_WEB), container('old', 'exited', undefined, 0)],
    netns: [
      { name: 'blue', path: '/run/netns/blue', inode: NS_BLUE },
      { name: 'red', path: '/run/netns/red', inode: NS_RED },
    ],
    interfaces: [
      iface(HOST_NS, 1, 'lo', ['127.0.0.1/8', '::1/128'], 'loopback'),
      iface(HOST_NS, 2, 'eth0', ['10.200.0.5/24', '192.168.1.10/24'], 'ether'),
      iface(NS_BLUE, 1, 'lo', [], 'loopback'),
      iface(NS_RED, 1, 'lo', [], 'loopback'),
      iface(NS_RED, 5, 'veth-blue', ['10.200.1.1/24']),
      iface(NS_WEB, 1, 'lo', ['127.0.0.1/8'], 'loopback'),
      iface(NS_WEB, 3, 'eth0', ['172.17.0.2/16']),
    ],
    ...extra,
  };
}

export interface Call {
  argv: string[];
  options?: ExecOptions;
}

export type Responder = (argv: readonly string[], index: number) => Partial<ExecResult> | Error | undefined;

/** Records every argv; answers through `respond` (success with empty output by default). */
export class FakeConnection implements HostConnection {
  readonly id = 'fake-host';
  readonly label = 'fake';
  readonly state = { kind: 'connected' } as const;
  readonly calls: Call[] = [];
  constructor(private readonly respond: Responder = () => undefined) {}
  onStateChange() {
    return { dispose() {} };
  }
  async connect(): Promise<HostInfo> {
    return { label: 'fake', user: 'root', uid: 0, privilege: 'root' };
  }
  async exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    this.calls.push({ argv: [...argv], options });
    const r = this.respond(argv, this.calls.length - 1);
    if (r instanceof Error) throw r;
    return { code: 0, stdout: '', stderr: '', ...r };
  }
  openPty(): Promise<PtyChannel> {
    throw new Error('no pty in tests');
  }
  dispose() {}
}
