/**
 * How commands reach a machine. Implemented over SSH (ssh2) and locally ("This machine"). Pure: no
 * vscode import; callers pass prompts in as callbacks.
 */

/** Mirrors vscode.CancellationToken so the host layer never imports vscode. */
export interface CancellationTokenLike {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface DisposableLike {
  dispose(): void;
}

/** A token one can cancel, optionally following another (a caller's token). */
export class CancellationSourceLike implements CancellationTokenLike {
  private cancelled = false;
  private readonly listeners = new Set<() => void>();
  private readonly parentSub: DisposableLike | undefined;

  constructor(parent?: CancellationTokenLike) {
    this.parentSub = parent?.onCancellationRequested(() => this.cancel());
    if (parent?.isCancellationRequested) {
      this.cancelled = true;
    }
  }

  get isCancellationRequested(): boolean {
    return this.cancelled;
  }

  onCancellationRequested(listener: () => void): DisposableLike {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  cancel(): void {
    if (this.cancelled) {
      return;
    }
    this.cancelled = true;
    const ls = [...this.listeners];
    this.listeners.clear();
    ls.forEach((l) => l());
  }

  dispose(): void {
    this.parentSub?.dispose();
    this.listeners.clear();
  }
}

export interface ExecOptions {
  /** Written to the command's stdin, then stdin is closed. */
  stdin?: string | Buffer;
  /** Milliseconds until the command is killed and the call fails. */
  timeoutMs?: number;
  token?: CancellationTokenLike;
  /** Run as root through the host's privilege mode (sudo when needed). */
  privileged?: boolean;
  /** Stop reading stdout past this many bytes (the result is marked truncated). */
  maxOutputBytes?: number;
  /** Receives stdout as it arrives, for stream parsing; stdout is then not collected. */
  onStdout?: (chunk: Buffer) => void;
  /** Receives stderr as it arrives (it is still collected, up to its bound, for the result). */
  onStderr?: (chunk: Buffer) => void;
}

export interface ExecResult {
  code: number | null;
  signal?: string;
  stdout: string;
  stderr: string;
  truncated?: boolean;
}

export interface PtySize {
  cols: number;
  rows: number;
}

export interface PtyOptions extends PtySize {
  privileged?: boolean;
  env?: Record<string, string>;
}

/** An interactive channel with a terminal on the far side. */
export interface PtyChannel {
  write(data: string | Buffer): void;
  resize(size: PtySize): void;
  onData(listener: (data: Buffer) => void): DisposableLike;
  onExit(listener: (code: number | null, signal?: string) => void): DisposableLike;
  close(): void;
}

export type ConnectionState =
  | { kind: 'connecting' }
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string }
  | { kind: 'reconnecting'; attempt: number; reason: string }
  | { kind: 'disposed' };

export type PrivilegeLevel = 'root' | 'sudo' | 'limited';

export interface HostInfo {
  /** The label the user knows the host by: alias, user@host[:port] or "This machine". */
  label: string;
  user: string;
  uid: number;
  privilege: PrivilegeLevel;
}

export interface HostConnection extends DisposableLike {
  readonly id: string;
  readonly label: string;
  readonly state: ConnectionState;
  onStateChange(listener: (state: ConnectionState) => void): DisposableLike;
  /** Resolves once connected and the privilege has been decided. */
  connect(token?: CancellationTokenLike): Promise<HostInfo>;
  /** Run an argument vector (quoted by commandLine) and collect its output. */
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** Open an interactive PTY channel running argv. */
  openPty(argv: readonly string[], options: PtyOptions): Promise<PtyChannel>;
  /** Reconnect now, dropping any scheduled attempt (the tree's Retry); transports that reconnect have it. */
  retryNow?(): Promise<HostInfo>;
}

/** A remote command failed: carries what ran and what it said, for messages and exit code 4. */
export class RemoteCommandError extends Error {
  constructor(
    message: string,
    readonly argv: readonly string[],
    readonly result?: ExecResult,
  ) {
    super(message);
    this.name = 'RemoteCommandError';
  }
}

/** Connecting, authenticating or verifying the host key failed (exit code 3). */
export class ConnectionError extends Error {
  constructor(
    message: string,
    readonly reason: 'connect' | 'auth' | 'hostkey' | 'config' | 'closed' | 'timeout' | 'cancelled',
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}
