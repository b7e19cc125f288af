// A PTY channel under test: its whole output kept, commands typed between markers, every wait bounded.
// Shared by the lab tests of Enter Namespace on each transport.
import { HostConnection, PtyChannel } from '../../src/host/hostConnection';

/** A PTY channel with its whole output kept, and bounded waits on it. */
export class PtySession {
  output = '';
  exit: { code: number | null; signal?: string } | undefined;
  private waiters: Array<() => void> = [];
  readonly openedAt = Date.now();
  firstByteMs: number | undefined;

  constructor(readonly channel: PtyChannel) {
    channel.onData((d) => {
      this.firstByteMs ??= Date.now() - this.openedAt;
      this.output += d.toString('utf8');
      this.wake();
    });
    channel.onExit((code, signal) => {
      this.exit = { code, signal };
      this.wake();
    });
  }

  static async open(conn: HostConnection, argv: string[], size = { cols: 80, rows: 24 }): Promise<PtySession> {
    return new PtySession(await conn.openPty(argv, { ...size, privileged: true }));
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) {
      w();
    }
  }

  /** Resolves once `test` holds, or fails after `ms` with the output so far. */
  async until(what: string, test: () => boolean, ms = 20_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!test()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`timed out after ${ms} ms waiting for ${what}; output so far: ${JSON.stringify(this.output.slice(-2000))}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /**
   * Types `script` and returns what it printed: the text between two markers that exist only once the
   * shell has expanded them (the echoed input holds `$((…))`, never the digits).
   */
  async run(script: string, ms = 20_000): Promise<string> {
    const id = Math.floor(Math.random() * 1e6);
    const begin = `<nsx-begin-${id}-42>`;
    const end = `<nsx-end-${id}-42>`;
    const from = this.output.length;
    this.channel.write(`echo "<nsx-begin-${id}-$((6*7))>"; ${script}; echo "<nsx-end-${id}-$((6*7))>"\n`);
    await this.until(`the output of: ${script.slice(0, 80)}`, () => this.output.indexOf(end, from) >= 0, ms);
    const text = this.output.slice(from);
    const a = text.indexOf(begin);
    return text.slice(a + begin.length, text.indexOf(end, a)).replace(/\r/g, '');
  }

  async exited(ms = 20_000): Promise<{ code: number | null; signal?: string }> {
    await this.until('the channel to close', () => this.exit !== undefined, ms);
    return this.exit!;
  }

  close(): void {
    if (!this.exit) {
      this.channel.close();
    }
  }
}

