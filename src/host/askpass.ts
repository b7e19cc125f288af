/**
 * The askpass bridge of the OpenSSH transport, as VS Code's Git extension does it: ssh runs `SSH_ASKPASS`
 * (a small script in the connection's private folder) for every prompt; the script sends the prompt to the
 * extension over a Unix socket in that folder and prints the answer it gets back on stdout, which ssh
 * reads from a pipe. The answer exists only in memory and in that pipe: nothing secret is written to a file
 * and nothing is typed into a terminal.
 */
import * as crypto from 'crypto';
import { promises as fsp } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Logger } from './log';

/** What OpenSSH asks, from its prompt text and SSH_ASKPASS_PROMPT. */
export type AskpassQuestion =
  | { kind: 'passphrase'; keyPath: string }
  | { kind: 'password'; user: string; host: string }
  | { kind: 'hostKey'; host: string; port: number; keyType: string; fingerprint: string; text: string }
  /** SSH_ASKPASS_PROMPT=none: tell the user (touch the security key); no answer is read. */
  | { kind: 'notice'; text: string }
  /** SSH_ASKPASS_PROMPT=confirm: yes or no. */
  | { kind: 'confirm'; text: string }
  /** Anything else (keyboard-interactive, a FIDO PIN, a verification code): a secret answer. */
  | { kind: 'other'; text: string };

/**
 * Classify a prompt as OpenSSH words it (readpass.c, sshconnect.c, sshconnect2.c). The texts here are
 * OpenSSH's own; the unit test checks them against prompts captured from a real ssh.
 */
export function classifyAskpassPrompt(prompt: string, hint: string | undefined): AskpassQuestion {
  const text = prompt.replace(/\s+$/, '');
  if (hint === 'none') {
    return { kind: 'notice', text };
  }
  const hostKey = /The authenticity of host '([^']*)' can't be established\.[\s\S]*?(\S+) key fingerprint is (\S+?)\.?\s*$/m.exec(text);
  if (hostKey && /continue connecting/.test(text)) {
    const name = hostKey[1].replace(/ \(.*\)$/, '');
    const bracketed = /^\[(.*)\]:(\d+)$/.exec(name);
    return {
      kind: 'hostKey',
      host: bracketed ? bracketed[1] : name,
      port: bracketed ? Number(bracketed[2]) : 22,
      keyType: hostKey[2],
      fingerprint: hostKey[3],
      text,
    };
  }
  if (hint === 'confirm') {
    return { kind: 'confirm', text };
  }
  // "Enter passphrase for key '/p':" (older) or "Enter passphrase for ED25519 key '/p':".
  const passphrase = /^Enter passphrase for (?:\S+ )?key '(.*)':$/.exec(text) ?? /^Enter passphrase for (.*):$/.exec(text);
  if (passphrase) {
    return { kind: 'passphrase', keyPath: passphrase[1] };
  }
  // "user@host's password:" (password method) and "(user@host) Password:" (keyboard-interactive via PAM).
  const password = /^(?:([^\s@]+)@(\S+)'s password:|\(([^\s@]+)@(\S+)\) Password:)$/.exec(text);
  if (password) {
    return { kind: 'password', user: password[1] ?? password[3], host: password[2] ?? password[4] };
  }
  return { kind: 'other', text };
}

/** The answer for ssh, or undefined to cancel (askpass exits 1; ssh then gives up that method or key). */
export type AskpassHandler = (question: AskpassQuestion, retry: boolean) => Promise<string | undefined>;

/** The askpass client: prompt in, answer out. Static code, no secret; written into the private folder. */
const CLIENT_JS = `'use strict';
const net = require('net');
const sock = net.connect(process.env.NSX_ASKPASS_SOCK);
let reply = '';
sock.setEncoding('utf8');
sock.on('data', (d) => { reply += d; });
sock.on('error', () => process.exit(1));
sock.on('end', () => {
  let r;
  try { r = JSON.parse(reply); } catch { process.exit(1); }
  if (!r || typeof r.answer !== 'string') process.exit(1);
  process.stdout.write(r.answer + '\\n', () => process.exit(0));
});
sock.end(JSON.stringify({ token: process.env.NSX_ASKPASS_TOKEN, prompt: process.argv[2] || '', hint: process.env.SSH_ASKPASS_PROMPT || '' }));
`;

/** Longest prompt accepted from the client (OpenSSH's are a few hundred bytes). */
const MAX_REQUEST = 64 * 1024;

export class AskpassBridge {
  private server: net.Server | undefined;
  private readonly token = crypto.randomBytes(32).toString('hex');
  /** How often each prompt text has been asked, so a repeated one is shown as a retry. */
  private readonly asked = new Map<string, number>();
  readonly socketPath: string;
  readonly scriptPath: string;
  private readonly clientPath: string;

  constructor(
    /** A folder only this user can enter (mode 0700), removed by the owner. */
    private readonly dir: string,
    private readonly handler: AskpassHandler,
    private readonly log: Logger,
  ) {
    this.socketPath = path.join(dir, 'askpass.sock');
    this.scriptPath = path.join(dir, 'askpass.sh');
    this.clientPath = path.join(dir, 'askpass.js');
  }

  async start(): Promise<void> {
    await fsp.writeFile(this.clientPath, CLIENT_JS, { mode: 0o600 });
    // ELECTRON_RUN_AS_NODE makes VS Code's own binary (process.execPath) run the client as plain Node.
    await fsp.writeFile(this.scriptPath, '#!/bin/sh\nELECTRON_RUN_AS_NODE=1 exec "$NSX_ASKPASS_NODE" "$NSX_ASKPASS_MAIN" "$@"\n', { mode: 0o700 });
    const server = net.createServer({ allowHalfOpen: true }, (sock) => this.serve(sock));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log.warn(`askpass: ${e.message}`));
    this.server = server;
  }

  /** The environment ssh needs to use this bridge for every prompt. */
  env(): Record<string, string> {
    return {
      SSH_ASKPASS: this.scriptPath,
      SSH_ASKPASS_REQUIRE: 'force',
      // Older OpenSSH (before 8.4) uses askpass only with DISPLAY set and no terminal.
      DISPLAY: process.env.DISPLAY || 'nsx-askpass:0',
      NSX_ASKPASS_NODE: process.execPath,
      NSX_ASKPASS_MAIN: this.clientPath,
      NSX_ASKPASS_SOCK: this.socketPath,
      NSX_ASKPASS_TOKEN: this.token,
    };
  }

  private serve(sock: net.Socket): void {
    let request = '';
    sock.setEncoding('utf8');
    sock.on('error', () => undefined);
    sock.on('data', (d: string) => {
      request += d;
      if (request.length > MAX_REQUEST) {
        sock.destroy();
      }
    });
    sock.on('end', () => {
      void this.answer(request).then(
        (answer) => sock.end(answer === undefined ? '{}' : JSON.stringify({ answer })),
        () => sock.end('{}'),
      );
    });
  }

  private async answer(request: string): Promise<string | undefined> {
    let req: { token?: unknown; prompt?: unknown; hint?: unknown };
    try {
      req = JSON.parse(request) as typeof req;
    } catch {
      return undefined;
    }
    const given = Buffer.from(typeof req.token === 'string' ? req.token : '');
    const want = Buffer.from(this.token);
    if (given.length !== want.length || !crypto.timingSafeEqual(given, want)) {
      this.log.warn('askpass: a request without the right token was refused');
      return undefined;
    }
    const prompt = typeof req.prompt === 'string' ? req.prompt : '';
    const hint = typeof req.hint === 'string' && req.hint ? req.hint : undefined;
    const question = classifyAskpassPrompt(prompt, hint);
    const n = (this.asked.get(prompt) ?? 0) + 1;
    this.asked.set(prompt, n);
    this.log.info(`ssh asks (${question.kind}${n > 1 ? `, again` : ''}): ${prompt.trim().split('\n').pop()}`);
    return this.handler(question, n > 1);
  }

  dispose(): void {
    this.server?.close();
    this.server = undefined;
  }
}
