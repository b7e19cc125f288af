/**
 * A terminal channel from a transport's raw PTY stream (an ssh2 channel, an OpenSSH mux client): merges its
 * output, turns its end into onExit and, with a sudo password, puts `PtySudoGate` between the user and the
 * remote side (see ptyCommandLine). Shared by every transport so a terminal behaves the same on each.
 */
import { PtySudoGate, PtySudoMarkers } from './commandLine';
import { Emitter } from './events';
import { PtyChannel, PtySize } from './hostConnection';
import { Logger } from './log';
import { displayText } from '../model/displayText';

/** How long a terminal waits for sudo's prompt or its ready marker before the user answers sudo. */
export const PTY_SUDO_WAIT_MS = 20_000;

export interface RawPty {
  write(data: string | Buffer): void;
  resize(size: PtySize): void;
  close(): void;
}

export interface RawPtyEvents {
  /** Feed output (stdout and stderr) here. */
  output(data: Buffer): void;
  /** Call once when the channel has closed. */
  closed(code: number | null, signal?: string): void;
}

export interface PtySudo {
  markers: PtySudoMarkers;
  password: string;
  user: string;
}

export function ptyChannel(raw: RawPty, sudo: PtySudo | undefined, log: Logger): { channel: PtyChannel; events: RawPtyEvents } {
  const dataEmitter = new Emitter<Buffer>();
  const exitEmitter = new Emitter<{ code: number | null; signal?: string }>();
  const gate = sudo
    ? new PtySudoGate(
        sudo.markers,
        sudo.password,
        { toRemote: (d) => raw.write(d), toUser: (d) => dataEmitter.fire(d) },
        {
          promptText: `[sudo] password for ${displayText(sudo.user)}: `,
          onGiveUp: (why) => log.warn(`terminal: ${why}; the user answers sudo, if it asks, in the terminal`),
        },
      )
    : undefined;
  const giveUp = gate ? setTimeout(() => gate.giveUp(`sudo did not answer within ${PTY_SUDO_WAIT_MS / 1000} s`), PTY_SUDO_WAIT_MS) : undefined;
  let ended = false;
  const events: RawPtyEvents = {
    output(c) {
      if (gate) {
        gate.output(c);
      } else {
        dataEmitter.fire(c);
      }
    },
    closed(code, signal) {
      if (ended) {
        return;
      }
      ended = true;
      if (giveUp) {
        clearTimeout(giveUp);
      }
      const rest = gate?.end();
      if (rest && rest.length > 0) {
        dataEmitter.fire(rest);
      }
      exitEmitter.fire({ code, signal });
    },
  };
  const channel: PtyChannel = {
    write: (data) => {
      if (gate) {
        gate.input(data);
      } else {
        raw.write(data);
      }
    },
    resize: (size) => raw.resize(size),
    onData: (l) => dataEmitter.event(l),
    onExit: (l) => exitEmitter.event((e) => l(e.code, e.signal)),
    close: () => raw.close(),
  };
  return { channel, events };
}
