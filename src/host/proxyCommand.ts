/**
 * ProxyCommand for the ssh2 transport, run as OpenSSH runs it: `$SHELL -c "exec COMMAND"` (tokens already
 * expanded by sshConfig), its stdin and stdout the SSH connection, its stderr to the log. The caller kills
 * it on disconnect.
 */
import { ChildProcess, spawn } from 'child_process';
import { Duplex, Readable, Writable } from 'stream';
import { ConnectionError } from './hostConnection';
import { Logger } from './log';

/** How much of the command's stderr is kept for an error message. */
const STDERR_KEPT = 4096;
/** How long a failed connection waits for the command's exit status before it words the error. */
const EXIT_WAIT_MS = 1000;

export interface ProxyProcess {
  /** stdout as the readable side, stdin as the writable side: ssh2's `sock`. */
  readonly sock: Duplex;
  readonly child: ChildProcess;
  /** The command as run (after expansion), for messages. */
  readonly command: string;
  /** Ends the command (SIGTERM, then SIGKILL after a grace period); safe to call more than once. */
  kill(): void;
  /**
   * When a connection through the command failed: an error quoting the command's exit status and stderr if
   * it has exited (or exits within a second), else undefined (the failure was not the command's).
   */
  failure(where: string): Promise<ConnectionError | undefined>;
}

/**
 * The command's stdout and stdin as one stream. It never emits 'error': when the command goes away the
 * readable side ends, and ssh2 reports the closed connection (a write to a dead command must not crash
 * the extension host).
 */
class ProxySocket extends Duplex {
  constructor(
    private readonly out: Readable,
    private readonly inp: Writable,
  ) {
    super();
    out.on('data', (d: Buffer) => {
      if (!this.push(d)) {
        out.pause();
      }
    });
    out.once('end', () => this.push(null));
    out.once('error', () => this.push(null));
    inp.on('error', () => undefined);
  }

  override _read(): void {
    this.out.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.inp.destroyed || this.inp.writableEnded) {
      done();
      return;
    }
    this.inp.write(chunk, () => done());
  }

  override _final(done: (err?: Error | null) => void): void {
    this.inp.end();
    done();
  }

  override _destroy(_err: Error | null, done: (err?: Error | null) => void): void {
    this.out.destroy();
    this.inp.destroy();
    done(null);
  }
}

export interface ProxyCommandOptions {
  /** The user's shell; default $SHELL, else /bin/sh (as OpenSSH). */
  shell?: string;
  env?: NodeJS.ProcessEnv;
}

export function startProxyCommand(command: string, log: Logger, options: ProxyCommandOptions = {}): ProxyProcess {
  const env = options.env ?? process.env;
  const shell = options.shell ?? (env.SHELL || '/bin/sh');
  log.info(`ProxyCommand: ${shell} -c "exec ${command}"`);
  const child = spawn(shell, ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'], env });
  let stderr = '';
  let exit: { code: number | null; signal: NodeJS.Signals | null; error?: Error } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      exit ??= { code: null, signal: null, error };
      resolve();
    });
    child.once('exit', (code, signal) => {
      exit ??= { code, signal };
      resolve();
    });
  });
  let lineBuf = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEPT);
    lineBuf += chunk;
    const lines = lineBuf.split('\n');
    lineBuf = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim()) {
        log.info(`ProxyCommand: ${line}`);
      }
    }
  });
  void exited.then(() => {
    if (lineBuf.trim()) {
      log.info(`ProxyCommand: ${lineBuf}`);
    }
    log.info(`ProxyCommand ended (${exit?.error ? exit.error.message : exit?.signal ? `signal ${exit.signal}` : `exit code ${exit?.code}`})`);
  });
  const sock = new ProxySocket(child.stdout!, child.stdin!);
  let killTimer: NodeJS.Timeout | undefined;
  return {
    sock,
    child,
    command,
    kill() {
      if (exit || killTimer) {
        return;
      }
      child.kill('SIGTERM');
      killTimer = setTimeout(() => {
        if (!exit) {
          child.kill('SIGKILL');
        }
      }, 2000);
      killTimer.unref();
      void exited.then(() => clearTimeout(killTimer));
    },
    async failure(where) {
      await Promise.race([exited, new Promise((r) => setTimeout(r, EXIT_WAIT_MS).unref())]);
      if (!exit) {
        return undefined;
      }
      const status = exit.error
        ? `could not be started (${exit.error.message})`
        : exit.signal
          ? `was killed by signal ${exit.signal}`
          : `exited with code ${exit.code}`;
      const said = stderr.trim();
      return new ConnectionError(
        `The ProxyCommand for ${where} (${command}) ${status} before the SSH connection was made` +
          (said ? `. It said: ${said}` : ', and printed nothing on stderr.') +
          (said && !/[.!?]$/.test(said) ? '.' : '') +
          ' Check the ProxyCommand in your ssh config.',
        'connect',
      );
    },
  };
}
