/**
 * From what the user typed to a HostConnection: `local`, an ssh-config alias, `user@host[:port]` or
 * `ssh://…`, resolved through the user's ssh config. Shared by the extension and the CLI.
 */
import { parseHostSpec } from './hostSpec';
import { ConnectionError, HostConnection } from './hostConnection';
import { LocalConnection, LOCAL_HOST_ID } from './localConnection';
import { SecretStoreLike, SudoSetting } from './privilege';
import { loadSshConfig, resolveHost, ResolvedHost, SshConfigOptions } from './sshConfig';
import { SshConnection, SshPrompts } from './sshConnection';

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
}

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
  const override = (h: ResolvedHost): ResolvedHost => ({
    ...h,
    identityFiles: [...(options.identities ?? []), ...h.identityFiles],
    identitiesOnly: h.identitiesOnly || (options.identities?.length ?? 0) > 0 ? h.identitiesOnly : false,
    userKnownHostsFiles: options.knownHosts?.length ? options.knownHosts : h.userKnownHostsFiles,
    globalKnownHostsFiles: options.knownHosts?.length ? [] : h.globalKnownHostsFiles,
  });
  return { ...override(resolved), proxyJump: resolved.proxyJump.map(override) };
}

export async function openConnection(target: string, options: OpenOptions = {}): Promise<HostConnection> {
  const resolved = await resolveTarget(target, options);
  if (resolved === 'local') {
    return new LocalConnection({ sudo: options.sudo, secrets: options.secrets, prompts: options.prompts, sudoPassword: options.sudoPassword });
  }
  if (resolved.proxyCommand && resolved.proxyJump.length === 0) {
    throw new ConnectionError(
      `${target} uses ProxyCommand (${resolved.proxyCommand}), which Namespace Explorer does not run. Use ProxyJump instead.`,
      'config',
    );
  }
  return new SshConnection({
    id: hostIdOf(resolved),
    label: target.trim(),
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
