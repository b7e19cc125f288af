/**
 * Which transport reaches a host: ssh2 (in-process, fast, the default) or the system's OpenSSH, which
 * `auto` picks when the host's config needs something ssh2 does not implement. The reasons are worded
 * for the log ("using OpenSSH for web: ~/.ssh/config line 4: GSSAPIAuthentication yes (Kerberos)").
 */
import { promises as fsp } from 'fs';
import * as path from 'path';
import { entryMatchesHost, loadKnownHosts } from './knownHosts';
import { ResolvedHost } from './sshConfig';

export type TransportSetting = 'auto' | 'ssh2' | 'openssh';
export type TransportKind = 'ssh2' | 'openssh';

export interface TransportChoice {
  transport: TransportKind;
  /** Why OpenSSH is needed (empty when ssh2 can do everything). */
  needs: string[];
  /** Set when the choice is not what the config needs (no ssh client), for a warning. */
  warning?: string;
}

export function isTransportSetting(value: unknown): value is TransportSetting {
  return value === 'auto' || value === 'ssh2' || value === 'openssh';
}

/** The decision, from the setting, what the host needs and whether an OpenSSH client is there. */
export function chooseTransport(setting: TransportSetting, needs: readonly string[], sshFound: boolean): TransportChoice {
  if (setting === 'ssh2' || setting === 'openssh') {
    return { transport: setting, needs: [...needs] };
  }
  if (needs.length === 0) {
    return { transport: 'ssh2', needs: [] };
  }
  if (!sshFound) {
    return {
      transport: 'ssh2',
      needs: [...needs],
      warning: `the config needs OpenSSH (${needs.join('; ')}) but no ssh client is on PATH; trying ssh2, which ignores these`,
    };
  }
  return { transport: 'openssh', needs: [...needs] };
}

export interface NeedsFs {
  readFile(file: string): Promise<Buffer | undefined>;
  exists(file: string): Promise<boolean>;
}

export const nodeNeedsFs: NeedsFs = {
  async readFile(file) {
    try {
      return await fsp.readFile(file);
    } catch {
      return undefined;
    }
  },
  async exists(file) {
    try {
      await fsp.access(file);
      return true;
    } catch {
      return false;
    }
  },
};

/**
 * The key type of an OpenSSH private key file (`openssh-key-v1`), read from its public part, which is
 * never encrypted; undefined for other formats.
 */
export function opensshPrivateKeyType(data: Buffer): string | undefined {
  const text = data.toString('latin1');
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) {
    return undefined;
  }
  const raw = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
  const magic = Buffer.from('openssh-key-v1\0', 'latin1');
  if (raw.length < magic.length || !raw.subarray(0, magic.length).equals(magic)) {
    return undefined;
  }
  let off = magic.length;
  const str = (): Buffer | undefined => {
    if (off + 4 > raw.length) return undefined;
    const n = raw.readUInt32BE(off);
    if (off + 4 + n > raw.length) return undefined;
    const b = raw.subarray(off + 4, off + 4 + n);
    off += 4 + n;
    return b;
  };
  str(); // cipher
  str(); // kdf
  str(); // kdf options
  if (off + 4 > raw.length) return undefined;
  off += 4; // number of keys
  const pub = str();
  if (!pub || pub.length < 4) return undefined;
  const n = pub.readUInt32BE(0);
  return n + 4 <= pub.length ? pub.subarray(4, 4 + n).toString('latin1') : undefined;
}

/**
 * Everything about reaching `host` (and its jump hosts) that only OpenSSH can do: what the config says
 * (ResolvedHost.opensshOnly), FIDO security keys and certificates among the identity files, and
 * @cert-authority lines in known_hosts that cover the host.
 */
export async function opensshNeeds(host: ResolvedHost, fs: NeedsFs = nodeNeedsFs, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const needs: string[] = [];
  const ticket = host.gssapi !== null || host.proxyJump.some((h) => h.gssapi !== null) ? await kerberosTicket(fs, env) : undefined;
  for (const hop of [...host.proxyJump, host]) {
    const who = hop === host ? '' : ` (jump host ${hop.alias})`;
    needs.push(...hop.opensshOnly.map((n) => `${n}${who}`));
    if (hop.gssapi !== null && ticket) {
      needs.push(`${hop.gssapi} and a Kerberos ticket (${ticket})${who}`);
    }
    for (const file of hop.identityFiles) {
      const data = await fs.readFile(file);
      let type = data ? opensshPrivateKeyType(data) : undefined;
      if (type === undefined) {
        type = (await fs.readFile(`${file}.pub`))?.toString('latin1').trim().split(/\s+/)[0];
      }
      if (type?.startsWith('sk-')) {
        needs.push(`${file} is a FIDO security key (${type})${who}`);
      }
      if (data && (await fs.exists(`${file}-cert.pub`))) {
        needs.push(`${file} has a user certificate ${path.basename(file)}-cert.pub${who}`);
      }
    }
    const known = await loadKnownHosts([...hop.userKnownHostsFiles, ...hop.globalKnownHostsFiles]).catch(() => undefined);
    const ca = known?.entries.find((e) => e.marker === 'cert-authority' && entryMatchesHost(e.hosts, hop.hostname, hop.port, hop.hostKeyAlias));
    if (ca) {
      needs.push(`${ca.file} line ${ca.line}: @cert-authority (host certificates)${who}`);
    }
  }
  return [...new Set(needs)];
}

/**
 * Where a Kerberos credential cache is (KRB5CCNAME, else the default /tmp/krb5cc_UID), or undefined: without
 * one GSSAPI cannot authenticate, so a config that merely turns it on (as Debian's does for every host)
 * needs no OpenSSH.
 */
export async function kerberosTicket(fs: NeedsFs = nodeNeedsFs, env: NodeJS.ProcessEnv = process.env, uid = process.getuid?.() ?? -1): Promise<string | undefined> {
  const named = env.KRB5CCNAME;
  if (named) {
    const file = named.startsWith('FILE:') ? named.slice(5) : named.includes(':') ? undefined : named;
    // KEYRING:, KCM:, DIR:, API: caches are not files; their presence is the user's statement.
    return file === undefined || (await fs.exists(file)) ? `KRB5CCNAME=${named}` : undefined;
  }
  const file = `/tmp/krb5cc_${uid}`;
  return uid >= 0 && (await fs.exists(file)) ? file : undefined;
}

/** Whether an `ssh` program is on PATH (or is the given absolute path). */
export async function findSsh(program = 'ssh', env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): Promise<string | undefined> {
  const exists = nodeNeedsFs.exists;
  if (path.isAbsolute(program)) {
    return (await exists(program)) ? program : undefined;
  }
  const sep = platform === 'win32' ? ';' : ':';
  const names = platform === 'win32' && !program.toLowerCase().endsWith('.exe') ? [`${program}.exe`, program] : [program];
  for (const dir of (env.PATH ?? env.Path ?? '').split(sep)) {
    if (!dir) continue;
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (await exists(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}
