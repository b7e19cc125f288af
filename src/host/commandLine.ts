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
      // out of the output; -k ignores any cached credential, so sudo asks whenever a password is needed.
      return ['sudo', '-k', '-S', '-p', '', '--', ...argv];
  }
}

/**
 * The line that ends the sudo password on an exec's stdin (`sudoStdin`). Not a secret: it only marks
 * where the command's own input starts.
 */
export const SUDO_STDIN_MARK = 'nsx-stdin-begins-7b1e2c9a4f';

/**
 * Reads stdin up to and including the mark line, then runs "$@" on the rest. sudo takes the password line
 * when it asks; when it does not (a NOPASSWD rule, or one added since the connection was made), this
 * reads and drops it, so the password never reaches the command. sh's read takes a byte at a time from
 * a pipe, so nothing of the command's input is read ahead.
 */
const STDIN_GATE = 'm=$1; shift; while IFS= read -r l; do [ "$l" = "$m" ] && break; done; exec "$@"';

/** Like withPrivilege, for an exec whose stdin `sudoStdin` builds: its password can reach sudo only. */
export function execWithPrivilege(argv: readonly string[], mode: PrivilegeMode): string[] {
  if (mode.kind === 'sudo-password') {
    return withPrivilege(['sh', '-c', STDIN_GATE, 'nsx-stdin', SUDO_STDIN_MARK, ...argv], mode);
  }
  return withPrivilege(argv, mode);
}

/** An exec's stdin under `sudo-password`: the password line for sudo, the mark, then the command's own. */
export function sudoStdin(password: string, stdin?: string | Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${password}\n${SUDO_STDIN_MARK}\n`), Buffer.from(stdin ?? '')]);
}

/** A script to run with `sh -c`, its positional parameters passed as separate, quoted arguments. */
export function shScript(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}

/**
 * Runs "$@" and kills it when the process whose PID is $1 goes away (the SSH session's sshd), when that
 * process lets go of the channel (the client closed or cancelled it: sshd then closes its end of the
 * command's stdout pipe), or when the wrapper itself is signalled, so a command whose session or channel
 * ends never lingers on the host as an orphan. The channel check needs no signal request (sshd refuses
 * those for some sessions) and no process start: `[ A -ef B ]` on /proc fd links compares pipe inodes,
 * and it acts only once sshd was seen holding the pipe. With setsid the command leads a process group of
 * its own, and the whole group is killed: what it started (a probe's awk, an engine CLI) goes with it.
 * The watch loop ends with the command.
 */
const ORPHAN_GUARD = [
  'p=$1; shift',
  'exec 3<&0',
  'if command -v setsid >/dev/null 2>&1; then setsid "$@" <&3 3<&- & else "$@" <&3 3<&- & fi',
  'c=$!',
  'exec 3<&-',
  'k() { kill -TERM -"$c" 2>/dev/null || kill -TERM "$c" 2>/dev/null; }',
  "trap 'k' HUP INT TERM",
  '( h=; while kill -0 "$p" 2>/dev/null && kill -0 "$c" 2>/dev/null; do',
  '  s=; for f in /proc/"$p"/fd/*; do [ "$f" -ef /proc/$$/fd/1 ] && { s=1; break; }; done',
  '  if [ -n "$s" ]; then h=1; elif [ -n "$h" ]; then break; fi',
  '  sleep 1; done; k ) </dev/null >/dev/null 2>&1 &',
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
  const guard = commandLine(execWithPrivilege(['sh', '-c', ORPHAN_GUARD, 'nsx-guard'], mode));
  // The one unquoted word: the login shell expands "$PPID" to the sshd process serving this session.
  return `exec ${guard} "$PPID" ${commandLine(argv)}`;
}

/**
 * The two markers of a terminal whose sudo reads a password the extension holds. Each holds one `%`, and
 * the command line carries it as `%%`: sudo's prompt expansion (`-p`) and printf turn that into the `%`
 * the caller looks for, so the marker as printed appears nowhere in the command line itself, not even
 * when a login shell traces or echoes what it runs (`set -x`, `set -v`) or someone reads its argv.
 */
export interface PtySudoMarkers {
  /** sudo's prompt: seeing it means sudo itself is reading the password now. */
  prompt: string;
  /** Printed as root once sudo is done with the terminal. */
  ready: string;
}

const MARKER = /^nsx-(pass|ready)-[0-9a-f]{4,}%[0-9a-f]{4,}$/;

/** Markers for one terminal from a random hex token (at least 8 hex digits). */
export function ptySudoMarkers(token: string): PtySudoMarkers {
  if (!/^[0-9a-f]{8,}$/.test(token)) {
    throw new Error('A terminal marker token must be at least 8 hex digits.');
  }
  const half = Math.floor(token.length / 2);
  const [a, b] = [token.slice(0, half), token.slice(half)];
  return { prompt: `nsx-pass-${a}%${b}`, ready: `nsx-ready-${a}%${b}` };
}

/**
 * Runs "$@" (the terminal's command) in the foreground and, when the terminal hangs up (the user closed
 * it, the link dropped), sends SIGHUP to every other process of its session, as an interactive bash does
 * for its jobs. The kernel's hangup signals only the session leader (this guard), so without it the
 * target's shell (under nsenter, not the leader) and the jobs it runs, in the foreground or in the
 * background (busybox ash, in most containers, forwards nothing), would run on. A watcher notices the
 * hangup once a second by `[ -t 9 ]` on a copy of the terminal (a hung-up terminal is no terminal any
 * more: no process start), and acts only when the terminal was one at first. Processes that ignore HUP
 * (nohup) or left the session (setsid) are left alone, as bash leaves them; the watcher's ancestors
 * (this guard, sudo) are not signalled.
 */
const PTY_GUARD = [
  'exec 9<&0',
  '(',
  "  trap '' HUP",
  "  trap 'kill $sp 2>/dev/null; exit 0' TERM",
  '  [ -t 9 ] || exit 0',
  '  while [ -t 9 ]; do sleep 1 & sp=$!; wait $sp; done',
  '  read -r me _ </proc/self/stat',
  '  { read -r s </proc/$me/stat; } 2>/dev/null; s=${s##*) }; set -f; set -- $s; sid=$4',
  '  a=" $me "; p=$me; i=0',
  '  while [ "$p" -gt 1 ] && [ $i -lt 64 ]; do { read -r s </proc/$p/stat; } 2>/dev/null || break; s=${s##*) }; set -- $s; p=$2; a="$a$p "; i=$((i + 1)); done',
  '  set +f',
  '  for d in /proc/[0-9]*; do',
  '    { read -r s <$d/stat; } 2>/dev/null || continue; s=${s##*) }; set -f; set -- $s; set +f',
  '    [ "$4" = "$sid" ] || continue',
  '    case $a in *" ${d#/proc/} "*) continue ;; esac',
  '    kill -HUP "${d#/proc/}" 2>/dev/null',
  '  done',
  ') </dev/null >/dev/null 2>&1 &',
  'w=$!',
  '"$@" 9<&-; r=$?',
  'kill "$w" 2>/dev/null',
  'exit $r',
].join('\n');

/**
 * The command line of an interactive terminal, under PTY_GUARD: when the terminal hangs up, nothing of
 * it runs on.
 *
 * With a sudo password (mode `sudo-password` and `markers`), the password must reach sudo and nothing
 * else: not the shell in the target (where sudo asks for nothing, because the rule became NOPASSWD or a
 * credential is cached since the connection was made) and not the screen. So sudo runs with `-k` (no
 * cached credential) and `-S -p PROMPT`, and the caller writes the password only once sudo's own prompt
 * has arrived: then sudo is reading it. Where sudo asks nothing, no prompt comes, the password is never
 * written, and the `ready` marker, printed once sudo has started the command, tells the caller that the
 * terminal is the target's. Echo is off until then (`stty -echo` first; sudo also turns it off while it
 * reads), and input typed before that is held by the caller, because sudo would read it as the password.
 * See `PtySudoGate` for the caller's side.
 *
 * With mode `sudo-password` but no markers, sudo asks the user on the terminal itself; the extension
 * writes nothing for it.
 */
export function ptyCommandLine(command: readonly string[], mode: PrivilegeMode, markers?: PtySudoMarkers): string {
  const argv = ['sh', '-c', PTY_GUARD, 'nsx-term-guard', ...command];
  if (mode.kind === 'sudo-password') {
    if (!markers) {
      return `exec ${commandLine(['sudo', '-k', '--', ...argv])}`;
    }
    if (!MARKER.test(markers.prompt) || !MARKER.test(markers.ready) || markers.prompt === markers.ready) {
      throw new Error('Terminal markers must come from ptySudoMarkers.');
    }
    const inner = [
      'sudo', '-k', '-S', '-p', markers.prompt.replace('%', '%%'), '--',
      'sh', '-c', 'stty echo 2>/dev/null; printf "$1"; shift; exec "$@"', 'nsx-term', markers.ready.replace('%', '%%'),
      ...argv,
    ];
    return `stty -echo 2>/dev/null; exec ${commandLine(inner)}`;
  }
  return `exec ${commandLine(withPrivilege(argv, mode))}`;
}

/**
 * A terminal command line for a transport that cannot set the remote terminal's size itself (OpenSSH
 * without a local terminal): it sets the size with stty, and first prints the terminal's device after a
 * marker made from `token`, so that a resize can run `stty -F DEVICE` later. As with the sudo markers, the
 * command line carries the marker's `%` as `%%`, so the marker as printed appears nowhere in it.
 */
export function sizedPtyCommandLine(line: string, size: { cols: number; rows: number }, token: string): string {
  if (!/^[0-9a-f]{8,}$/.test(token)) {
    throw new Error('A terminal marker token must be at least 8 hex digits.');
  }
  const dims = [size.rows, size.cols];
  if (!dims.every((n) => Number.isInteger(n) && n > 0 && n < 10_000)) {
    throw new Error(`A terminal size must be whole numbers of rows and columns, not ${size.rows}x${size.cols}.`);
  }
  const half = Math.floor(token.length / 2);
  const format = `nsx-tty-${token.slice(0, half)}%%${token.slice(half)}:%s\\n`;
  return `printf '${format}' "$(tty)"; stty rows ${size.rows} cols ${size.cols} 2>/dev/null; ${line}`;
}

/**
 * Finds the line `sizedPtyCommandLine` printed in a terminal's first output: the device (only a
 * /dev/pts/N or /dev/ttyN path is taken), and the output before and after that line.
 */
export function parsePtyTtyLine(output: Buffer, token: string): { tty: string | undefined; before: Buffer; after: Buffer } | undefined {
  const half = Math.floor(token.length / 2);
  const marker = Buffer.from(`nsx-tty-${token.slice(0, half)}%${token.slice(half)}:`);
  const at = output.indexOf(marker);
  if (at < 0) {
    return undefined;
  }
  const nl = output.indexOf(0x0a, at);
  if (nl < 0) {
    return undefined;
  }
  const value = output.subarray(at + marker.length, nl).toString('latin1').replace(/\r$/, '');
  return {
    tty: /^\/dev\/(pts\/[0-9]{1,6}|tty[0-9]{1,4})$/.test(value) ? value : undefined,
    before: output.subarray(0, at),
    after: output.subarray(nl + 1),
  };
}

export interface PtySudoGateIo {
  /** Write to the terminal's input (the remote side). */
  toRemote(data: string | Buffer): void;
  /** Show terminal output to the user. */
  toUser(data: Buffer): void;
}

export interface PtySudoGateOptions {
  /** Shown in place of sudo's prompt when the user must answer it (sudo asked again). */
  promptText?: string;
  /** Output held while waiting for the markers before giving up (default 64 KiB). */
  maxHeld?: number;
  /** Called once when the gate stops waiting for the markers without having seen `ready`. */
  onGiveUp?(why: string): void;
}

/**
 * The caller's side of `ptyCommandLine` with a sudo password, between a terminal's output and input:
 *
 * - `waiting` (from the start): output and input are held. At sudo's prompt marker the password line is
 *   written, once; the marker is dropped. At the ready marker the held output is shown, the held input
 *   written, and the gate is `open`.
 * - A second prompt (the password was refused) or `giveUp` (no marker in time, too much output) turn it
 *   `manual`: output and new input flow (the user answers sudo), the password is never written again, a
 *   prompt marker is shown as `promptText`, and the ready marker opens the gate. Input typed before was
 *   meant for the target, not for sudo: it stays held until the gate opens.
 * - `open`: output and input pass unchanged; nothing is looked for any more.
 *
 * The password is kept only until it is written or the gate stops waiting.
 */
export class PtySudoGate {
  private mode: 'waiting' | 'manual' | 'open' = 'waiting';
  private held = Buffer.alloc(0);
  private readonly queued: Array<string | Buffer> = [];
  private password: string | undefined;
  private written = false;
  private readonly prompt: Buffer;
  private readonly ready: Buffer;

  constructor(
    markers: PtySudoMarkers,
    password: string,
    private readonly io: PtySudoGateIo,
    private readonly options: PtySudoGateOptions = {},
  ) {
    this.password = password;
    this.prompt = Buffer.from(markers.prompt);
    this.ready = Buffer.from(markers.ready);
  }

  get state(): 'waiting' | 'manual' | 'open' {
    return this.mode;
  }

  /** Whether the password was written (it is then no longer kept). */
  get passwordWritten(): boolean {
    return this.written;
  }

  output(chunk: Buffer): void {
    if (this.mode === 'open') {
      this.io.toUser(chunk);
      return;
    }
    this.held = Buffer.concat([this.held, chunk]);
    this.scan();
    if (this.mode === 'waiting' && this.held.length > (this.options.maxHeld ?? 65_536)) {
      this.giveUp('no sign from sudo in the first output of the terminal');
    }
  }

  input(data: string | Buffer): void {
    if (this.mode === 'waiting') {
      this.queued.push(data);
    } else {
      this.io.toRemote(data);
    }
  }

  /** Stop waiting for sudo: the user sees what there is and answers sudo, if it asks, themselves. */
  giveUp(why: string): void {
    if (this.mode !== 'waiting') {
      return;
    }
    this.password = undefined;
    this.mode = 'manual';
    this.options.onGiveUp?.(why);
    this.scan();
  }

  /** At the end of the session: what is still held. */
  end(): Buffer {
    const rest = this.held;
    this.held = Buffer.alloc(0);
    this.password = undefined;
    this.queued.length = 0;
    return rest;
  }

  private releaseInput(): void {
    for (const q of this.queued.splice(0)) {
      this.io.toRemote(q);
    }
  }

  private scan(): void {
    while (this.mode !== 'open') {
      const p = this.held.indexOf(this.prompt);
      const r = this.held.indexOf(this.ready);
      if (r >= 0 && (p < 0 || r < p)) {
        const before = this.held.subarray(0, r);
        const after = this.held.subarray(r + this.ready.length);
        this.held = Buffer.alloc(0);
        this.mode = 'open';
        this.password = undefined;
        this.show(before);
        this.releaseInput();
        this.show(after);
        return;
      }
      if (p < 0) {
        break;
      }
      const before = this.held.subarray(0, p);
      const after = this.held.subarray(p + this.prompt.length);
      if (this.mode === 'waiting' && !this.written && this.password !== undefined) {
        // sudo printed its prompt: it reads the password line now.
        this.io.toRemote(`${this.password}\n`);
        this.password = undefined;
        this.written = true;
        this.held = Buffer.concat([before, after]);
        continue;
      }
      if (this.mode === 'waiting') {
        // Asked again: the password was refused. The user answers from here on.
        this.mode = 'manual';
        this.password = undefined;
        this.options.onGiveUp?.('sudo asked for the password again');
      }
      this.show(Buffer.concat([before, Buffer.from(this.options.promptText ?? '[sudo] password: ')]));
      this.held = after;
    }
    if (this.mode === 'manual') {
      // Show everything but a tail that may be the start of a marker split across chunks.
      const keep = Math.max(partialTail(this.held, this.prompt), partialTail(this.held, this.ready));
      this.show(this.held.subarray(0, this.held.length - keep));
      this.held = this.held.subarray(this.held.length - keep);
    }
  }

  private show(data: Buffer): void {
    if (data.length > 0) {
      this.io.toUser(Buffer.from(data));
    }
  }
}

/** The length of the longest end of `buf` that is a proper start of `marker`. */
function partialTail(buf: Buffer, marker: Buffer): number {
  for (let n = Math.min(buf.length, marker.length - 1); n > 0; n--) {
    if (buf.subarray(buf.length - n).equals(marker.subarray(0, n))) {
      return n;
    }
  }
  return 0;
}

// ---- identity checks: a PID is only a number; bind it to the process the plan was made for ------------

/**
 * What a plan knows of a process it names by PID: a PID alone may belong to another process by the time
 * the plan runs (the process exited and someone else's took its number).
 */
export interface PidIdentity {
  pid: number;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat); absent in an old snapshot. */
  start?: number;
  /** Inodes of the namespaces the action enters or uses, by type (`net`, `mnt`, ...). */
  ns: Readonly<Partial<Record<string, number>>>;
}

/** The exit code of a command refused because a PID it names is no longer the planned process. */
export const IDENTITY_CHECK_EXIT = 75;
/** `$0` of the identity check, which is what the preview shows in its place. */
export const IDENTITY_CHECK_NAME = 'nsx-check';

/**
 * Checks, on the host and just before the command, that each PID is still the process the plan was made
 * for, then execs the command. Arguments: groups of `PID START TYPE:INODE…` (START `-` when unknown),
 * then `--` and the command. The start time is field 22 of /proc/PID/stat, counted after the last ')'
 * because the command name before it may hold spaces, parentheses and newlines. Refusal: a message on
 * stderr and exit code 75; a malformed argument list: exit code 2.
 */
const IDENTITY_CHECK = [
  'no() { echo "nsx: process $p is not the one the plan was made for: $1. Refresh and try again." >&2; exit 75; }',
  'use() { echo "nsx-check: $1" >&2; exit 2; }',
  'f22() { if [ "$#" -ge 20 ]; then shift 19; f=$1; else f=; fi; }',
  'while [ "$#" -gt 0 ] && [ "$1" != -- ]; do',
  '  [ "$#" -ge 2 ] || use "a PID without a start time"',
  '  p=$1; st=$2; shift 2',
  '  case $p in ""|0*|*[!0-9]*) use "bad PID: $p";; esac',
  '  case $st in -) ;; ""|*[!0-9]*) use "bad start time: $st";; esac',
  '  s=$(cat "/proc/$p/stat" 2>/dev/null) || s=',
  '  [ -n "$s" ] || no "no process has that PID any more (it exited or restarted?)"',
  '  if [ "$st" != - ]; then',
  '    r=${s##*\\)}',
  "    set -f; IFS=' '; f22 $r; unset IFS; set +f",
  '    [ "$f" = "$st" ] || no "PID $p now belongs to a process started at tick ${f:-?}, not $st (it restarted?)"',
  '  fi',
  '  while [ "$#" -gt 0 ]; do',
  '    case $1 in',
  '      *:*) t=${1%%:*}; i=${1#*:}',
  '        case $t in ""|*[!a-z_]*) use "bad namespace type: $t";; esac',
  '        case $i in ""|*[!0-9]*) use "bad inode: $i";; esac',
  '        l=$(readlink "/proc/$p/ns/$t" 2>/dev/null) || l=',
  '        [ "$l" = "$t:[$i]" ] || no "its $t namespace is ${l:-unreadable}, not $t:[$i] (it restarted?)"',
  '        shift;;',
  '      *) break;;',
  '    esac',
  '  done',
  'done',
  '[ "$1" = -- ] || use "no -- before the command"',
  'shift',
  '[ "$#" -gt 0 ] || use "no command"',
  'exec "$@"',
].join('\n');

function identityArgs(c: PidIdentity): string[] {
  if (!Number.isSafeInteger(c.pid) || c.pid < 1) {
    throw new Error(`Not a process id: ${c.pid}.`);
  }
  if (c.start !== undefined && (!Number.isSafeInteger(c.start) || c.start < 0)) {
    throw new Error(`Not a start time: ${c.start}.`);
  }
  const pairs: string[] = [];
  for (const [type, inode] of Object.entries(c.ns)) {
    if (inode === undefined) continue;
    if (!/^[a-z_]+$/.test(type) || !Number.isSafeInteger(inode) || inode < 1) {
      throw new Error(`Not a namespace: ${type}:${inode}.`);
    }
    pairs.push(`${type}:${inode}`);
  }
  if (c.start === undefined && pairs.length === 0) {
    throw new Error(`Nothing is known of process ${c.pid} to check it by (neither its start time nor a namespace).`);
  }
  return [String(c.pid), c.start === undefined ? '-' : String(c.start), ...pairs];
}

/**
 * Wraps argv so that it runs only while every PID in `checks` is still the process the plan was made
 * from: same start time (when known) and same namespace inodes, checked on the host in the same remote
 * command. Otherwise the host prints why and exits with IDENTITY_CHECK_EXIT, having run nothing.
 */
export function withIdentityCheck(checks: readonly PidIdentity[], argv: readonly string[]): string[] {
  if (checks.length === 0) {
    throw new Error('An identity check needs at least one process.');
  }
  if (argv.length === 0) {
    throw new Error('Empty command.');
  }
  const seen = new Set<number>();
  const args: string[] = [];
  for (const c of checks) {
    if (seen.has(c.pid)) continue;
    seen.add(c.pid);
    args.push(...identityArgs(c));
  }
  return ['sh', '-c', IDENTITY_CHECK, IDENTITY_CHECK_NAME, ...args, '--', ...argv];
}

/** The checks and the command of an argv built by withIdentityCheck; undefined for any other argv. */
export function parseIdentityCheck(argv: readonly string[]): { checks: PidIdentity[]; argv: string[] } | undefined {
  if (argv.length < 5 || argv[0] !== 'sh' || argv[1] !== '-c' || argv[2] !== IDENTITY_CHECK || argv[3] !== IDENTITY_CHECK_NAME) {
    return undefined;
  }
  const end = argv.indexOf('--', 4);
  if (end < 0) return undefined;
  const checks: PidIdentity[] = [];
  for (let i = 4; i < end; ) {
    const pid = Number(argv[i]);
    const start = argv[i + 1] === '-' ? undefined : Number(argv[i + 1]);
    const ns: Record<string, number> = {};
    i += 2;
    while (i < end && argv[i].includes(':')) {
      const [type, inode] = argv[i].split(':');
      ns[type] = Number(inode);
      i++;
    }
    checks.push(start === undefined ? { pid, ns } : { pid, start, ns });
  }
  return { checks, argv: argv.slice(end + 1) };
}

/**
 * A command line for people to read: commandLine(argv), with the identity check shown by its name and
 * arguments (`nsx-check PID START TYPE:INODE… -- COMMAND`) instead of its whole script.
 */
export function displayCommand(argv: readonly string[]): string {
  const guarded = parseIdentityCheck(argv);
  if (!guarded) {
    return commandLine(argv);
  }
  return `${IDENTITY_CHECK_NAME} ${commandLine(argv.slice(4, argv.length - guarded.argv.length))} ${displayCommand(guarded.argv)}`;
}

/** What `nsx-check` in a displayed command does, for previews. */
export const IDENTITY_CHECK_NOTE =
  `${IDENTITY_CHECK_NAME} PID START TYPE:INODE… -- CMD: the host first re-checks that PID is still the process ` +
  'the plan was made for (its start time and namespace inodes), and runs CMD only then; otherwise it refuses ' +
  `with exit code ${IDENTITY_CHECK_EXIT} and nothing changes.`;

// ---- packet capture: the capture tool in a network namespace, its pcap on stdout ---------------------

/**
 * Where the capture's own SSH session comes from: the first `SSH_CONNECTION=` in the environment of this
 * script or one of its ancestors (the login shell exec'd sudo or the orphan guard with sshd's environment;
 * sudo resets the environment of what it runs, but /proc keeps what it was started with). Each ancestor is
 * our own session's process, so the value is sshd's. Sets `x` to a BPF expression that matches exactly that
 * TCP connection, or leaves it empty (not over SSH, or a value that is not two addresses and two ports).
 */
const CAPTURE_SSH_EXCLUSION = [
  'ssh_excl() {',
  '  x=; q=$$; n=0',
  '  while [ "$n" -lt 32 ] && [ "$q" -gt 1 ] 2>/dev/null; do',
  '    v=$(tr "\\000" "\\n" <"/proc/$q/environ" 2>/dev/null | grep "^SSH_CONNECTION=" | head -n 1)',
  '    if [ -n "$v" ]; then',
  '      set -f; set -- ${v#SSH_CONNECTION=}; set +f',
  '      [ "$#" -eq 4 ] || return 0',
  '      a=${1%%%*}; b=$2; c=${3%%%*}; d=$4',
  '      case $a$c in *[!0-9A-Fa-f:.]*|"") return 0;; esac',
  '      case $b$d in *[!0-9]*|"") return 0;; esac',
  '      x="tcp and ((src host $a and src port $b and dst host $c and dst port $d) or (src host $c and src port $d and dst host $a and dst port $b))"',
  '      return 0',
  '    fi',
  '    s=$(cat "/proc/$q/stat" 2>/dev/null) || return 0',
  '    s=${s##*\\)}',
  '    set -f; set -- $s; set +f',
  '    q=$2; n=$((n + 1))',
  '  done',
  '}',
].join('\n');

/**
 * The capture script. Arguments: MODE (`check` or `run`), TOOL (`tcpdump` or `dumpcap`), DECODER (`tcpdump`,
 * `tshark` or `-`), IFACE, COUNT, SECONDS, SNAPLEN, FILTER, then `--` and the argv prefix that enters the
 * network namespace (empty for the host's). The filter becomes `(FILTER) and not (the capture's own SSH
 * connection)`.
 * - `check` compiles that filter for IFACE with the tool itself (`-d`), inside the namespace, and captures
 *   nothing.
 * - `run` first prints `nsx-capture-filter …` and `nsx-capture-pid PID START` on stderr (START: field 22
 *   of /proc/PID/stat, so the extension can stop the tool by PID with withIdentityCheck), then the tool
 *   writes the pcap to stdout packet by packet while `tee` hands a copy to DECODER, whose one-line-per-packet
 *   text goes to stderr. The tool runs under `timeout` (SECONDS plus a grace) where the host has it, so a
 *   capture ends on the host even if no one stops it.
 * No name resolution anywhere (`-n`): the capture itself sends nothing.
 */
const CAPTURE_SCRIPT = [
  'mode=$1; tool=$2; dec=$3; ifc=$4; cnt=$5; secs=$6; snap=$7; flt=$8; shift 8',
  '[ "$1" = -- ] || { echo "nsx-capture: no -- before the namespace prefix" >&2; exit 2; }',
  'shift',
  'for w in "$cnt" "$secs" "$snap"; do case $w in ""|*[!0-9]*) echo "nsx-capture: bad number: $w" >&2; exit 2;; esac; done',
  CAPTURE_SSH_EXCLUSION,
  'ssh_excl',
  'if [ -n "$flt" ] && [ -n "$x" ]; then f="($flt) and not ($x)"; elif [ -n "$x" ]; then f="not ($x)"; else f=$flt; fi',
  'if [ "$mode" = check ]; then',
  '  if [ "$tool" = dumpcap ]; then exec "$@" dumpcap -n -i "$ifc" -f "$f" -d >/dev/null; fi',
  '  exec "$@" tcpdump -n -i "$ifc" -d -- "$f" >/dev/null',
  'fi',
  // printf, not echo: dash's echo would read backslashes in the filter as escapes.
  'printf \'nsx-capture-filter %s\\n\' "$f" >&2',
  'to=; if command -v timeout >/dev/null 2>&1; then to="timeout -s TERM $((secs + 10))"; fi',
  // tee copies the pcap to fd 4, the script's stdout; /dev/fd/4 can be opened when it is a pipe (not when it
  // is a socket, as a local spawn's stdout is), hence the `| cat` that makes it one.
  'cap() {',
  '  if [ "$tool" = dumpcap ]; then',
  '    $to "$@" dumpcap -q -n -P -i "$ifc" -c "$cnt" -s "$snap" -f "$f" -w - &',
  '  else',
  '    $to "$@" tcpdump -n -U --immediate-mode -i "$ifc" -c "$cnt" -s "$snap" -w - -- "$f" &',
  '  fi',
  '  t=$!',
  // Whatever ends this script (the orphan guard's signal to its process group, a closed pipe) ends the tool:
  // `timeout` runs it in a process group of its own, which that signal does not reach.
  '  trap \'kill -TERM "$t" 2>/dev/null\' HUP INT TERM PIPE',
  '  s=$(cat "/proc/$t/stat" 2>/dev/null); s=${s##*\\)}',
  '  set -f; set -- $s; set +f',
  '  echo "nsx-capture-pid $t ${20:--}" >&2',
  // A trapped signal interrupts wait; wait again for the tool's own exit status.
  '  i=0; wait "$t"; r=$?',
  '  while [ "$i" -lt 50 ] && kill -0 "$t" 2>/dev/null; do i=$((i + 1)); wait "$t"; r=$?; done',
  '  echo "nsx-capture-exit $r" >&2',
  '}',
  'if [ "$dec" = - ]; then cap "$@" | cat; exit; fi',
  'decode() { if [ "$dec" = tshark ]; then tshark -n -l -r - 2>/dev/null; else tcpdump -n -l -r - 2>/dev/null; fi; }',
  '{ cap "$@" | tee /dev/fd/4 | decode >&2; } 4>&1 | cat',
].join('\n');

/** What a capture runs: validated by `planCapture` in src/workflows/capture.ts before it comes here. */
export interface CaptureCommandSpec {
  tool: 'tcpdump' | 'dumpcap';
  decoder: 'tcpdump' | 'tshark' | undefined;
  iface: string;
  count: number;
  seconds: number;
  snaplen: number;
  filter: string;
  /** The argv prefix that runs a program in the namespace: [], `ip netns exec NAME`, `nsenter -t PID -n --`. */
  enter: readonly string[];
  /** The PID `enter` names, re-checked on the host before anything runs (a container's init). */
  check?: PidIdentity;
}

function captureArgv(mode: 'check' | 'run', spec: CaptureCommandSpec): string[] {
  for (const n of [spec.count, spec.seconds, spec.snaplen]) {
    if (!Number.isSafeInteger(n) || n < 1) throw new Error(`Not a capture limit: ${n}.`);
  }
  const argv = [
    'sh', '-c', CAPTURE_SCRIPT, 'nsx-capture', mode, spec.tool, spec.decoder ?? '-', spec.iface,
    String(spec.count), String(spec.seconds), String(spec.snaplen), spec.filter, '--', ...spec.enter,
  ];
  return spec.check ? withIdentityCheck([spec.check], argv) : argv;
}

/** Compiles the capture's filter for its interface with the host's tool, inside the namespace. */
export function captureCheckArgv(spec: CaptureCommandSpec): string[] {
  return captureArgv('check', spec);
}

/** Runs the capture: pcap on stdout, the marker lines and the decoded packets on stderr. */
export function captureRunArgv(spec: CaptureCommandSpec): string[] {
  return captureArgv('run', spec);
}

/**
 * Which capture tools, decoders and `timeout` the host has (as root sees its PATH), and its distribution
 * (`/etc/os-release`, root's), so a missing tool is named with the package to install.
 */
export function captureToolsArgv(): string[] {
  return shScript(
    'for t in tcpdump dumpcap tshark timeout tee; do if command -v "$t" >/dev/null 2>&1; then echo "tool $t"; fi; done; ' +
      'grep -E "^(ID|ID_LIKE)=" /etc/os-release 2>/dev/null; exit 0',
  );
}

/** Ends a running capture tool (SIGTERM: it writes what it has and its counts) if the PID is still it. */
export function stopCaptureArgv(tool: { pid: number; start: number }): string[] {
  return withIdentityCheck([{ pid: tool.pid, start: tool.start, ns: {} }], ['kill', '-TERM', String(tool.pid)]);
}
