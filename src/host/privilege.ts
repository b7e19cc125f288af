/**
 * Decides how commands gain root on a host: directly as root, `sudo -n`, `sudo -S` with a password asked
 * once, or not at all (the host is then read-only and the view says it is limited).
 */
import { PrivilegeMode, sudoStdin } from './commandLine';
import { ExecResult, PrivilegeLevel } from './hostConnection';
import { Logger, redact, SecretScope } from './log';

export type SudoSetting = 'auto' | 'always' | 'never';

export interface SudoPrompts {
  /** Ask the sudo password; undefined when the user cancels. `retry` is true after a wrong password. */
  sudoPassword(hostLabel: string, user: string, retry: boolean): Promise<string | undefined>;
  /** Offer to remember a password that worked; resolves true to store it. */
  offerRemember?(hostLabel: string): Promise<boolean>;
}

/** Where remembered sudo passwords live (VS Code's SecretStorage in the extension). */
export interface SecretStoreLike {
  get(key: string): PromiseLike<string | undefined>;
  store(key: string, value: string): PromiseLike<void>;
  delete(key: string): PromiseLike<void>;
}

export interface PrivilegeDecision {
  uid: number;
  user: string;
  level: PrivilegeLevel;
  mode: PrivilegeMode;
  /** Kept in memory only, written to sudo's stdin for `sudo-password`; dropped by `forgetPrivilege`. */
  password?: string;
  /** Why the host is limited, when it is. */
  note?: string;
}

/** Runs argv unprivileged (mode none) or under a given mode, with optional stdin. */
export type RawRunner = (argv: string[], mode: PrivilegeMode, stdin?: string | Buffer) => Promise<ExecResult>;

export class PrivilegeError extends Error {}

const MAX_PASSWORD_TRIES = 3;

export function classifySudoFailure(stderr: string): 'wrong-password' | 'not-allowed' | 'other' {
  if (/incorrect password|Sorry, try again|Authentication failure/i.test(stderr)) {
    return 'wrong-password';
  }
  if (/not in the sudoers|not allowed to execute|may not run sudo/i.test(stderr)) {
    return 'not-allowed';
  }
  return 'other';
}

export async function decidePrivilege(
  run: RawRunner,
  opts: {
    hostLabel: string;
    secretKey: string;
    setting: SudoSetting;
    prompts?: SudoPrompts;
    secrets?: SecretStoreLike;
    log?: Logger;
    /**
     * Where every password tried (stored, typed or given up front) is registered for masking in the log,
     * at once and whatever its length; the connection forgets the scope on disconnect. Without one the
     * passwords stay masked for the life of the process.
     */
    redaction?: SecretScope;
  },
): Promise<PrivilegeDecision> {
  const log = opts.log ?? new Logger('privilege');
  const mask = (password: string): void => (opts.redaction ? opts.redaction.add(password) : redact(password));
  const who = await run(['sh', '-c', 'id -u; id -un; command -v sudo || echo nosudo'], { kind: 'none' });
  const [uidLine, userLine, sudoLine] = who.stdout.split('\n');
  const uid = Number.parseInt(uidLine ?? '', 10);
  const user = (userLine ?? '').trim() || '?';
  if (who.code !== 0 || !Number.isFinite(uid)) {
    throw new PrivilegeError(`Could not read the remote user id on ${opts.hostLabel}: ${who.stderr.trim() || 'no output'}`);
  }
  if (uid === 0) {
    return { uid, user, level: 'root', mode: { kind: 'root' } };
  }
  const limited = (note: string): PrivilegeDecision => {
    if (opts.setting === 'always') {
      throw new PrivilegeError(`${note} on ${opts.hostLabel}, and the setting nsExplorer.sudo is "always".`);
    }
    log.info(`${opts.hostLabel}: limited view: ${note}`);
    return { uid, user, level: 'limited', mode: { kind: 'none' }, note };
  };
  if (opts.setting === 'never') {
    return limited('sudo is turned off by the setting nsExplorer.sudo');
  }
  if ((sudoLine ?? '').trim() === 'nosudo') {
    return limited(`sudo is not installed; ${user} is not root`);
  }
  const nopasswd = await run(['true'], { kind: 'sudo-nopasswd' });
  if (nopasswd.code === 0) {
    return { uid, user, level: 'sudo', mode: { kind: 'sudo-nopasswd' } };
  }
  if (classifySudoFailure(nopasswd.stderr) === 'not-allowed') {
    return limited(`${user} may not use sudo`);
  }
  const tryPassword = async (password: string): Promise<'ok' | 'wrong-password' | 'not-allowed' | 'other'> => {
    mask(password);
    const r = await run(['true'], { kind: 'sudo-password' }, sudoStdin(password));
    if (r.code === 0) {
      return 'ok';
    }
    log.debug(`${opts.hostLabel}: sudo -S answered: ${r.stderr.trim()}`);
    return classifySudoFailure(r.stderr);
  };
  const stored = await opts.secrets?.get(opts.secretKey);
  if (stored) {
    const outcome = await tryPassword(stored);
    if (outcome === 'ok') {
      return { uid, user, level: 'sudo', mode: { kind: 'sudo-password' }, password: stored };
    }
    log.info(`${opts.hostLabel}: the remembered sudo password no longer works; forgetting it`);
    await opts.secrets?.delete(opts.secretKey);
  }
  if (!opts.prompts) {
    return limited(`sudo needs a password for ${user} and none was given`);
  }
  let retry = false;
  for (let attempt = 0; attempt < MAX_PASSWORD_TRIES; attempt++) {
    const password = await opts.prompts.sudoPassword(opts.hostLabel, user, retry);
    if (password === undefined) {
      return limited('the sudo password was not given');
    }
    const outcome = await tryPassword(password);
    if (outcome === 'ok') {
      if (opts.secrets && opts.prompts.offerRemember && (await opts.prompts.offerRemember(opts.hostLabel))) {
        await opts.secrets.store(opts.secretKey, password);
      }
      return { uid, user, level: 'sudo', mode: { kind: 'sudo-password' }, password };
    }
    if (outcome === 'not-allowed') {
      return limited(`${user} may not use sudo`);
    }
    retry = true;
    log.warn(`${opts.hostLabel}: wrong sudo password for ${user} (attempt ${attempt + 1} of ${MAX_PASSWORD_TRIES})`);
  }
  throw new PrivilegeError(`The sudo password for ${user} on ${opts.hostLabel} was wrong ${MAX_PASSWORD_TRIES} times.`);
}

/**
 * How one exec runs under a decision: the privilege mode, and stdin with the sudo password as its first
 * line when sudo reads it (never on the command line).
 */
export function privilegedExec(
  decision: PrivilegeDecision | undefined,
  privileged: boolean | undefined,
  stdin: string | Buffer | undefined,
): { mode: PrivilegeMode; stdin: string | Buffer | undefined } {
  const mode: PrivilegeMode = privileged && decision ? decision.mode : { kind: 'none' };
  if (mode.kind === 'sudo-password' && decision?.password !== undefined) {
    return { mode, stdin: sudoStdin(decision.password, stdin) };
  }
  return { mode, stdin };
}

/**
 * Prompts for a sudo password given up front (CLI --sudo-password-env): offered once; a wrong one is an
 * error rather than a quiet fall-back to the limited view.
 */
export function fixedSudoPassword(password: string): SudoPrompts {
  return {
    async sudoPassword(hostLabel, user, retry) {
      if (retry) {
        throw new PrivilegeError(`The sudo password given for ${user} on ${hostLabel} is wrong.`);
      }
      return password;
    },
  };
}

/**
 * On disconnect: the decision no longer holds its sudo password, and the passwords registered in
 * `redaction` are no longer masked (nothing of this connection logs them any more).
 */
export function forgetPrivilege(decision: PrivilegeDecision | undefined, redaction?: SecretScope): void {
  if (decision) {
    delete decision.password;
  }
  redaction?.forget();
}
