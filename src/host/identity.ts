/**
 * Identity (private key) files for ssh2: read, recognise, and tell apart the ones that need a passphrase.
 * Key material never appears in a message, a log line, JSON or util.inspect output.
 */
import { promises as fsp } from 'fs';
import { utils } from 'ssh2';

export type IdentityKind = 'ok' | 'encrypted' | 'unreadable' | 'invalid';

export interface IdentityResult {
  path: string;
  kind: IdentityKind;
  /** User-facing: which file, what is wrong, what to do. Never contains key material. */
  message: string;
  /** For 'ok': the key type, e.g. ssh-ed25519. */
  keyType?: string;
  /** For 'encrypted': no passphrase was given, or the one given is wrong. */
  passphrase?: 'needed' | 'wrong';
  /**
   * For 'ok': the file's bytes, to pass as ssh2's `privateKey` (with the passphrase, if any). Not
   * enumerable, so logging or serialising a result cannot leak it.
   */
  readonly privateKey?: Buffer;
}

export interface IdentityFs {
  readFile(file: string): Promise<Buffer>;
}

export const nodeIdentityFs: IdentityFs = {
  readFile: (file) => fsp.readFile(file),
};

export interface LoadIdentityOptions {
  passphrase?: string;
  fs?: IdentityFs;
  /** How to show the path in messages, e.g. with ~ for the home folder. */
  displayPath?: (file: string) => string;
}

/** Load one identity file. Never throws for a bad file: the result says what happened. */
export async function loadIdentity(file: string, options: LoadIdentityOptions = {}): Promise<IdentityResult> {
  const fs = options.fs ?? nodeIdentityFs;
  const shown = options.displayPath ? options.displayPath(file) : file;
  let data: Buffer;
  try {
    data = await fs.readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'it does not exist. Check the IdentityFile path in your ssh config'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied. Make the file readable by your user (chmod 600)'
          : code === 'EISDIR'
            ? 'it is a folder, not a key file. Point IdentityFile at the private key itself'
            : `${code ?? 'error'}. Check that the file is readable`;
    return { path: file, kind: 'unreadable', message: `Cannot read identity file ${shown}: ${why}.` };
  }
  return identityFromData(file, data, { ...options, displayPath: () => shown });
}

/** Recognise key bytes already read (from a file named `file`, for messages). */
export function identityFromData(file: string, data: Buffer, options: LoadIdentityOptions = {}): IdentityResult {
  const shown = options.displayPath ? options.displayPath(file) : file;
  const parsed = utils.parseKey(data, options.passphrase);
  if (parsed instanceof Error) {
    const text = data.toString('latin1');
    const encrypted = /encrypted/i.test(parsed.message) || isEncryptedKeyText(text);
    if (encrypted) {
      if (options.passphrase === undefined) {
        return {
          path: file,
          kind: 'encrypted',
          passphrase: 'needed',
          message: `Identity file ${shown} is protected by a passphrase. Enter its passphrase, or add the key to your ssh-agent.`,
        };
      }
      return {
        path: file,
        kind: 'encrypted',
        passphrase: 'wrong',
        message: `The passphrase for identity file ${shown} is wrong. Try again, or check it with "ssh-keygen -y -f ${shown}".`,
      };
    }
    return {
      path: file,
      kind: 'invalid',
      message: `Identity file ${shown} is not a private key ssh can use (${describeParseError(parsed.message)}). Point IdentityFile at an OpenSSH, PEM or PuTTY private key.`,
    };
  }
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key.isPrivateKey()) {
    return {
      path: file,
      kind: 'invalid',
      message: `Identity file ${shown} holds a public key (${key.type}), not a private key. Point IdentityFile at the file without ".pub".`,
    };
  }
  const result: IdentityResult = {
    path: file,
    kind: 'ok',
    keyType: key.type,
    message: `Identity file ${shown} holds a ${key.type} private key.`,
  };
  Object.defineProperty(result, 'privateKey', { value: data, enumerable: false });
  return result;
}

/** Load several identity files in order (as IdentityFile lines list them). */
export async function loadIdentities(files: readonly string[], options: LoadIdentityOptions = {}): Promise<IdentityResult[]> {
  const results: IdentityResult[] = [];
  for (const file of files) {
    results.push(await loadIdentity(file, options));
  }
  return results;
}

function isEncryptedKeyText(text: string): boolean {
  if (/^Proc-Type: 4,ENCRYPTED/m.test(text) || text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) {
    return true;
  }
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (m) {
    // openssh-key-v1: magic, then the cipher name as an SSH string; "none" means not encrypted.
    const body = Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
    const magic = 'openssh-key-v1\0';
    if (body.subarray(0, magic.length).toString('latin1') === magic && body.length >= magic.length + 4) {
      const len = body.readUInt32BE(magic.length);
      const cipher = body.subarray(magic.length + 4, magic.length + 4 + len).toString('latin1');
      return cipher !== 'none';
    }
  }
  return false;
}

/** ssh2's parse errors name the format problem; keep them, they hold no key bytes. */
function describeParseError(message: string): string {
  return message.replace(/\.$/, '').slice(0, 200);
}
