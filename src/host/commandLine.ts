/**
 * The one place where a remote command line is built. Every command the extension runs on a host is an
 * argument vector; it becomes a single `sh` command line only here, each argument quoted by `quoteArg`.
 */

/** Quote one argument for POSIX sh: wrap in single quotes, and close/escape/reopen around each quote. */
export function quoteArg(arg: string): string {
  if (arg.includes('\0')) {
    throw new Error('An argument contains a NUL byte, which no command line can carry.');
  }
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) {
    return arg;
  }
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Join an argument vector into one sh command line. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) {
    throw new Error('Empty command.');
  }
  return argv.map(quoteArg).join(' ');
}

/** How a command gains root, decided by the privilege layer and applied here only. */
export type PrivilegeMode =
  | { kind: 'root' }
  /** `sudo -n`: no password needed. */
  | { kind: 'sudo-nopasswd' }
  /** `sudo -S`: the password is written to stdin first, never placed on the command line. */
  | { kind: 'sudo-password' }
  | { kind: 'none' };

/** Prefix an argument vector so it runs as root under the given privilege mode. */
export function withPrivilege(argv: readonly string[], mode: PrivilegeMode): string[] {
  switch (mode.kind) {
    case 'root':
    case 'none':
      return [...argv];
    case 'sudo-nopasswd':
      return ['sudo', '-n', '--', ...argv];
    case 'sudo-password':
      // -p '' keeps sudo's prompt out of the output; -S reads the password from stdin.
      return ['sudo', '-S', '-p', '', '--', ...argv];
  }
}

/** A script to run with `sh -c`, its positional parameters passed as separate, quoted arguments. */
export function shScript(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}
