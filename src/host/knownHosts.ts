/**
 * known_hosts, as OpenSSH reads and writes it: plain, negated, wildcard and hashed host patterns,
 * `[host]:port` for ports other than 22, `@revoked` and `@cert-authority` markers. Pure apart from the
 * file functions, which tests and callers can replace.
 */
import { createHash, createHmac, randomBytes } from 'crypto';
import { promises as fsp } from 'fs';
import * as path from 'path';

export type KnownHostsMarker = 'revoked' | 'cert-authority';

export interface KnownHostsEntry {
  file: string;
  /** 1-based line number, for messages such as "Offending key in ~/.ssh/known_hosts:12". */
  line: number;
  marker?: KnownHostsMarker;
  /** The host field as written: a comma list of patterns, or one `|1|salt|hash`. */
  hosts: string;
  keyType: string;
  keyBlob: Buffer;
  comment?: string;
}

export interface KnownHostsProblem {
  file: string;
  line: number;
  message: string;
}

export interface ParsedKnownHosts {
  entries: KnownHostsEntry[];
  /** Lines OpenSSH would skip as malformed; reported so a user can fix them. */
  problems: KnownHostsProblem[];
}

/** Parse the text of one known_hosts file. Malformed lines are skipped and reported, never thrown. */
export function parseKnownHosts(text: string, file: string): ParsedKnownHosts {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i].replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) {
      continue;
    }
    const fields = raw.split(/[ \t]+/);
    let marker: KnownHostsMarker | undefined;
    if (fields[0].startsWith('@')) {
      const m = fields.shift()!.toLowerCase();
      if (m === '@revoked') {
        marker = 'revoked';
      } else if (m === '@cert-authority') {
        marker = 'cert-authority';
      } else {
        problems.push({ file, line: lineNo, message: `unknown marker "${m}"; only @revoked and @cert-authority exist.` });
        continue;
      }
    }
    if (fields.length < 3) {
      problems.push({ file, line: lineNo, message: 'expected "hosts key-type base64-key [comment]".' });
      continue;
    }
    const [hosts, keyType, b64, ...commentParts] = fields;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) {
      problems.push({ file, line: lineNo, message: `the key of type ${keyType} is not valid base64.` });
      continue;
    }
    const keyBlob = Buffer.from(b64, 'base64');
    const blobType = keyTypeOfBlob(keyBlob);
    if (blobType === undefined) {
      problems.push({ file, line: lineNo, message: `the key of type ${keyType} is not an SSH public key.` });
      continue;
    }
    if (blobType !== keyType) {
      problems.push({ file, line: lineNo, message: `the line says ${keyType} but the key is ${blobType}.` });
      continue;
    }
    if (hosts.startsWith('|') && parseHashed(hosts) === undefined) {
      problems.push({ file, line: lineNo, message: 'the hashed host name is malformed (expected |1|salt|hash).' });
      continue;
    }
    const entry: KnownHostsEntry = { file, line: lineNo, hosts, keyType, keyBlob };
    if (marker !== undefined) {
      entry.marker = marker;
    }
    if (commentParts.length > 0) {
      entry.comment = commentParts.join(' ');
    }
    entries.push(entry);
  }
  return { entries, problems };
}

/** The name OpenSSH looks a host up by: `host` on port 22, `[host]:port` otherwise; lowercased. */
export function knownHostsName(host: string, port: number): string {
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Whether an entry's host field matches a host (OpenSSH's match_hostname, plus hashed names). */
export function entryMatchesHost(hosts: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (hosts.startsWith('|')) {
    const hashed = parseHashed(hosts);
    return hashed !== undefined && hashHostName(name, hashed.salt).equals(hashed.hash);
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern === '') {
      continue;
    }
    const negate = pattern.startsWith('!');
    const p = (negate ? pattern.slice(1) : pattern).toLowerCase();
    if (wildcardMatch(p, name)) {
      if (negate) {
        // A matching negation rules the entry out, whatever else on the line matches.
        return false;
      }
      matched = true;
    }
  }
  return matched;
}

/** OpenSSH's match_pattern: `*` any run, `?` exactly one character, everything else literal. */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      starP = p++;
      starT = t;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') {
    p++;
  }
  return p === pattern.length;
}

export type HostKeyVerdict =
  | { status: 'known'; file: string; line: number }
  /** Nothing for this key type. otherTypes lists key types the host is known by, as OpenSSH warns. */
  | { status: 'unknown'; otherTypes: string[] }
  | { status: 'changed'; file: string; line: number; knownType: string }
  | { status: 'revoked'; file: string; line: number };

export interface HostKeyToVerify {
  host: string;
  port: number;
  /** The key's type; when omitted, read from the blob. rsa-sha2-* signature names count as ssh-rsa. */
  keyType?: string;
  keyBlob: Buffer;
}

export interface KnownHostsFs {
  /** The file's text, or undefined when it does not exist. */
  readFile(file: string): Promise<string | undefined>;
}

export const nodeKnownHostsFs: KnownHostsFs = {
  async readFile(file) {
    try {
      return await fsp.readFile(file, 'utf8');
    } catch (err) {
      if (isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR')) {
        return undefined;
      }
      throw new Error(`Cannot read known hosts file ${file}: ${(err as Error).message}. Check its permissions.`);
    }
  },
};

/** Check a host key against known_hosts files, in order, as OpenSSH's check_host_key does. */
export async function verifyHostKey(
  key: HostKeyToVerify,
  files: readonly string[],
  fs: KnownHostsFs = nodeKnownHostsFs,
): Promise<HostKeyVerdict> {
  const entries: KnownHostsEntry[] = [];
  for (const file of files) {
    const text = await fs.readFile(file);
    if (text !== undefined) {
      entries.push(...parseKnownHosts(text, file).entries);
    }
  }
  return verifyHostKeyInEntries(key, entries);
}

/** verifyHostKey over entries already parsed. */
export function verifyHostKeyInEntries(key: HostKeyToVerify, entries: readonly KnownHostsEntry[]): HostKeyVerdict {
  const blobType = keyTypeOfBlob(key.keyBlob);
  if (blobType === undefined) {
    throw new Error('The host sent a key that is not an SSH public key blob.');
  }
  const keyType = normalizeKeyType(key.keyType ?? blobType);
  if (keyType !== blobType) {
    throw new Error(`The host key is announced as ${keyType} but is a ${blobType} key.`);
  }
  const matching = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesHost(e.hosts, key.host, key.port));

  // A revoked key is refused whatever else the files say about it.
  const revoked = matching.find((e) => e.marker === 'revoked' && e.keyBlob.equals(key.keyBlob));
  if (revoked) {
    return { status: 'revoked', file: revoked.file, line: revoked.line };
  }
  const plain = matching.filter((e) => e.marker === undefined);
  const same = plain.find((e) => e.keyType === keyType && e.keyBlob.equals(key.keyBlob));
  if (same) {
    return { status: 'known', file: same.file, line: same.line };
  }
  const changed = plain.find((e) => e.keyType === keyType);
  if (changed) {
    return { status: 'changed', file: changed.file, line: changed.line, knownType: changed.keyType };
  }
  const otherTypes = [...new Set(plain.map((e) => e.keyType))];
  return { status: 'unknown', otherTypes };
}

/** `SHA256:...` exactly as `ssh-keygen -l` prints it. */
export function fingerprintSha256(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type written inside an SSH public key blob (its first string), or undefined if malformed. */
export function keyTypeOfBlob(blob: Buffer): string | undefined {
  if (blob.length < 4) {
    return undefined;
  }
  const len = blob.readUInt32BE(0);
  if (len === 0 || len > 64 || 4 + len > blob.length) {
    return undefined;
  }
  const type = blob.subarray(4, 4 + len).toString('latin1');
  return /^[A-Za-z0-9@._-]+$/.test(type) ? type : undefined;
}

/** Signature algorithm names for RSA keys (rsa-sha2-256/512) name the same key type as ssh-rsa. */
export function normalizeKeyType(type: string): string {
  return type === 'rsa-sha2-256' || type === 'rsa-sha2-512' ? 'ssh-rsa' : type;
}

export interface FormatKnownHostsOptions {
  /** Write the host name hashed, as `HashKnownHosts yes` does. */
  hash?: boolean;
  /** Salt for hashing, 20 bytes; random when omitted (tests pass one). */
  salt?: Buffer;
}

/** One known_hosts line (no newline) in OpenSSH's format. */
export function formatKnownHostsLine(
  host: string,
  port: number,
  keyType: string,
  keyBlob: Buffer,
  options: FormatKnownHostsOptions = {},
): string {
  const blobType = keyTypeOfBlob(keyBlob);
  const type = normalizeKeyType(keyType);
  if (blobType !== type) {
    throw new Error(`Refusing to record a ${type} host key whose data is ${blobType ?? 'not an SSH key'}.`);
  }
  if (host === '' || /[\s,]/.test(host)) {
    throw new Error(`Cannot record a host key for "${host}": the name is empty or contains a space or comma.`);
  }
  const name = knownHostsName(host, port);
  let hosts = name;
  if (options.hash) {
    const salt = options.salt ?? randomBytes(20);
    hosts = `|1|${salt.toString('base64')}|${hashHostName(name, salt).toString('base64')}`;
  }
  return `${hosts} ${type} ${keyBlob.toString('base64')}`;
}

export interface AppendFs {
  mkdir(dir: string, mode: number): Promise<void>;
  /** Current text, undefined when the file does not exist. */
  readFile(file: string): Promise<string | undefined>;
  /** Append, creating the file with `mode` when missing. */
  appendFile(file: string, data: string, mode: number): Promise<void>;
}

export const nodeAppendFs: AppendFs = {
  async mkdir(dir, mode) {
    await fsp.mkdir(dir, { recursive: true, mode });
  },
  readFile: nodeKnownHostsFs.readFile,
  async appendFile(file, data, mode) {
    await fsp.appendFile(file, data, { mode });
  },
};

/**
 * Append one line to a known_hosts file. Creates the folder (0700) and the file (0600) when missing, and
 * starts a new line first if the file does not end with one, so the previous entry is not corrupted.
 */
export async function appendKnownHost(file: string, line: string, fs: AppendFs = nodeAppendFs): Promise<void> {
  const text = line.replace(/\r?\n$/, '');
  if (text.includes('\n')) {
    throw new Error('A known_hosts entry must be one line.');
  }
  try {
    await fs.mkdir(path.dirname(file), 0o700);
    const existing = await fs.readFile(file);
    const prefix = existing !== undefined && existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
    await fs.appendFile(file, `${prefix}${text}\n`, 0o600);
  } catch (err) {
    throw new Error(`Could not add the host key to ${file}: ${(err as Error).message}. Check that the file and its folder are writable.`);
  }
}

function parseHashed(hosts: string): { salt: Buffer; hash: Buffer } | undefined {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(hosts);
  if (!m) {
    return undefined;
  }
  const salt = Buffer.from(m[1], 'base64');
  const hash = Buffer.from(m[2], 'base64');
  // OpenSSH writes a 20-byte salt and a 20-byte HMAC-SHA1.
  if (salt.length !== 20 || hash.length !== 20) {
    return undefined;
  }
  return { salt, hash };
}

function hashHostName(name: string, salt: Buffer): Buffer {
  return createHmac('sha1', salt).update(name).digest();
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}
