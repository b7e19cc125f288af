/**
 * Output collection shared by the SSH and local connections: bounded stdout, stderr, timeout and
 * cancellation, settling exactly once.
 */
import { ExecOptions, ExecResult, RemoteCommandError } from './hostConnection';

const DEFAULT_MAX_OUTPUT = 64 * 1024 * 1024;
const MAX_STDERR = 256 * 1024;

export class ExecCollector {
  private readonly out: Buffer[] = [];
  private readonly err: Buffer[] = [];
  private outBytes = 0;
  private errBytes = 0;
  private truncated = false;
  private settled = false;
  private timer: NodeJS.Timeout | undefined;
  private cancelSub: { dispose(): void } | undefined;
  readonly promise: Promise<ExecResult>;
  private resolveFn!: (r: ExecResult) => void;
  private rejectFn!: (e: Error) => void;

  constructor(
    private readonly argv: readonly string[],
    private readonly options: ExecOptions,
    /** Stops the command (signal, close the channel, kill the process group). */
    private readonly abort: () => void,
    private readonly where: string,
  ) {
    this.promise = new Promise<ExecResult>((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    if (options.timeoutMs && options.timeoutMs > 0) {
      this.timer = setTimeout(() => {
        this.fail(`"${argv[0]}" timed out after ${Math.round(options.timeoutMs! / 1000)} s on ${where}.`);
      }, options.timeoutMs);
    }
    if (options.token) {
      if (options.token.isCancellationRequested) {
        queueMicrotask(() => this.fail(`"${argv[0]}" was cancelled.`));
      } else {
        this.cancelSub = options.token.onCancellationRequested(() => this.fail(`"${argv[0]}" was cancelled.`));
      }
    }
  }

  stdout(chunk: Buffer): void {
    if (this.settled) {
      return;
    }
    const max = this.options.maxOutputBytes ?? DEFAULT_MAX_OUTPUT;
    if (this.outBytes + chunk.length > max) {
      chunk = chunk.subarray(0, Math.max(0, max - this.outBytes));
      this.truncated = true;
    }
    if (chunk.length > 0) {
      this.outBytes += chunk.length;
      this.options.onStdout?.(chunk);
      if (!this.options.onStdout) {
        this.out.push(chunk);
      }
    }
    if (this.truncated) {
      this.abort();
    }
  }

  stderr(chunk: Buffer): void {
    if (this.settled) {
      return;
    }
    if (this.options.onStderr) {
      this.options.onStderr(chunk);
      return;
    }
    if (this.errBytes > MAX_STDERR) {
      return;
    }
    this.errBytes += chunk.length;
    this.err.push(chunk);
  }

  /** The command ended; a truncated run still resolves, with `truncated` set. */
  exit(code: number | null, signal?: string): void {
    if (this.settled) {
      return;
    }
    this.finish();
    this.resolveFn({
      code: this.truncated && code === null ? 0 : code,
      signal,
      stdout: Buffer.concat(this.out).toString('utf8'),
      stderr: Buffer.concat(this.err).toString('utf8'),
      truncated: this.truncated || undefined,
    });
  }

  fail(message: string): void {
    if (this.settled) {
      return;
    }
    this.finish();
    try {
      this.abort();
    } catch {
      // the channel may already be gone
    }
    this.rejectFn(new RemoteCommandError(message, this.argv));
  }

  private finish(): void {
    this.settled = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.cancelSub?.dispose();
  }
}
