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
      // -S reads the password from stdin (the caller writes it as the first line); -p '' keeps the prompt
      // out of the output; -k ignores any cached credential so the password line is always consumed by
      // sudo and never reaches the command's own stdin.
      return ['sudo', '-k', '-S', '-p', '', '--', ...argv];
  }
}

/** A script to run with `sh -c`, its positional parameters passed as separate, quoted arguments. */
export function shScript(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}

/**
 * Runs "$@" and kills it when the process whose PID is $1 goes away (the SSH session's sshd) or when the
 * wrapper itself is signalled, so a command whose session dies never lingers on the host as an orphan.
 * With setsid the command leads a process group of its own, and the whole group is killed: what it
 * started (a probe's awk, an engine CLI) goes with it. The watch loop ends with the command.
 */
const ORPHAN_GUARD = [
  'p=$1; shift',
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" <&3 3<&- & else "$@" <&3 3<&- & fi',
  'c=$!',
  'exec 3<&-',
  'k() { kill -TERM -"$c" 2>/dev/null || kill -TERM "$c" 2>/dev/null; }',
  "trap 'k' HUP INT TERM",
  '( while kill -0 "$p" 2>/dev/null && kill -0 "$c" 2>/dev/null; do sleep 1; done; k ) </dev/null >/dev/null 2>&1 &',
  'w=$!',
  'wait "$c"; r=$?',
  'kill "$w" 2>/dev/null',
  'exit $r',
].join('\n');

/**
 * The full command line sent to a remote login shell: argv under the privilege mode, guarded against
 * orphans by watching the session's sshd ($PPID of the login shell, expanded by that shell).
 */
export function remoteCommandLine(argv: readonly string[], mode: PrivilegeMode): string {
  const guard = commandLine(withPrivilege(['sh', '-c', ORPHAN_GUARD, 'nsx-guard'], mode));
  // The one unquoted word: the login shell expands "$PPID" to the sshd process serving this session.
  return `exec ${guard} "$PPID" ${commandLine(argv)}`;
}

/**
 * The command line of an interactive terminal. A PTY session's close hangs up its processes, so no guard
 * is needed. With a sudo password, echo is turned off and `readyMarker` printed: the caller writes the
 * password line only once it sees the marker, because a password that reaches the terminal before
 * `stty -echo` has run is echoed on screen. Once sudo has read it, echo is restored and the marker printed
 * again: input typed before that would be discarded by sudo, so the caller holds it until then.
 */
export function ptyCommandLine(argv: readonly string[], mode: PrivilegeMode, readyMarker?: string): string {
  if (mode.kind === 'sudo-password') {
    const ready = readyMarker ? `printf %s ${quoteArg(readyMarker)}; ` : '';
    const inner = withPrivilege(
      readyMarker
        ? ['sh', '-c', 'stty echo 2>/dev/null; printf %s "$1"; shift; exec "$@"', 'nsx-term', readyMarker, ...argv]
        : ['sh', '-c', 'stty echo 2>/dev/null; exec "$@"', 'nsx-term', ...argv],
      mode,
    );
    return `stty -echo 2>/dev/null; ${ready}exec ${commandLine(inner)}`;
  }
  return `exec ${commandLine(withPrivilege(argv, mode))}`;
}
