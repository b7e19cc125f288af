/**
 * What the user typed as a target: an ssh-config alias, `user@host[:port]`, `ssh://user@host[:port]`,
 * `[v6addr]:port`, or `local` for This machine. Pure: no vscode, no I/O.
 */
import * as ipaddr from 'ipaddr.js';

export type HostSpec =
  | { kind: 'local' }
  | {
      kind: 'ssh';
      /** Alias or host name or address as typed (IPv6 without brackets). Resolved later through ssh config. */
      host: string;
      /** Set only when the user typed one; otherwise ssh config or the local user name decides. */
      user?: string;
      /** Set only when the user typed one; otherwise ssh config or 22 decides. */
      port?: number;
    };

/** The input cannot name a host; the message says what is wrong and what to type instead. */
export class HostSpecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HostSpecError';
  }
}

export const LOCAL_HOST_SPEC = 'local';

// Whitespace and C0/DEL control characters: never part of a host, user or alias.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\s\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/g;

const EXPECTED = 'Expected an ssh-config alias, user@host, user@host:port, ssh://user@host:port or [v6addr]:port.';

/** Parse a target. Throws HostSpecError with a message fit to show the user. */
export function parseHostSpec(input: string): HostSpec {
  const text = input.trim();
  if (text === '') {
    throw new HostSpecError(`No host given. ${EXPECTED}`);
  }
  const bad = FORBIDDEN.exec(text);
  if (bad) {
    const what = /\s/.test(bad[0]) && bad[0] >= ' ' ? 'a space' : `a control character (U+${bad[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()})`;
    throw new HostSpecError(`"${printable(text)}" contains ${what} at position ${bad.index + 1}; a host cannot contain one. ${EXPECTED}`);
  }
  if (text === LOCAL_HOST_SPEC) {
    return { kind: 'local' };
  }

  let rest = text;
  let isUri = false;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest);
  if (scheme) {
    if (scheme[1].toLowerCase() !== 'ssh') {
      throw new HostSpecError(`"${text}" uses the scheme "${scheme[1]}://"; only ssh:// is supported. ${EXPECTED}`);
    }
    isUri = true;
    rest = rest.slice(scheme[0].length);
    if (rest.endsWith('/')) {
      rest = rest.slice(0, -1);
    }
    if (rest.includes('/')) {
      throw new HostSpecError(`"${text}" has a path after the host; an ssh:// target is ssh://user@host:port with nothing after it.`);
    }
  }

  let user: string | undefined;
  // The last '@' separates user from host, as OpenSSH does: user names may themselves contain '@'.
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (isUri) {
      user = decodeUriPart(user, text);
    }
    if (user === '') {
      throw new HostSpecError(`"${text}" has nothing before "@"; type a user name, or leave out the "@" to use the one from ssh config.`);
    }
    if (user.startsWith('-')) {
      throw new HostSpecError(`The user name "${user}" starts with "-", which ssh would read as an option.`);
    }
    if (FORBIDDEN.test(user) || /[:/]/.test(user)) {
      throw new HostSpecError(`The user name "${printable(user)}" contains a character user names cannot have.`);
    }
  }

  let host: string;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) {
      throw new HostSpecError(`"${text}" opens "[" without a closing "]"; write an IPv6 address as [v6addr] or [v6addr]:port.`);
    }
    host = rest.slice(1, close);
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith(':')) {
        throw new HostSpecError(`"${text}" has "${after}" after "]"; only ":port" may follow a bracketed address.`);
      }
      portText = after.slice(1);
    }
    if (host === '') {
      throw new HostSpecError(`"${text}" has an empty host between "[" and "]".`);
    }
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) {
      // A bare IPv6 address (OpenSSH accepts one too); a port then needs brackets.
      if (!isIPv6(rest)) {
        throw new HostSpecError(`"${text}" has several ":" but "${rest}" is not an IPv6 address. Write an IPv6 address with a port as [v6addr]:port.`);
      }
      host = rest;
    } else if (colons === 1) {
      const colon = rest.indexOf(':');
      host = rest.slice(0, colon);
      portText = rest.slice(colon + 1);
    } else {
      host = rest;
    }
  }

  if (host === '') {
    throw new HostSpecError(`"${text}" has no host name. ${EXPECTED}`);
  }
  if (host.startsWith('-')) {
    throw new HostSpecError(`The host "${host}" starts with "-", which ssh would read as an option.`);
  }
  if (/[@/\\[\]'"`$;&|<>(){}*?!,]/.test(host) && !isIPv6(host)) {
    const ch = /[@/\\[\]'"`$;&|<>(){}*?!,]/.exec(host)?.[0];
    throw new HostSpecError(`The host "${host}" contains "${ch}", which no host name or ssh-config alias can contain.`);
  }

  let port: number | undefined;
  if (portText !== undefined) {
    port = parsePort(portText, text);
  }
  const spec: HostSpec = { kind: 'ssh', host };
  if (user !== undefined) {
    spec.user = user;
  }
  if (port !== undefined) {
    spec.port = port;
  }
  return spec;
}

/** For input boxes: undefined when valid, else the message to show. */
export function validateHostSpec(input: string): string | undefined {
  try {
    parseHostSpec(input);
    return undefined;
  } catch (err) {
    if (err instanceof HostSpecError) {
      return err.message;
    }
    throw err;
  }
}

/** The canonical text for a spec; parseHostSpec(formatHostSpec(s)) gives s back. */
export function formatHostSpec(spec: HostSpec): string {
  if (spec.kind === 'local') {
    return LOCAL_HOST_SPEC;
  }
  const host = spec.host.includes(':') ? `[${spec.host}]` : spec.host;
  const user = spec.user !== undefined ? `${spec.user}@` : '';
  if (spec.port !== undefined) {
    return `${user}${host}:${spec.port}`;
  }
  // A bare IPv6 address needs no brackets without a port, but they keep the form unambiguous.
  return `${user}${host}`;
}

/** Parse a TCP port, 1-65535, as typed; throws HostSpecError naming the input. */
export function parsePort(portText: string, context?: string): number {
  const where = context !== undefined ? ` in "${context}"` : '';
  if (portText === '') {
    throw new HostSpecError(`Empty port after ":"${where}; type a port from 1 to 65535, or leave out the ":" for port 22.`);
  }
  if (!/^\d+$/.test(portText)) {
    throw new HostSpecError(`Port "${portText}"${where} is not a number; type a port from 1 to 65535.`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw new HostSpecError(`Port ${portText}${where} is out of range; type a port from 1 to 65535.`);
  }
  return port;
}

function isIPv6(text: string): boolean {
  // Zone ids (fe80::1%eth0) are fine for ssh; ipaddr.js checks the address part.
  const address = text.split('%')[0];
  return ipaddr.IPv6.isValid(address) && text.includes(':');
}

function decodeUriPart(part: string, whole: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HostSpecError(`"${whole}" has a malformed %-escape in the user name.`);
  }
}

function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
