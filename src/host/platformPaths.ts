/**
 * Where OpenSSH keeps its files and finds its agent on each platform VS Code runs on, so that macOS and
 * Windows users reach their Linux hosts with their own config, known_hosts and agent. Pure: the platform
 * and environment are passed in (tests inject them).
 */
import * as fs from 'fs';
import * as path from 'path';

export type PlatformName = NodeJS.Platform;

export interface SshPaths {
  /** ~/.ssh, in the platform's path syntax. */
  userDir: string;
  userConfig: string;
  systemConfig: string;
  /** OpenSSH's default UserKnownHostsFile list. */
  userKnownHosts: string[];
  /** OpenSSH's default GlobalKnownHostsFile list. */
  globalKnownHosts: string[];
}

/** The path module of a platform: win32 paths on Windows, POSIX paths everywhere else. */
export function pathFor(platform: PlatformName): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/**
 * OpenSSH's locations: /etc/ssh on Linux and macOS; on Windows (Win32-OpenSSH, which VS Code's Remote-SSH
 * also uses) %USERPROFILE%\.ssh and %ProgramData%\ssh.
 */
export function sshPaths(platform: PlatformName, homeDir: string, env: NodeJS.ProcessEnv = process.env): SshPaths {
  const p = pathFor(platform);
  const userDir = p.join(homeDir, '.ssh');
  const systemDir = platform === 'win32' ? p.join(env.ProgramData || env.PROGRAMDATA || 'C:\\ProgramData', 'ssh') : '/etc/ssh';
  return {
    userDir,
    userConfig: p.join(userDir, 'config'),
    systemConfig: p.join(systemDir, 'ssh_config'),
    userKnownHosts: [p.join(userDir, 'known_hosts'), p.join(userDir, 'known_hosts2')],
    globalKnownHosts: [p.join(systemDir, 'ssh_known_hosts'), p.join(systemDir, 'ssh_known_hosts2')],
  };
}

/** The pipe of the Windows OpenSSH agent service (ssh-agent.exe). */
export const WINDOWS_OPENSSH_AGENT_PIPE = '\\\\.\\pipe\\openssh-ssh-agent';

export interface AgentLookup {
  platform?: PlatformName;
  env?: NodeJS.ProcessEnv;
  /** Whether a socket or pipe exists (Windows: whether the agent service's pipe is there). */
  exists?: (p: string) => boolean;
}

/**
 * The agent to use, as ssh2 names it (a socket path, a Windows pipe path, or "pageant"), or undefined for
 * none. `identityAgent` is ResolvedHost.identityAgent: null (unset), "none", "SSH_AUTH_SOCK", "$VAR",
 * "${VAR}" or a path. With it unset, $SSH_AUTH_SOCK; on Windows without that, the OpenSSH agent pipe if the
 * service runs, else Pageant.
 */
export function agentSocketFor(identityAgent: string | null, lookup: AgentLookup = {}): string | undefined {
  const env = lookup.env ?? process.env;
  const platform = lookup.platform ?? process.platform;
  const exists = lookup.exists ?? ((p: string) => fs.existsSync(p));
  if (identityAgent === 'none') {
    return undefined;
  }
  if (identityAgent !== null) {
    if (identityAgent === 'SSH_AUTH_SOCK') {
      return env.SSH_AUTH_SOCK || undefined;
    }
    const v = /^\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))$/.exec(identityAgent);
    if (v) {
      return env[v[1] ?? v[2]] || undefined;
    }
    return identityAgent;
  }
  if (env.SSH_AUTH_SOCK) {
    return env.SSH_AUTH_SOCK;
  }
  if (platform === 'win32') {
    return exists(WINDOWS_OPENSSH_AGENT_PIPE) ? WINDOWS_OPENSSH_AGENT_PIPE : 'pageant';
  }
  return undefined;
}
