/**
 * From what the user typed to a HostConnection: `local`, an ssh-config alias, `user@host[:port]` or
 * `ssh://…`, resolved through the user's ssh config. Shared by the extension and the CLI.
 */
import { promises as fsp } from 'fs';
import { isIP } from 'net';
import { parseHostSpec } from './hostSpec';
import { ConnectionError, HostConnection } from './hostConnection';
import { LocalConnection, LOCAL_HOST_ID } from './localConnection';
import { SecretStoreLike, SudoSetting } from './privilege';
import { listConcreteHosts, loadSshConfig, LoadedSshConfig, resolveHost, ResolvedHost, SshConfigOptions } from './sshConfig';
import { Logger } from './log';
import { OpenSshConnection } from './opensshConnection';
import { SshConnection, SshPrompts } from './sshConnection';
import { chooseTransport, findSsh, opensshNeeds, TransportSetting } from './transport';

export interface OpenOptions {
  sshConfig?: SshConfigOptions;
  /** Extra identity files tried first (CLI --identity). */
  identities?: string[];
  /** Known hosts files used instead of the config's (CLI --known-hosts). */
  knownHosts?: string[];
  acceptNewHostKey?: boolean;
  password?: string;
  sudoPassword?: string;
  sudo?: SudoSetting;
  prompts?: SshPrompts;
  secrets?: SecretStoreLike;
  reconnect?: boolean;
  agentSocket?: string;
  keepaliveSeconds?: number;
  /** nsExplorer.transport / --transport: ssh2, the system's OpenSSH, or auto (ssh2 unless the config needs OpenSSH). */
  transport?: TransportSetting;
  /** The OpenSSH client to run (default "ssh" on PATH). */
  sshPath?: string;
}

const log = new Logger('connect');

/** A stable id per host: the same target typed twice reaches the same connection. */
export function hostIdOf(resolved: ResolvedHost): string {
  const jumps = resolved.proxyJump.map((j) => `${j.user}@${j.hostname}:${j.port}`).join(',');
  return `ssh://${resolved.user}@${resolved.hostname}:${resolved.port}${jumps ? `?via=${jumps}` : ''}`;
}

export async function resolveTarget(target: string, options: OpenOptions = {}): Promise<ResolvedHost | 'local'> {
  const spec = parseHostSpec(target);
  if (spec.kind === 'local') {
    return 'local';
  }
  const config = await loadSshConfig(options.sshConfig);
  const resolved = resolveHost(config, spec);
  const cliIdentities = options.identities ?? [];
  const override = (h: ResolvedHost): ResolvedHost => ({
    ...h,
    // As `ssh -i`: named files come first, and OpenSSH's default files are tried only when no file is named.
    identityFiles: [...cliIdentities, ...(h.identityFilesFromConfig || cliIdentities.length === 0 ? h.identityFiles : [])],
    identityFilesFromConfig: h.identityFilesFromConfig || cliIdentities.length > 0,
    identitiesOnly: h.identitiesOnly || (options.identities?.length ?? 0) > 0 ? h.identitiesOnly : false,
    userKnownHostsFiles: options.knownHosts?.length ? options.knownHosts : h.userKnownHostsFiles,
    globalKnownHostsFiles: options.knownHosts?.length ? [] : h.globalKnownHostsFiles,
  });
  await refuseUnknownBareName(resolved.proxyJump[0] ?? resolved, config, '/etc/hosts');
  return { ...override(resolved), proxyJump: resolved.proxyJump.map(override) };
}

/**
 * A single-word name that no ssh config knows (no Host block names it, no HostName maps it) and that is
 * not in /etc/hosts is almost always a mistyped alias. OpenSSH would ask DNS for it (with the search
 * domains), which is slow to fail and tells the resolver about names the user never meant to publish;
 * refuse it instead, saying how to name the host. Full names (with a dot) and addresses go to DNS as usual.
 * Only the first hop is checked: later hops are resolved by the jump host.
 */
async function refuseUnknownBareName(first: ResolvedHost, config: LoadedSshConfig, hostsFile: string): Promise<void> {
  const name = first.hostname;
  if (name.includes('.') || isIP(name) !== 0 || name.toLowerCase() === 'localhost') {
    return;
  }
  if (first.hostname !== first.alias || listConcreteHosts(config).includes(first.alias)) {
    return;
  }
  let hosts = '';
  try {
    hosts = await fsp.readFile(hostsFile, 'utf8');
  } catch {
    // no hosts file: nothing is listed there
  }
  const listed = hosts
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim().split(/\s+/).slice(1))
    .some((names) => names.some((n) => n.toLowerCase() === name.toLowerCase()));
  if (listed) {
    return;
  }
  const files = config.files.map((f) => f.path).join(', ') || 'no ssh config file';
  throw new ConnectionError(
    `"${name}" is not a Host in your ssh config (${files}) nor a name in ${hostsFile}, and Namespace Explorer does ` +
      `not look up single-word names in DNS. Add a Host block for it, or type its full name (${name}.example.com) or address.`,
    'config',
  );
}

export async function openConnection(target: string, options: OpenOptions = {}): Promise<HostConnection> {
  const resolved = await resolveTarget(target, options);
  if (resolved === 'local') {
    return new LocalConnection({ sudo: options.sudo, secrets: options.secrets, prompts: options.prompts, sudoPassword: options.sudoPassword });
  }
  const spec = parseHostSpec(target);
  if (spec.kind !== 'ssh') {
    throw new ConnectionError(`${target} is not an SSH target.`, 'config');
  }
  const setting = options.transport ?? 'auto';
  // Windows' OpenSSH has no ControlMaster (and no sh for the askpass script): ssh2 only there.
  const opensshUsable = process.platform !== 'win32';
  if (setting === 'openssh' && !opensshUsable) {
    throw new ConnectionError(
      'The OpenSSH transport needs ControlMaster, which the OpenSSH of Windows does not have. Set nsExplorer.transport to "ssh2" or "auto".',
      'config',
    );
  }
  const needs = setting === 'ssh2' ? [] : await opensshNeeds(resolved);
  const sshPath = setting === 'ssh2' || !opensshUsable ? undefined : await findSsh(options.sshPath ?? 'ssh');
  const choice = chooseTransport(setting, needs, sshPath !== undefined);
  const name = target.trim();
  if (choice.warning) {
    log.warn(`${name}: ${choice.warning}`);
  } else if (setting === 'auto' && choice.transport === 'openssh') {
    log.info(`${name}: using OpenSSH (${sshPath}), because ssh2 cannot do what the config asks: ${choice.needs.join('; ')}`);
  } else {
    log.info(`${name}: using ${choice.transport === 'openssh' ? `OpenSSH (${sshPath ?? options.sshPath ?? 'ssh'})` : 'ssh2'} (nsExplorer.transport is ${setting})`);
  }
  if (choice.transport === 'ssh2') {
    for (const w of resolved.warnings) {
      log.warn(`${name}: ${w}`);
    }
  }
  if (choice.transport === 'openssh') {
    return new OpenSshConnection({
      id: hostIdOf(resolved),
      label: name,
      spec,
      target: resolved,
      sshPath: sshPath ?? options.sshPath,
      configFile: options.sshConfig?.configPath,
      identities: options.identities,
      knownHosts: options.knownHosts,
      acceptNewHostKey: options.acceptNewHostKey,
      password: options.password,
      sudoPassword: options.sudoPassword,
      agentSocket: options.agentSocket,
      prompts: options.prompts,
      secrets: options.secrets,
      sudo: options.sudo,
      keepaliveSeconds: options.keepaliveSeconds,
      reconnect: options.reconnect,
    });
  }
  return new SshConnection({
    id: hostIdOf(resolved),
    label: name,
    target: resolved,
    prompts: options.prompts,
    secrets: options.secrets,
    sudo: options.sudo,
    acceptNewHostKey: options.acceptNewHostKey,
    password: options.password,
    sudoPassword: options.sudoPassword,
    reconnect: options.reconnect,
    agentSocket: options.agentSocket,
    keepaliveSeconds: options.keepaliveSeconds,
  });
}

export { LOCAL_HOST_ID };
