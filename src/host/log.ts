/**
 * Logging for the pure layers. The VS Code layer backs it with a LogOutputChannel, the CLI with stderr.
 * Every line carries a component tag; secrets registered with `redact` or a `SecretScope` never reach the
 * sink, and control characters from host text are shown escaped (one message is one line).
 */
import { displayLogLine, displayText } from '../model/displayText';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogSink {
  log(level: LogLevel, line: string): void;
}

/** Every secret some scope holds, with how many scopes hold it: masked while the count is above zero. */
const held = new Map<string, number>();

/**
 * The secrets of one owner (a connection): passwords and passphrases typed in the UI, given up front or
 * read from secret storage. Each is masked in every log line, whatever its length, until `forget()`, which
 * also drops the scope's own reference to it. A secret another scope holds stays masked.
 */
export class SecretScope {
  private readonly own = new Set<string>();

  add(secret: string | undefined): void {
    if (!secret || this.own.has(secret)) {
      return;
    }
    this.own.add(secret);
    held.set(secret, (held.get(secret) ?? 0) + 1);
  }

  delete(secret: string | undefined): void {
    if (secret === undefined || !this.own.delete(secret)) {
      return;
    }
    const n = (held.get(secret) ?? 1) - 1;
    if (n > 0) {
      held.set(secret, n);
    } else {
      held.delete(secret);
    }
  }

  forget(): void {
    for (const s of [...this.own]) {
      this.delete(s);
    }
  }

  get size(): number {
    return this.own.size;
  }
}

/** Secrets registered without an owner: masked for the life of the process (the CLI's, for one). */
const processScope = new SecretScope();

/** Register a secret (password, passphrase) so it is masked wherever it would be logged. */
export function redact(secret: string | undefined): void {
  processScope.add(secret);
}

export function forgetSecret(secret: string | undefined): void {
  processScope.delete(secret);
}

/** How many distinct secrets are masked now (for tests: forgotten ones no longer count). */
export function heldSecretCount(): number {
  return held.size;
}

/** Longest first, so a secret that contains another is masked whole. */
function secretsByLength(): string[] {
  return [...held.keys()].sort((a, b) => b.length - a.length);
}

export function maskSecrets(text: string): string {
  let out = text;
  for (const s of secretsByLength()) {
    out = out.split(s).join('***');
  }
  // Key material never belongs in a log, whatever its source.
  return out.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key]');
}

/**
 * One log line as the sink gets it: secrets masked, then control characters escaped except a final
 * newline, then masked again in their escaped form (a secret holding a backslash or a control character).
 */
export function cleanLogLine(line: string): string {
  let out = displayLogLine(maskSecrets(line));
  for (const s of secretsByLength()) {
    const shown = displayText(s);
    if (shown !== s) {
      out = out.split(shown).join('***');
    }
  }
  return out;
}

let sink: LogSink = { log: () => undefined };

export function setLogSink(next: LogSink): void {
  sink = next;
}

export class Logger {
  constructor(private readonly component: string) {}

  private write(level: LogLevel, message: string): void {
    sink.log(level, cleanLogLine(`[${this.component}] ${message}`));
  }

  trace(message: string): void {
    this.write('trace', message);
  }
  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(message: string): void {
    this.write('error', message);
  }
}
