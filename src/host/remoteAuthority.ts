/**
 * The host of a Remote-SSH window, from its remote authority (`ssh-remote+ALIAS`). Remote-SSH writes the
 * host as typed (an ssh-config alias or `user@host[:port]`), URI-encoded, or, for hosts that need more,
 * as hex of a JSON object `{"hostName": …, "user": …, "port": …}`. No vscode import.
 */
import { HostSpecError, parseHostSpec } from './hostSpec';

export interface WindowHost {
  /** What Connect to Host takes: the alias, or `user@host[:port]`. */
  spec: string;
  /** The authority as Remote-SSH wrote it, for messages. */
  authority: string;
}

const PREFIX = 'ssh-remote+';

/** The spec in Remote-SSH's hex JSON; null when it is that JSON but names no host; undefined when not JSON. */
function fromHexJson(text: string): string | null | undefined {
  if (!/^(?:[0-9a-f]{2})+$/i.test(text) || text.length < 4) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(text, 'hex').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof doc !== 'object' || doc === null) return undefined;
  const { hostName, user, port } = doc as { hostName?: unknown; user?: unknown; port?: unknown };
  if (typeof hostName !== 'string' || hostName === '') return null;
  const host = hostName.includes(':') && !hostName.startsWith('[') ? `[${hostName}]` : hostName;
  const who = typeof user === 'string' && user !== '' ? `${user}@` : '';
  const p = typeof port === 'number' || (typeof port === 'string' && /^[0-9]+$/.test(port)) ? `:${port}` : '';
  return `${who}${host}${p}`;
}

/** The window's SSH host, or undefined when the authority is not Remote-SSH's or names no usable host. */
export function parseRemoteAuthority(authority: string | undefined): WindowHost | undefined {
  if (!authority || !authority.toLowerCase().startsWith(PREFIX)) return undefined;
  let rest = authority.slice(PREFIX.length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    return undefined;
  }
  // A plain alias made only of hex digits ("cafe") stays an alias unless it decodes to Remote-SSH's JSON.
  const decoded = fromHexJson(rest);
  if (decoded === null) return undefined;
  const spec = decoded ?? rest;
  try {
    // "local" is This machine's spec, not a host: a Remote-SSH alias of that name is not offered.
    if (parseHostSpec(spec).kind === 'local') return undefined;
  } catch (e) {
    if (e instanceof HostSpecError) return undefined;
    throw e;
  }
  return { spec, authority };
}
