/**
 * Resolve a host alias the way OpenSSH's ssh does with the user's ~/.ssh/config and /etc/ssh/ssh_config.
 *
 * Lines are tokenised by the ssh-config package (its quoting rules), one physical line at a time so every
 * message can name its file and line. Evaluation is our own, not SSHConfig.compute: compute runs
 * `Match exec` commands through a shell by default, matches `?` as "zero or one" character, compares
 * host names case-sensitively and ignores `Include`; OpenSSH does none of these.
 */
import { createHash } from 'crypto';
import { promises as fsp } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LineType, parse as parseConfigText } from 'ssh-config';
import { HostSpec, HostSpecError, parseHostSpec } from './hostSpec';
import { pathFor, PlatformName, sshPaths } from './platformPaths';
import { defaultHostKeyAlgorithms, HostKeyAlgorithms, parseHostKeyAlgorithms, wildcardMatch } from './knownHosts';

export type StrictHostKeyChecking = 'yes' | 'no' | 'accept-new' | 'ask';

export interface ResolvedHost {
  /** The name the user asked for (alias, host name or address), as typed. */
  alias: string;
  /** Where to connect: HostName from config with %h expanded, else the alias. */
  hostname: string;
  port: number;
  user: string;
  /** Absolute paths, in the order to try them. */
  identityFiles: string[];
  /** True when IdentityFile lines named the files; false when they are OpenSSH's defaults. */
  identityFilesFromConfig: boolean;
  identitiesOnly: boolean;
  /** Hops to go through, first hop first, flattened (each hop's own proxyJump is empty). */
  proxyJump: ResolvedHost[];
  /**
   * ProxyCommand with its tokens expanded (%h %p %r %n %% and the rest OpenSSH allows), to be run through
   * the user's shell with its stdio as the connection; null when unset, "none", or when ProxyJump won.
   */
  proxyCommand: string | null;
  /**
   * IdentityAgent with ~ and tokens expanded: null when unset (use $SSH_AUTH_SOCK), "none" for no agent,
   * "SSH_AUTH_SOCK" or "$VAR"/"${VAR}" for a socket named by the environment, else a socket path.
   */
  identityAgent: string | null;
  /** CertificateFile paths, expanded, in config order. */
  certificateFiles: string[];
  /**
   * Where GSSAPIAuthentication is turned on (file and line), or null. Kept apart from opensshOnly: Debian's
   * own /etc/ssh/ssh_config turns it on for every host, and it matters only with a Kerberos ticket.
   */
  gssapi: string | null;
  /**
   * What this config asks that only the system's OpenSSH can do (PKCS#11, CertificateFile, Match exec,
   * host certificate algorithms), each worded with its file and line; empty when ssh2 can
   * do everything. The transport choice reads it.
   */
  opensshOnly: string[];
  userKnownHostsFiles: string[];
  globalKnownHostsFiles: string[];
  /** HostKeyAlias, lowercased as ssh does: the bare name to look up and record the host key by, instead of hostname and port. */
  hostKeyAlias: string | null;
  /** HostKeyAlgorithms, assembled (+, -, ^, patterns) and limited to what ssh2 supports; the default when unset. */
  hostKeyAlgorithms: HostKeyAlgorithms;
  /** RevokedHostKeys with ~ and tokens expanded, or null when unset or "none". */
  revokedHostKeys: string | null;
  strictHostKeyChecking: StrictHostKeyChecking;
  serverAliveInterval: number;
  serverAliveCountMax: number;
  /** Seconds, or null for the system's TCP timeout. */
  connectTimeout: number | null;
  /** Things the ssh2 transport cannot honour (Match exec, …), worded for the user. */
  warnings: string[];
}

/** A mistake in an ssh config file, naming the file and line. */
export class SshConfigError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
  ) {
    super(file !== undefined ? `${file}${line !== undefined ? ` line ${line}` : ''}: ${message}` : message);
    this.name = 'SshConfigError';
  }
}

export interface SshConfigFs {
  /** The file's text, or undefined when it does not exist. */
  readFile(file: string): Promise<string | undefined>;
  /** Entry names of a folder, or undefined when it does not exist. */
  readDir(dir: string): Promise<string[] | undefined>;
}

export const nodeSshConfigFs: SshConfigFs = {
  async readFile(file) {
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        return undefined;
      }
      throw new SshConfigError(`cannot be read (${code ?? (err as Error).message}). Check its permissions.`, file);
    }
  },
  async readDir(dir) {
    try {
      return await fsp.readdir(dir);
    } catch {
      return undefined;
    }
  },
};

export interface SshConfigOptions {
  /** Default ~/.ssh/config. A missing file is an empty config. */
  configPath?: string;
  /** Default /etc/ssh/ssh_config; null to read none (as `ssh -F` does). */
  systemConfigPath?: string | null;
  homeDir?: string;
  localUser?: string;
  /** For %l and %L. */
  localHostname?: string;
  /** For %i. */
  uid?: number;
  fs?: SshConfigFs;
  /** Whose file locations and path syntax to use (default: this process's platform). */
  platform?: PlatformName;
}

type Item =
  | { kind: 'host'; patterns: string[]; file: string; line: number }
  | { kind: 'match'; args: string[]; file: string; line: number }
  | { kind: 'include'; files: LoadedFile[]; file: string; line: number }
  | { kind: 'option'; keyword: string; args: string[]; file: string; line: number };

interface LoadedFile {
  path: string;
  items: Item[];
}

/** Config files read once (with their Includes) and resolved many times. */
export interface LoadedSshConfig {
  files: LoadedFile[];
  homeDir: string;
  localUser: string;
  localHostname: string;
  uid: number;
  platform: PlatformName;
}

/** OpenSSH's READCONF_MAX_DEPTH. */
const MAX_INCLUDE_DEPTH = 16;
const MAX_JUMP_DEPTH = 10;

/** Read the user config and the system config, following Include lines. */
export async function loadSshConfig(options: SshConfigOptions = {}): Promise<LoadedSshConfig> {
  const homeDir = options.homeDir ?? os.homedir();
  const fs = options.fs ?? nodeSshConfigFs;
  const platform = options.platform ?? process.platform;
  const paths = sshPaths(platform, homeDir);
  const files: LoadedFile[] = [];
  const userPath = options.configPath ?? paths.userConfig;
  const user = await loadFile(userPath, { fs, homeDir, includeBase: paths.userDir, system: false, platform }, 0);
  if (user) {
    files.push(user);
  }
  const systemPath = options.systemConfigPath === undefined ? paths.systemConfig : options.systemConfigPath;
  if (systemPath !== null) {
    const system = await loadFile(systemPath, { fs, homeDir, includeBase: pathFor(platform).dirname(systemPath), system: true, platform }, 0);
    if (system) {
      files.push(system);
    }
  }
  return { files, ...localIdentity(options, homeDir) };
}

/** Parse config text that is not on disk, e.g. an editor buffer (its Include lines are still read through fs). */
export async function loadSshConfigText(text: string, file: string, options: SshConfigOptions = {}): Promise<LoadedSshConfig> {
  const homeDir = options.homeDir ?? os.homedir();
  const fs = options.fs ?? nodeSshConfigFs;
  const platform = options.platform ?? process.platform;
  const items = await parseItems(text, file, { fs, homeDir, includeBase: sshPaths(platform, homeDir).userDir, system: false, platform }, 0);
  return { files: [{ path: file, items }], ...localIdentity(options, homeDir) };
}

function localIdentity(options: SshConfigOptions, homeDir: string): Omit<LoadedSshConfig, 'files'> {
  return {
    homeDir,
    localUser: options.localUser ?? safeUserName(),
    localHostname: options.localHostname ?? os.hostname(),
    uid: options.uid ?? (typeof process.getuid === 'function' ? process.getuid() : 0),
    platform: options.platform ?? process.platform,
  };
}

interface LoadContext {
  fs: SshConfigFs;
  homeDir: string;
  includeBase: string;
  system: boolean;
  platform: PlatformName;
}

async function loadFile(file: string, ctx: LoadContext, depth: number): Promise<LoadedFile | undefined> {
  const text = await ctx.fs.readFile(file);
  if (text === undefined) {
    return undefined;
  }
  return { path: file, items: await parseItems(text, file, ctx, depth) };
}

async function parseItems(text: string, file: string, ctx: LoadContext, depth: number): Promise<Item[]> {
  const items: Item[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const parsed = tokenizeLine(lines[i], file, lineNo);
    if (!parsed) {
      continue;
    }
    const { keyword, args } = parsed;
    if (keyword === 'host') {
      if (args.length === 0) {
        throw new SshConfigError('Host needs at least one pattern.', file, lineNo);
      }
      items.push({ kind: 'host', patterns: args, file, line: lineNo });
    } else if (keyword === 'match') {
      items.push({ kind: 'match', args, file, line: lineNo });
    } else if (keyword === 'include') {
      if (depth + 1 > MAX_INCLUDE_DEPTH) {
        throw new SshConfigError(
          `Include is nested more than ${MAX_INCLUDE_DEPTH} deep. Does an included file include itself?`,
          file,
          lineNo,
        );
      }
      const included: LoadedFile[] = [];
      for (const arg of args) {
        let pattern = arg;
        if (pattern.startsWith('~')) {
          if (ctx.system) {
            throw new SshConfigError(`Include "${arg}": a system config cannot use ~ paths.`, file, lineNo);
          }
          pattern = expandTilde(pattern, ctx.homeDir, file, lineNo, ctx.platform);
        } else if (!pathFor(ctx.platform).isAbsolute(pattern)) {
          // OpenSSH anchors relative includes in ~/.ssh (user config) or /etc/ssh (system config).
          pattern = pathFor(ctx.platform).join(ctx.includeBase, pattern);
        }
        for (const match of await globPaths(pattern, ctx.fs)) {
          const loaded = await loadFile(match, ctx, depth + 1);
          if (loaded) {
            included.push(loaded);
          }
        }
      }
      items.push({ kind: 'include', files: included, file, line: lineNo });
    } else {
      items.push({ kind: 'option', keyword, args, file, line: lineNo });
    }
  }
  return items;
}

/** One line to keyword (lowercased) and arguments, using the ssh-config package's lexer. */
function tokenizeLine(text: string, file: string, line: number): { keyword: string; args: string[] } | undefined {
  if (text.trim() === '' || text.trim().startsWith('#')) {
    return undefined;
  }
  let lines;
  try {
    lines = parseConfigText(text);
  } catch (err) {
    throw new SshConfigError(`cannot be parsed (${(err as Error).message}).`, file, line);
  }
  const directive = lines.find((l) => l.type === LineType.DIRECTIVE);
  if (!directive || directive.type !== LineType.DIRECTIVE) {
    return undefined;
  }
  let args: string[];
  const raw = /^\s*proxycommand(?:\s*=\s*|\s+)(.*)$/i.exec(text);
  if (raw && directive.param.toLowerCase() === 'proxycommand') {
    // As OpenSSH: the rest of the line, quotes and all, is the command its shell runs.
    return { keyword: 'proxycommand', args: [raw[1].trimEnd()] };
  }
  if (Array.isArray(directive.value)) {
    args = directive.value.map((v) => v.val);
  } else if (directive.quoted) {
    args = [directive.value];
  } else {
    args = directive.value.split(/\s+/).filter((a) => a !== '');
  }
  return { keyword: directive.param.toLowerCase(), args };
}

/** glob(3) for Include: `*`, `?` and `[...]` in any component, dot files only when asked, sorted. */
async function globPaths(pattern: string, fs: SshConfigFs): Promise<string[]> {
  const parts = pattern.split('/').filter((p, i) => p !== '' || i === 0);
  let current = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const dir of current) {
      if (!/[*?[]/.test(part)) {
        next.push(path.join(dir, part));
        continue;
      }
      const entries = (await fs.readDir(dir)) ?? [];
      for (const entry of entries.sort()) {
        if (entry.startsWith('.') && !part.startsWith('.')) {
          continue;
        }
        if (fnmatch(part, entry)) {
          next.push(path.join(dir, entry));
        }
      }
    }
    current = next;
  }
  return current.sort();
}

function fnmatch(pattern: string, name: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') {
      re += '.*';
    } else if (c === '?') {
      re += '.';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
      } else {
        let body = pattern.slice(i + 1, close);
        if (body.startsWith('!')) {
          body = `^${body.slice(1)}`;
        }
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = close;
      }
    } else {
      re += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`${re}$`, 's').test(name);
}

interface Setting {
  args: string[];
  file: string;
  line: number;
  /** Position in reading order; -1 for values from the command line or defaults. */
  order: number;
}

interface EvalState {
  /** What Host lines match, case-sensitively as OpenSSH does: the host as typed (the resolved name in the final pass). */
  hostArg: string;
  originalHost: string;
  finalPass: boolean;
  wantFinal: boolean;
  settings: Map<string, Setting>;
  identityFiles: Setting[];
  certificateFiles: Setting[];
  warnings: string[];
  opensshOnly: string[];
  nextOrder: number;
}

/** Keywords this resolver reads; first obtained value wins for each. */
const SINGLE_KEYWORDS = new Set([
  'hostname',
  'user',
  'port',
  'identitiesonly',
  'proxyjump',
  'proxycommand',
  'userknownhostsfile',
  'globalknownhostsfile',
  'hostkeyalias',
  'hostkeyalgorithms',
  'revokedhostkeys',
  'stricthostkeychecking',
  'serveraliveinterval',
  'serveralivecountmax',
  'connecttimeout',
  'identityagent',
  'gssapiauthentication',
  'pkcs11provider',
]);

export interface ResolveOverrides {
  /** From `user@host` as typed: wins over User in config, as on ssh's command line. */
  user?: string;
  /** From `host:port` as typed: wins over Port in config. */
  port?: number;
}

/** Resolve a target (alias, `user@host:port`, or a parsed HostSpec) against a loaded config. */
export function resolveHost(config: LoadedSshConfig, target: string | HostSpec, overrides: ResolveOverrides = {}): ResolvedHost {
  let spec: HostSpec;
  try {
    spec = typeof target === 'string' ? parseHostSpec(target) : target;
  } catch (err) {
    if (err instanceof HostSpecError) {
      throw new SshConfigError(err.message);
    }
    throw err;
  }
  if (spec.kind === 'local') {
    throw new SshConfigError('"local" means This machine, which is not reached through ssh config.');
  }
  return resolveWithJumps(config, spec.host, { user: overrides.user ?? spec.user, port: overrides.port ?? spec.port }, undefined, []);
}

/** Load the config and resolve one target: the usual entry point. */
export async function resolveSshHost(target: string | HostSpec, options: SshConfigOptions = {}): Promise<ResolvedHost> {
  return resolveHost(await loadSshConfig(options), target);
}

function resolveWithJumps(
  config: LoadedSshConfig,
  host: string,
  cli: ResolveOverrides,
  forceNoJump: boolean | undefined,
  stack: string[],
): ResolvedHost {
  const { resolved, jump } = resolveOne(config, host, cli);
  const key = `${resolved.user}@${resolved.hostname}:${resolved.port}`;
  if (stack.includes(key)) {
    throw new SshConfigError(
      `ProxyJump loops back to ${host} (${[...stack, key].join(' → ')}). Set "ProxyJump none" in the jump host's own Host block.`,
      jump?.file,
      jump?.line,
    );
  }
  if (stack.length >= MAX_JUMP_DEPTH) {
    throw new SshConfigError(`ProxyJump chains more than ${MAX_JUMP_DEPTH} hosts to reach ${host}.`, jump?.file, jump?.line);
  }
  if (forceNoJump || !jump) {
    return resolved;
  }
  const hops = parseJumpHops(jump);
  const chain: ResolvedHost[] = [];
  hops.forEach((hop, i) => {
    // As ssh runs "ssh -J hop1..hopN-1 -W target hopN": only the first hop's own ProxyJump is honoured.
    const next = resolveWithJumps(config, hop.host, { user: hop.user, port: hop.port }, i > 0, [...stack, key]);
    // Only the first hop's own ProxyCommand is run; later hops are reached through the one before.
    chain.push(...next.proxyJump, { ...next, proxyJump: [], proxyCommand: i > 0 || next.proxyJump.length > 0 ? null : next.proxyCommand });
  });
  resolved.proxyJump = chain;
  for (const hop of chain) {
    resolved.warnings.push(...hop.warnings.filter((w) => !resolved.warnings.includes(w)));
  }
  return resolved;
}

function parseJumpHops(jump: Setting): { host: string; user?: string; port?: number }[] {
  const text = jump.args.join(' ');
  return text.split(',').map((hopText) => {
    if (hopText.trim() === '') {
      throw new SshConfigError(`ProxyJump "${text}" has an empty hop; separate hops with single commas.`, jump.file, jump.line);
    }
    let spec: HostSpec;
    try {
      spec = parseHostSpec(hopText);
    } catch (err) {
      throw new SshConfigError(`ProxyJump hop "${hopText}": ${(err as Error).message}`, jump.file, jump.line);
    }
    if (spec.kind === 'local') {
      return { host: 'local' };
    }
    return spec;
  });
}

function resolveOne(config: LoadedSshConfig, host: string, cli: ResolveOverrides): { resolved: ResolvedHost; jump?: Setting } {
  const state: EvalState = {
    hostArg: host,
    originalHost: host,
    finalPass: false,
    wantFinal: false,
    settings: new Map(),
    identityFiles: [],
    certificateFiles: [],
    warnings: [],
    opensshOnly: [],
    nextOrder: 0,
  };
  if (cli.user !== undefined) {
    state.settings.set('user', { args: [cli.user], file: '(command line)', line: 0, order: -1 });
  }
  if (cli.port !== undefined) {
    state.settings.set('port', { args: [String(cli.port)], file: '(command line)', line: 0, order: -1 });
  }
  for (const file of config.files) {
    evalItems(file.items, true, false, state, config);
  }
  if (state.wantFinal) {
    state.finalPass = true;
    state.hostArg = currentHostname(state);
    for (const file of config.files) {
      evalItems(file.items, true, false, state, config);
    }
  }

  const s = state.settings;
  const hostname = currentHostname(state);
  const port = s.has('port') ? parsePortSetting(s.get('port')!) : 22;
  const user = s.get('user')?.args[0] ?? config.localUser;
  const hostKeyAlias = s.get('hostkeyalias')?.args[0].toLowerCase() ?? null;
  const tokens: Record<string, string> = {
    '%': '%',
    d: config.homeDir,
    u: config.localUser,
    h: hostname,
    r: user,
    p: String(port),
    l: config.localHostname,
    L: config.localHostname.split('.')[0],
    n: host,
    i: String(config.uid),
    k: hostKeyAlias ?? host,
  };
  tokens.C = createHash('sha1').update(`${tokens.l}${tokens.h}${tokens.p}${tokens.r}`).digest('hex');
  const toPath = (value: string, setting: Setting): string => {
    const expanded = expandTilde(expandTokens(value, tokens, setting), config.homeDir, setting.file, setting.line, config.platform);
    // OpenSSH takes relative paths from its working folder; ours is arbitrary, so anchor them at home.
    return pathFor(config.platform).resolve(config.homeDir, expanded);
  };

  const identityFilesFromConfig = state.identityFiles.length > 0;
  const identitySettings = identityFilesFromConfig
    ? state.identityFiles
    : ['id_rsa', 'id_ecdsa', 'id_ed25519'].map((f) => ({ args: [`~/.ssh/${f}`], file: '(default)', line: 0, order: -1 }));
  const identityFiles = [...new Set(identitySettings.map((st) => toPath(st.args[0], st)))];

  const knownHostsList = (key: string, defaults: string[]): string[] => {
    const setting = s.get(key);
    if (!setting) {
      return defaults.map((d) => toPath(d, { args: [d], file: '(default)', line: 0, order: -1 }));
    }
    if (setting.args.length === 1 && setting.args[0].toLowerCase() === 'none') {
      return [];
    }
    return setting.args.map((a) => toPath(a, setting));
  };

  const revokedSetting = s.get('revokedhostkeys');
  const revokedHostKeys =
    revokedSetting && revokedSetting.args[0].toLowerCase() !== 'none' ? toPath(revokedSetting.args[0], revokedSetting) : null;
  const algorithmsSetting = s.get('hostkeyalgorithms');
  let hostKeyAlgorithms = defaultHostKeyAlgorithms();
  if (algorithmsSetting) {
    try {
      hostKeyAlgorithms = parseHostKeyAlgorithms(algorithmsSetting.args[0]);
    } catch (err) {
      throw new SshConfigError((err as Error).message, algorithmsSetting.file, algorithmsSetting.line);
    }
    if (hostKeyAlgorithms.unsupported.length > 0) {
      state.warnings.push(
        `${where(algorithmsSetting)}: HostKeyAlgorithms ${hostKeyAlgorithms.unsupported.join(', ')} cannot be used here ` +
          `(no host certificates or security keys); offering ${hostKeyAlgorithms.algorithms.join(', ')}.`,
      );
    }
  }

  const jumpSetting = s.get('proxyjump');
  const jump = jumpSetting && jumpSetting.args[0]?.toLowerCase() !== 'none' ? jumpSetting : undefined;
  const proxyCommandSetting = s.get('proxycommand');
  // ProxyCommand and ProxyJump exclude each other; the first one obtained wins, as in OpenSSH.
  const proxyCommandWins =
    proxyCommandSetting !== undefined &&
    proxyCommandSetting.args.join(' ').toLowerCase() !== 'none' &&
    (!jump || (jumpSetting !== undefined && isEarlier(proxyCommandSetting, jumpSetting)));
  const proxyCommand = proxyCommandWins ? expandTokens(proxyCommandSetting.args.join(' '), tokens, proxyCommandSetting) : null;

  const agentSetting = s.get('identityagent');
  let identityAgent: string | null = null;
  if (agentSetting) {
    const raw = agentSetting.args[0];
    identityAgent = raw.toLowerCase() === 'none' ? 'none' : raw === 'SSH_AUTH_SOCK' || raw.startsWith('$') ? raw : toPath(raw, agentSetting);
  }
  const certificateFiles = state.certificateFiles.map((st) => toPath(st.args[0], st));
  for (const st of state.certificateFiles) {
    state.opensshOnly.push(`${where(st)}: CertificateFile (user certificates)`);
  }
  const gssapiSetting = s.get('gssapiauthentication');
  const gssapi = gssapiSetting && parseFlag(gssapiSetting, 'GSSAPIAuthentication') ? `${where(gssapiSetting)}: GSSAPIAuthentication yes (Kerberos)` : null;
  const pkcs11 = s.get('pkcs11provider');
  if (pkcs11 && pkcs11.args[0].toLowerCase() !== 'none') {
    state.opensshOnly.push(`${where(pkcs11)}: PKCS11Provider (smart cards, tokens)`);
  }
  if (algorithmsSetting && hostKeyAlgorithms.unsupported.length > 0) {
    state.opensshOnly.push(`${where(algorithmsSetting)}: HostKeyAlgorithms ${hostKeyAlgorithms.unsupported.join(', ')}`);
  }

  const resolved: ResolvedHost = {
    alias: host,
    hostname,
    port,
    user,
    identityFiles,
    identityFilesFromConfig,
    identitiesOnly: s.has('identitiesonly') ? parseFlag(s.get('identitiesonly')!, 'IdentitiesOnly') : false,
    proxyJump: [],
    proxyCommand,
    identityAgent,
    certificateFiles,
    gssapi,
    opensshOnly: [...new Set(state.opensshOnly)],
    userKnownHostsFiles: knownHostsList('userknownhostsfile', ['~/.ssh/known_hosts', '~/.ssh/known_hosts2']),
    globalKnownHostsFiles: knownHostsList('globalknownhostsfile', sshPaths(config.platform, config.homeDir).globalKnownHosts),
    hostKeyAlias,
    hostKeyAlgorithms,
    revokedHostKeys,
    strictHostKeyChecking: s.has('stricthostkeychecking') ? parseStrict(s.get('stricthostkeychecking')!) : 'ask',
    serverAliveInterval: s.has('serveraliveinterval') ? parseTime(s.get('serveraliveinterval')!, 'ServerAliveInterval') : 0,
    serverAliveCountMax: s.has('serveralivecountmax') ? parseCount(s.get('serveralivecountmax')!) : 3,
    connectTimeout: s.has('connecttimeout') ? parseConnectTimeout(s.get('connecttimeout')!) : null,
    warnings: state.warnings,
  };
  return { resolved, jump: proxyCommandWins ? undefined : jump };
}

function isEarlier(a: Setting, b: Setting): boolean {
  return a.order < b.order;
}

function evalItems(items: Item[], initiallyActive: boolean, neverMatch: boolean, state: EvalState, config: LoadedSshConfig): void {
  let active = initiallyActive;
  for (const item of items) {
    switch (item.kind) {
      case 'host':
        active = !neverMatch && patternListMatch(item.patterns, state.hostArg);
        break;
      case 'match': {
        const matched = matchLine(item, state, config);
        active = !neverMatch && matched;
        break;
      }
      case 'include':
        for (const file of item.files) {
          // Files included from an inactive block are read but nothing in them applies.
          evalItems(file.items, active, neverMatch || !active, state, config);
        }
        break;
      case 'option':
        if (active) {
          applyOption(item, state);
        }
        break;
    }
  }
}

function applyOption(item: Extract<Item, { kind: 'option' }>, state: EvalState): void {
  const setting: Setting = { args: item.args, file: item.file, line: item.line, order: state.nextOrder++ };
  if (item.keyword === 'identityfile') {
    if (item.args.length !== 1) {
      throw new SshConfigError('IdentityFile takes one path; put each key on its own IdentityFile line (quote paths with spaces).', item.file, item.line);
    }
    state.identityFiles.push(setting);
    return;
  }
  if (item.keyword === 'certificatefile') {
    if (item.args.length !== 1) {
      throw new SshConfigError('CertificateFile takes one path; put each certificate on its own line.', item.file, item.line);
    }
    state.certificateFiles.push(setting);
    return;
  }
  if (!SINGLE_KEYWORDS.has(item.keyword)) {
    return;
  }
  if (item.args.length === 0) {
    throw new SshConfigError(`${item.keyword} needs a value.`, item.file, item.line);
  }
  const multi = item.keyword === 'userknownhostsfile' || item.keyword === 'globalknownhostsfile' || item.keyword === 'proxycommand';
  if (!multi && item.args.length > 1) {
    throw new SshConfigError(`${item.keyword} takes one value but has "${item.args.join(' ')}".`, item.file, item.line);
  }
  // Check values even when an earlier line already won, as OpenSSH rejects any bad line.
  if (item.keyword === 'port') {
    parsePortSetting(setting);
  }
  if (!state.settings.has(item.keyword)) {
    state.settings.set(item.keyword, setting);
  }
}

/** HostName with %h expanded, lowercased as ssh does before connecting; the host itself without one. */
function currentHostname(state: EvalState): string {
  const setting = state.settings.get('hostname');
  const host = state.hostArg.toLowerCase();
  if (!setting) {
    return host;
  }
  return expandTokens(setting.args[0], { '%': '%', h: host }, setting, 'HostName accepts only %h and %%').toLowerCase();
}

function matchLine(item: Extract<Item, { kind: 'match' }>, state: EvalState, config: LoadedSshConfig): boolean {
  const args = item.args;
  if (args.length === 0) {
    throw new SshConfigError('Match needs criteria, e.g. "Match host web*" or "Match all".', item.file, item.line);
  }
  let result = true;
  for (let i = 0; i < args.length; i++) {
    const raw = args[i];
    const negate = raw.startsWith('!');
    const attr = (negate ? raw.slice(1) : raw).toLowerCase();
    let matched: boolean;
    if (attr === 'all') {
      matched = true;
    } else if (attr === 'canonical') {
      // We never canonicalise host names, so the canonical pass never happens.
      matched = false;
    } else if (attr === 'final') {
      state.wantFinal = true;
      matched = state.finalPass;
    } else {
      const value = args[++i];
      if (value === undefined) {
        throw new SshConfigError(`Match ${attr} needs a value.`, item.file, item.line);
      }
      switch (attr) {
        case 'host':
          matched = patternListMatch(value.split(','), currentHostname(state), true);
          break;
        case 'originalhost':
          matched = patternListMatch(value.split(','), state.originalHost.toLowerCase(), true);
          break;
        case 'user':
          matched = patternListMatch(value.split(','), state.settings.get('user')?.args[0] ?? config.localUser);
          break;
        case 'localuser':
          matched = patternListMatch(value.split(','), config.localUser);
          break;
        case 'exec':
        case 'localnetwork':
        case 'tagged': {
          if (!result) {
            // As OpenSSH: once an earlier criterion has failed, exec is skipped (its command never runs).
            matched = false;
            break;
          }
          // Running commands from a config file while browsing would be a surprise; treat as not matching.
          const warning = `${item.file} line ${item.line}: "Match ${attr}" was not evaluated; settings under it are ignored here.`;
          if (!state.warnings.includes(warning)) {
            state.warnings.push(warning);
          }
          state.opensshOnly.push(`${item.file} line ${item.line}: Match ${attr}`);
          return false;
        }
        default:
          throw new SshConfigError(
            `Match has an unsupported criterion "${raw}". Use all, host, originalhost, user, localuser, exec, canonical or final.`,
            item.file,
            item.line,
          );
      }
    }
    if (negate ? matched : !matched) {
      result = false;
    }
  }
  return result;
}

/**
 * Host lines (space-separated patterns, matched case-sensitively) and Match lists (comma-separated,
 * case-insensitive): any matching negated pattern rules the whole line out.
 */
function patternListMatch(patterns: string[], text: string, lower = false): boolean {
  let matched = false;
  for (const raw of patterns) {
    if (raw === '') {
      continue;
    }
    const negate = raw.startsWith('!');
    let pattern = negate ? raw.slice(1) : raw;
    if (lower) {
      pattern = pattern.toLowerCase();
    }
    if (wildcardMatch(pattern, text)) {
      if (negate) {
        return false;
      }
      matched = true;
    }
  }
  return matched;
}

export interface HostAlias {
  alias: string;
  /** Where it leads as this config resolves it: `user@host[:port]`, a jump host or ProxyCommand; or why it cannot be resolved. */
  where: string;
  file: string;
  line: number;
}

/** The concrete Host aliases with where each leads and where it is written: what pickers and the empty tree offer. */
export function describeConcreteHosts(config: LoadedSshConfig): HostAlias[] {
  const lines = new Map<string, { file: string; line: number }>();
  const visit = (items: Item[]): void => {
    for (const item of items) {
      if (item.kind === 'host') {
        for (const p of item.patterns) {
          if (!lines.has(p)) lines.set(p, { file: item.file, line: item.line });
        }
      } else if (item.kind === 'include') {
        item.files.forEach((f) => visit(f.items));
      }
    }
  };
  config.files.forEach((f) => visit(f.items));
  return listConcreteHosts(config).map((alias) => {
    const at = lines.get(alias) ?? { file: '', line: 0 };
    let where: string;
    try {
      const h = resolveHost(config, alias);
      const via = h.proxyJump.length ? ` via ${h.proxyJump.map((j) => j.alias).join(', ')}` : h.proxyCommand ? ' via ProxyCommand' : '';
      where = `${h.user}@${h.hostname}${h.port === 22 ? '' : `:${h.port}`}${via}`;
    } catch (e) {
      where = (e as Error).message;
    }
    return { alias, where, ...at };
  });
}

/** Host aliases worth offering in a picker: Host patterns with no wildcard and no negation. */
export function listConcreteHosts(config: LoadedSshConfig): string[] {
  const hosts: string[] = [];
  const visit = (items: Item[]): void => {
    for (const item of items) {
      if (item.kind === 'host') {
        for (const pattern of item.patterns) {
          if (pattern !== '' && !/[*?!,]/.test(pattern) && !hosts.includes(pattern)) {
            hosts.push(pattern);
          }
        }
      } else if (item.kind === 'include') {
        item.files.forEach((f) => visit(f.items));
      }
    }
  };
  config.files.forEach((f) => visit(f.items));
  return hosts;
}

function expandTokens(value: string, tokens: Record<string, string>, setting: Setting, hint?: string): string {
  return value.replace(/%(.?)/g, (_m, key: string) => {
    if (key === '') {
      throw new SshConfigError(`"${value}" ends with a lone %; write %% for a literal percent sign.`, setting.file, setting.line);
    }
    const v = tokens[key];
    if (v === undefined) {
      throw new SshConfigError(
        `"${value}" uses the unknown token %${key}${hint ? ` (${hint})` : ''}; write %% for a literal percent sign.`,
        setting.file,
        setting.line,
      );
    }
    return v;
  });
}

function expandTilde(value: string, homeDir: string, file: string, line: number, platform: PlatformName): string {
  if (value === '~') {
    return homeDir;
  }
  if (value.startsWith('~/') || (platform === 'win32' && value.startsWith('~\\'))) {
    return pathFor(platform).join(homeDir, value.slice(2));
  }
  if (value.startsWith('~')) {
    throw new SshConfigError(`"${value}": ~user paths are not supported here; write the full path.`, file, line);
  }
  return value;
}

function where(setting: Setting): string {
  return `${setting.file} line ${setting.line}`;
}

function parsePortSetting(setting: Setting): number {
  const text = setting.args[0];
  const port = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new SshConfigError(`Port "${text}" is not a port number; use 1 to 65535.`, setting.file, setting.line || undefined);
  }
  return port;
}

function parseFlag(setting: Setting, name: string): boolean {
  const v = setting.args[0].toLowerCase();
  if (v === 'yes' || v === 'true') {
    return true;
  }
  if (v === 'no' || v === 'false') {
    return false;
  }
  throw new SshConfigError(`${name} must be yes or no, not "${setting.args[0]}".`, setting.file, setting.line);
}

function parseStrict(setting: Setting): StrictHostKeyChecking {
  const v = setting.args[0].toLowerCase();
  switch (v) {
    case 'yes':
    case 'true':
      return 'yes';
    case 'no':
    case 'off':
    case 'false':
      return 'no';
    case 'accept-new':
      return 'accept-new';
    case 'ask':
      return 'ask';
  }
  throw new SshConfigError(
    `StrictHostKeyChecking must be yes, no, accept-new, ask or off, not "${setting.args[0]}".`,
    setting.file,
    setting.line,
  );
}

/** OpenSSH's convtime: "90", "90s", "1m30s", "2h"; units s m h d w. */
function parseTime(setting: Setting, name: string): number {
  const text = setting.args[0];
  const units: Record<string, number> = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
  if (!/^(\d+[smhdwSMHDW]?)+$/.test(text)) {
    throw new SshConfigError(`${name} "${text}" is not a time; write seconds (30) or with units (1m30s).`, setting.file, setting.line);
  }
  let total = 0;
  for (const m of text.matchAll(/(\d+)([smhdwSMHDW]?)/g)) {
    total += Number(m[1]) * units[m[2].toLowerCase()];
  }
  return total;
}

function parseConnectTimeout(setting: Setting): number | null {
  if (setting.args[0].toLowerCase() === 'none') {
    return null;
  }
  const seconds = parseTime(setting, 'ConnectTimeout');
  return seconds === 0 ? null : seconds;
}

function parseCount(setting: Setting): number {
  const text = setting.args[0];
  if (!/^\d+$/.test(text)) {
    throw new SshConfigError(`ServerAliveCountMax "${text}" is not a whole number.`, setting.file, setting.line);
  }
  return Number(text);
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}
