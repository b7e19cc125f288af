/**
 * known_hosts, as OpenSSH reads and writes it: plain, negated, wildcard and hashed host patterns,
 * `[host]:port` for ports other than 22 (a HostKeyAlias bare, whatever the port), `@revoked` and
 * `@cert-authority` markers; the RevokedHostKeys file; and the host key algorithms to offer, known key
 * types first. Pure apart from the file functions, which tests and callers can replace.
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

/**
 * The name OpenSSH looks a host up by, and writes a new host under: `host` on port 22, `[host]:port`
 * otherwise; lowercased. A HostKeyAlias replaces both host and port: the bare alias, whatever the port.
 */
export function knownHostsName(host: string, port: number, hostKeyAlias?: string | null): string {
  if (hostKeyAlias) {
    return hostKeyAlias.toLowerCase();
  }
  const h = host.toLowerCase();
  return port === 22 ? h : `[${h}]:${port}`;
}

/** Whether an entry's host field matches a host (OpenSSH's match_hostname, plus hashed names). */
export function entryMatchesHost(hosts: string, host: string, port: number, hostKeyAlias?: string | null): boolean {
  return entryMatchesName(hosts, knownHostsName(host, port, hostKeyAlias));
}

/** entryMatchesHost for a name already made by knownHostsName. */
export function entryMatchesName(hosts: string, name: string): boolean {
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
  /**
   * Refused: an `@revoked` line in a known_hosts file, or a key in the RevokedHostKeys file (line 0 when
   * that file is a KRL, which has no lines).
   */
  | { status: 'revoked'; file: string; line: number; source: 'known_hosts' | 'RevokedHostKeys' };

export interface HostKeyToVerify {
  host: string;
  port: number;
  /** HostKeyAlias from ssh config: looked up bare, instead of host and port. */
  hostKeyAlias?: string | null;
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

/** Read and parse known_hosts files in order; missing files are empty, malformed lines are in problems. */
export async function loadKnownHosts(files: readonly string[], fs: KnownHostsFs = nodeKnownHostsFs): Promise<ParsedKnownHosts> {
  const entries: KnownHostsEntry[] = [];
  const problems: KnownHostsProblem[] = [];
  for (const file of files) {
    const text = await fs.readFile(file);
    if (text !== undefined) {
      const parsed = parseKnownHosts(text, file);
      entries.push(...parsed.entries);
      problems.push(...parsed.problems);
    }
  }
  return { entries, problems };
}

/** Check a host key against known_hosts files, in order, as OpenSSH's check_host_key does. */
export async function verifyHostKey(
  key: HostKeyToVerify,
  files: readonly string[],
  fs: KnownHostsFs = nodeKnownHostsFs,
  revoked?: RevokedHostKeys,
): Promise<HostKeyVerdict> {
  return verifyHostKeyInEntries(key, (await loadKnownHosts(files, fs)).entries, revoked);
}

/**
 * verifyHostKey over entries already parsed: the whole host key decision short of asking the user.
 * A key in `revoked` (the RevokedHostKeys file) or on a matching `@revoked` line is refused first,
 * whatever else the files say about it, as OpenSSH does.
 */
export function verifyHostKeyInEntries(
  key: HostKeyToVerify,
  entries: readonly KnownHostsEntry[],
  revoked?: RevokedHostKeys,
): HostKeyVerdict {
  const blobType = keyTypeOfBlob(key.keyBlob);
  if (blobType === undefined) {
    throw new Error('The host sent a key that is not an SSH public key blob.');
  }
  const keyType = normalizeKeyType(key.keyType ?? blobType);
  if (keyType !== blobType) {
    throw new Error(`The host key is announced as ${keyType} but is a ${blobType} key.`);
  }
  if (revoked) {
    const line = revokedKeyLine(revoked, key.keyBlob);
    if (line !== undefined) {
      return { status: 'revoked', file: revoked.file, line, source: 'RevokedHostKeys' };
    }
  }
  const name = knownHostsName(key.host, key.port, key.hostKeyAlias);
  const matching = entries.filter((e) => e.marker !== 'cert-authority' && entryMatchesName(e.hosts, name));

  const revokedEntry = matching.find((e) => e.marker === 'revoked' && e.keyBlob.equals(key.keyBlob));
  if (revokedEntry) {
    return { status: 'revoked', file: revokedEntry.file, line: revokedEntry.line, source: 'known_hosts' };
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

/**
 * Key types known_hosts has plain keys of for a name from knownHostsName, in file order: the types
 * OpenSSH's order_hostkeyalgs prefers. `@revoked` and `@cert-authority` lines do not count.
 */
export function knownKeyTypes(entries: readonly KnownHostsEntry[], name: string): string[] {
  return [...new Set(entries.filter((e) => e.marker === undefined && entryMatchesName(e.hosts, name)).map((e) => e.keyType))];
}

/**
 * Host key algorithms ssh2 can verify, in ssh2's default order (its DEFAULT_SERVER_HOST_KEY; ssh-rsa
 * kept last for old servers, which OpenSSH 8.8+ no longer offers by default).
 */
export const DEFAULT_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Everything ssh2 accepts in algorithms.serverHostKey (its SUPPORTED_SERVER_HOST_KEY). */
export const SUPPORTED_HOST_KEY_ALGORITHMS: readonly string[] = [...DEFAULT_HOST_KEY_ALGORITHMS, 'ssh-dss'];

/** `ssh -Q HostKeyAlgorithms` of OpenSSH 9: the names HostKeyAlgorithms may use, in OpenSSH's order. */
const OPENSSH_HOST_KEY_ALGORITHMS: readonly string[] = [
  'ssh-ed25519',
  'ssh-ed25519-cert-v01@openssh.com',
  'sk-ssh-ed25519@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'webauthn-sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-dss',
  'ssh-dss-cert-v01@openssh.com',
  'ssh-rsa',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512',
  'rsa-sha2-512-cert-v01@openssh.com',
];

export interface HostKeyAlgorithms {
  /** What to offer, before known_hosts reordering; only names ssh2 supports. */
  algorithms: string[];
  /**
   * Whether to put algorithms of keys already in known_hosts first: OpenSSH does when HostKeyAlgorithms
   * is unset or only adds (+) or removes (-) algorithms, not for a list of the user's own or ^.
   */
  preferKnown: boolean;
  /** Names the setting asked for that OpenSSH knows but ssh2 cannot use (certificates, security keys). */
  unsupported: string[];
}

/** The default: ssh2's list, reordered by known_hosts. */
export function defaultHostKeyAlgorithms(): HostKeyAlgorithms {
  return { algorithms: [...DEFAULT_HOST_KEY_ALGORITHMS], preferKnown: true, unsupported: [] };
}

/**
 * HostKeyAlgorithms as OpenSSH's kex_assemble_names reads it: a list of its own, `+list` appended to the
 * default, `-list` (patterns) removed from it, `^list` put at its head; `*` and `?` patterns expand in
 * OpenSSH's order. Throws, naming the culprit, for names OpenSSH would reject ("Bad key types").
 */
export function parseHostKeyAlgorithms(value: string): HostKeyAlgorithms {
  const op = value[0] === '+' || value[0] === '-' || value[0] === '^' ? value[0] : '';
  const list = value.slice(op.length).split(',');
  if (list.some((n) => n === '')) {
    throw new Error(`HostKeyAlgorithms "${value}" has an empty name; separate names with single commas.`);
  }
  if (op !== '-') {
    const bad = list.filter((n) => !OPENSSH_HOST_KEY_ALGORITHMS.some((a) => wildcardMatch(n, a)));
    if (bad.length > 0) {
      throw new Error(`HostKeyAlgorithms names unknown algorithms: ${bad.join(', ')}. Run "ssh -Q HostKeyAlgorithms" for the names.`);
    }
  }
  const def = DEFAULT_HOST_KEY_ALGORITHMS;
  let wanted: string[];
  if (op === '+') {
    wanted = [...def, ...list];
  } else if (op === '-') {
    wanted = def.filter((a) => !list.some((p) => wildcardMatch(p, a)));
  } else if (op === '^') {
    wanted = [...list, ...def];
  } else {
    wanted = list;
  }
  const expanded: string[] = [];
  for (const name of wanted) {
    for (const a of OPENSSH_HOST_KEY_ALGORITHMS.includes(name) ? [name] : OPENSSH_HOST_KEY_ALGORITHMS) {
      if (wildcardMatch(name, a) && !expanded.includes(a)) {
        expanded.push(a);
      }
    }
  }
  const algorithms = expanded.filter((a) => SUPPORTED_HOST_KEY_ALGORITHMS.includes(a));
  // Patterns that also match what ssh2 lacks (ssh-ed25519*) need no warning; names given in full do.
  const unsupported = list.filter((n) => !/[*?]/.test(n) && !SUPPORTED_HOST_KEY_ALGORITHMS.includes(n) && op !== '-');
  if (algorithms.length === 0) {
    throw new Error(
      `HostKeyAlgorithms "${value}" leaves no algorithm Namespace Explorer can verify; it supports ${SUPPORTED_HOST_KEY_ALGORITHMS.join(', ')}.`,
    );
  }
  return { algorithms, preferKnown: op === '' ? false : op !== '^', unsupported };
}

/**
 * OpenSSH's order_hostkeyalgs: when the first algorithm already names a key type known_hosts has for
 * the host, the list as is; otherwise the algorithms of known key types first, each part in list order.
 * So a host known by ssh-ed25519 is asked for that key, and one that also has ecdsa or RSA keys never
 * leads to a first-use prompt for them.
 */
export function preferKnownHostKeyAlgorithms(algorithms: readonly string[], knownTypes: readonly string[]): string[] {
  const known = (alg: string) => knownTypes.includes(normalizeKeyType(alg));
  if (algorithms.length === 0 || known(algorithms[0])) {
    return [...algorithms];
  }
  return [...algorithms.filter(known), ...algorithms.filter((a) => !known(a))];
}

/** The algorithms.serverHostKey list to give ssh2 for a host. */
export function hostKeyAlgorithmsFor(setting: HostKeyAlgorithms, entries: readonly KnownHostsEntry[], name: string): string[] {
  return setting.preferKnown ? preferKnownHostKeyAlgorithms(setting.algorithms, knownKeyTypes(entries, name)) : [...setting.algorithms];
}

/** The keys of a RevokedHostKeys file: public keys one a line, or a KRL made by ssh-keygen -k. */
export interface RevokedHostKeys {
  file: string;
  /** Key blobs with their 1-based line (0 in a KRL). */
  keys: Array<{ blob: Buffer; line: number }>;
  /** SHA-1 and SHA-256 digests of key blobs, from a KRL's fingerprint sections. */
  sha1: Buffer[];
  sha256: Buffer[];
}

/** The line of `blob` in a revoked keys list (0 for a KRL), or undefined when it is not revoked. */
export function revokedKeyLine(revoked: RevokedHostKeys, blob: Buffer): number | undefined {
  const explicit = revoked.keys.find((k) => k.blob.equals(blob));
  if (explicit) {
    return explicit.line;
  }
  const sha1 = createHash('sha1').update(blob).digest();
  const sha256 = createHash('sha256').update(blob).digest();
  return revoked.sha1.some((h) => h.equals(sha1)) || revoked.sha256.some((h) => h.equals(sha256)) ? 0 : undefined;
}

const KRL_MAGIC = Buffer.from('SSHKRL\n\0', 'latin1');

/**
 * Parse a RevokedHostKeys file. Unlike known_hosts, a line that is not a public key is an error, not
 * skipped: OpenSSH refuses every host key then, since a broken revocation list must not let a revoked
 * key through.
 */
export function parseRevokedHostKeys(data: Buffer, file: string): RevokedHostKeys {
  if (data.subarray(0, KRL_MAGIC.length).equals(KRL_MAGIC)) {
    return parseKrl(data, file);
  }
  const keys: RevokedHostKeys['keys'] = [];
  const lines = data.toString('utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '').trim();
    if (raw === '' || raw.startsWith('#')) {
      continue;
    }
    const [keyType, b64] = raw.split(/[ \t]+/);
    const blob = b64 !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(b64) ? Buffer.from(b64, 'base64') : undefined;
    const blobType = blob && keyTypeOfBlob(blob);
    if (!blob || blobType !== keyType) {
      throw new Error(
        `${file} line ${i + 1} is not a public key (expected "key-type base64-key [comment]", as in a .pub file). ` +
          'Fix or remove the line: until then every host key is refused, as OpenSSH does.',
      );
    }
    keys.push({ blob, line: i + 1 });
  }
  return { file, keys, sha1: [], sha256: [] };
}

/** OpenSSH's KRL format (PROTOCOL.krl): explicit keys and key digests; certificate sections are skipped. */
function parseKrl(data: Buffer, file: string): RevokedHostKeys {
  const out: RevokedHostKeys = { file, keys: [], sha1: [], sha256: [] };
  let at = KRL_MAGIC.length;
  const fail = (why: string): never => {
    throw new Error(`${file} is not a valid key revocation list (KRL): ${why}. Regenerate it with ssh-keygen -k; until then every host key is refused.`);
  };
  const need = (n: number) => {
    if (at + n > data.length) {
      fail('it ends early');
    }
  };
  const u32 = () => {
    need(4);
    const v = data.readUInt32BE(at);
    at += 4;
    return v;
  };
  const str = () => {
    const len = u32();
    need(len);
    const v = data.subarray(at, at + len);
    at += len;
    return v;
  };
  const version = u32();
  if (version !== 1) {
    fail(`format version ${version} is not 1`);
  }
  need(24); // krl_version, generated_date, flags
  at += 24;
  str(); // reserved
  str(); // comment
  while (at < data.length) {
    const type = data[at++];
    const section = str();
    const items = (): Buffer[] => {
      const list: Buffer[] = [];
      for (let p = 0; p < section.length; ) {
        if (p + 4 > section.length) {
          fail(`section ${type} is truncated`);
        }
        const len = section.readUInt32BE(p);
        if (p + 4 + len > section.length) {
          fail(`section ${type} is truncated`);
        }
        list.push(Buffer.from(section.subarray(p + 4, p + 4 + len)));
        p += 4 + len;
      }
      return list;
    };
    switch (type) {
      case 1: // certificates: ssh2 never negotiates certificate host keys
      case 4: // signature
        break;
      case 2:
        out.keys.push(...items().map((blob) => ({ blob, line: 0 })));
        break;
      case 3:
        out.sha1.push(...items());
        break;
      case 5:
        out.sha256.push(...items());
        break;
      default:
        fail(`it has a section of unknown type ${type}`);
    }
  }
  return out;
}

export interface RevokedHostKeysFs {
  /** The file's bytes; rejects with the errno error (ENOENT, EACCES, ...) when it cannot be read. */
  readFile(file: string): Promise<Buffer>;
}

export const nodeRevokedHostKeysFs: RevokedHostKeysFs = {
  readFile: (file) => fsp.readFile(file),
};

/**
 * Read the RevokedHostKeys file. A file that is missing or unreadable is an error, not an empty list:
 * OpenSSH refuses the connection then, and so does this (fail closed).
 */
export async function loadRevokedHostKeys(file: string, fs: RevokedHostKeysFs = nodeRevokedHostKeysFs): Promise<RevokedHostKeys> {
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder, not a file'
            : `cannot be read (${code ?? (err as Error).message})`;
    throw new Error(
      `The RevokedHostKeys file ${file} ${why}. Host keys cannot be checked against it, so the connection is refused, ` +
        'as OpenSSH does. Create the file (it may be empty), fix its permissions, or remove the RevokedHostKeys line from your ssh config.',
    );
  }
  return parseRevokedHostKeys(data, file);
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
  /** HostKeyAlias from ssh config: the line names the bare alias instead of host and port. */
  hostKeyAlias?: string | null;
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
  for (const n of options.hostKeyAlias ? [host, options.hostKeyAlias] : [host]) {
    if (n === '' || /[\s,]/.test(n)) {
      throw new Error(`Cannot record a host key for "${n}": the name is empty or contains a space or comma.`);
    }
  }
  const name = knownHostsName(host, port, options.hostKeyAlias);
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
