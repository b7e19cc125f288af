/**
 * Logging for the pure layers. The VS Code layer backs it with a LogOutputChannel, the CLI with stderr.
 * Every line carries a component tag; secrets registered with `redact` never reach the sink.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export interface LogSink {
  log(level: LogLevel, line: string): void;
}

const secrets = new Set<string>();

/** Register a secret (password, passphrase) so it is masked wherever it would be logged. */
export function redact(secret: string | undefined): void {
  if (secret && secret.length >= 3) {
    secrets.add(secret);
  }
}

export function forgetSecret(secret: string | undefined): void {
  if (secret) {
    secrets.delete(secret);
  }
}

export function maskSecrets(text: string): string {
  let out = text;
  for (const s of secrets) {
    out = out.split(s).join('***');
  }
  // Key material never belongs in a log, whatever its source.
  return out.replace(/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g, '[private key]');
}

let sink: LogSink = { log: () => undefined };

export function setLogSink(next: LogSink): void {
  sink = next;
}

export class Logger {
  constructor(private readonly component: string) {}

  private write(level: LogLevel, message: string): void {
    sink.log(level, `[${this.component}] ${maskSecrets(message)}`);
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
