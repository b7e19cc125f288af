// Typed view of $NSX_LAB_DIR/lab.json, written by test/lab/lab.sh up. No vscode import: lab, integration
// and e2e tests all load it.
import * as fs from 'fs';
import * as path from 'path';
import { NS_TYPES, NsMap } from '../../src/model/snapshot';

export interface LabHostKey {
  path: string;
  /** "type base64", as in known_hosts */
  publicKey: string;
  /** "SHA256:..." */
  fingerprint: string;
}

export interface LabKey {
  path: string;
  publicKeyPath: string;
  publicKey: string;
  format: 'openssh' | 'pem';
  passphrase: string | null;
}

export interface LabUser {
  uid: number;
  home: string;
  password: string | null;
  /** nopasswd: sudo -n works; password: sudo asks for `password`; none: not in sudoers; root: is root */
  sudo: 'nopasswd' | 'password' | 'none' | 'root';
  keyLogin: boolean;
}

export interface LabContainer {
  id: string;
  /** host PID of the container's init; null when not running */
  pid: number | null;
  status: string;
  exitCode?: number;
  hostname: string;
  /** "default", "none" or "container:<name>" */
  network: string;
  ip?: string | null;
}

export interface LabVethEnd {
  name: string;
  /** "host", a named netns, or "container:<name>" */
  netns: string;
  /** CIDR, e.g. 10.200.1.1/24 */
  address: string;
}

export interface LabEnv {
  version: 1;
  stateDir: string;
  createdAt: string;
  ssh: {
    host: string;
    port: number;
    pid: number;
    config: string;
    log: string;
    knownHosts: string;
    knownHostsHashed: string;
    hostKeys: Record<'ed25519' | 'rsa' | 'ecdsa', LabHostKey>;
  };
  /** second sshd inside netns nsx_ssh, reachable only through the first (ProxyJump) or the nsxs0 veth */
  sshInner: {
    host: string;
    port: number;
    pid: number;
    netns: string;
    hostVeth: string;
    hostAddress: string;
    innerVeth: string;
    config: string;
    log: string;
    hostKeys: Record<'ed25519', LabHostKey>;
  };
  keys: Record<'ed25519' | 'rsaPem' | 'ecdsa' | 'ed25519Encrypted', LabKey>;
  users: Record<'nsxkey' | 'nsxpass' | 'nsxnosudo' | 'root', LabUser>;
  sudoersFile: string;
  docker: {
    socket: string;
    host: string;
    /** environment for the docker CLI: DOCKER_HOST and DOCKER_CONFIG */
    env: Record<string, string>;
    pid: number;
    containerdPid: number | null;
    dataRoot: string;
    execRoot: string;
    storageDriver: string;
    bridge: { name: string; address: string };
    image: string;
    containers: Record<'lab-c1' | 'lab-c2' | 'lab-none' | 'lab-stopped', LabContainer> & Record<string, LabContainer>;
  };
  podman: LabPodman | { skipped: string };
  netns: Record<'nsx_a' | 'nsx_b' | 'nsx_ssh', { inode: number; holderPid: number | null }>;
  veths: Array<{ a: LabVethEnd; b: LabVethEnd }>;
  containerNetnsPid: Record<string, number>;
  nested: { outerPid: number; innermostPid: number; nspid: number[]; levels: number };
  /** ssh -F <clientConfig> lab | lab-inner */
  clientConfig: string;
}

export interface LabPodman {
  /** global flags to put between `podman` and the subcommand */
  flags: string[];
  root: string;
  storageDriver: string;
  image: string;
  /** lab-priv: --privileged (absent when that run failed). */
  containers: Record<'lab-p1', LabContainer> & { 'lab-priv'?: LabContainer & { privileged: true } };
}

export function labDir(): string {
  return process.env.NSX_LAB_DIR || '/run/nsx-lab';
}

/**
 * In a before() or it(): skips when the lab is not up, unless NSX_LAB_REQUIRED is set (npm test, CI),
 * where a missing lab is a failure, never a skip.
 */
export function requireLab(ctx: Mocha.Context): void {
  if (process.platform === 'linux' && isLabUp()) {
    return;
  }
  if (process.env.NSX_LAB_REQUIRED) {
    throw new Error(`the lab is not up (${path.join(labDir(), 'lab.json')} is missing); NSX_LAB_REQUIRED is set`);
  }
  ctx.skip();
}

/**
 * An engine the lab could not start (lab.json says why): a skip on a machine without it, a failure
 * under NSX_LAB_REQUIRED, where scripts/install-deps.sh installed it and the lab had to run it.
 */
export function requireLabEngine<T>(ctx: Mocha.Context, engine: string, value: T | undefined, why: string): asserts value is T {
  if (value !== undefined && value !== null) {
    return;
  }
  if (process.env.NSX_LAB_REQUIRED) {
    throw new Error(`the lab has no ${engine}: ${why}`);
  }
  ctx.skip();
}

export function isLabUp(): boolean {
  return fs.existsSync(path.join(labDir(), 'lab.json'));
}

/** Reads lab.json; throws an error that says how to start the lab when it is not up. */
export function loadLab(): LabEnv {
  const file = path.join(labDir(), 'lab.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(
      `The test lab is not up: cannot read ${file} (${(err as Error).message}). ` +
        'Start it as root with `bash test/lab/lab.sh up`, or run the tests through `bash test/lab/lab.sh run -- CMD`.',
    );
  }
  let lab: LabEnv;
  try {
    lab = JSON.parse(text) as LabEnv;
  } catch (err) {
    throw new Error(`The test lab's ${file} is not valid JSON (${(err as Error).message}); run \`bash test/lab/lab.sh up\` again.`);
  }
  if (lab.version !== 1) {
    throw new Error(`The test lab's ${file} has version ${String(lab.version)}, expected 1; run \`bash test/lab/lab.sh up\` again.`);
  }
  return lab;
}

export function podmanOf(lab: LabEnv): LabPodman | undefined {
  return 'skipped' in lab.podman ? undefined : lab.podman;
}

/** A namespace link of a PID, read with readlink here, not by the probe; undefined when unreadable. */
export function nsInode(pid: number, type: string): number | undefined {
  try {
    return Number(/\[(\d+)\]/.exec(fs.readlinkSync(`/proc/${pid}/ns/${type}`))?.[1]);
  } catch {
    return undefined;
  }
}

/** Every namespace link of a PID, read with readlink here, not by the probe. */
export function nsOfPid(pid: number): NsMap {
  const m: NsMap = {};
  for (const t of NS_TYPES) {
    const i = nsInode(pid, t);
    if (i !== undefined) {
      m[t] = i;
    }
  }
  return m;
}

/** "type:inode" of every namespace some process is in on this machine, from each /proc/PID/ns link. */
export function processNamespaces(): Set<string> {
  const out = new Set<string>();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    for (const [t, i] of Object.entries(nsOfPid(Number(d)))) out.add(`${t}:${i}`);
  }
  return out;
}

/**
 * The transport lab tests that honour it connect with: NSX_LAB_TRANSPORT=ssh2|openssh runs them over that
 * one (e.g. the Enter Namespace suite over OpenSSH); default auto.
 */
export function labTransport(): 'auto' | 'ssh2' | 'openssh' {
  const t = process.env.NSX_LAB_TRANSPORT;
  if (t === undefined || t === '' || t === 'auto') return 'auto';
  if (t === 'ssh2' || t === 'openssh') return t;
  throw new Error(`NSX_LAB_TRANSPORT must be auto, ssh2 or openssh, not ${JSON.stringify(t)}`);
}
