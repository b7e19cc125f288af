/**
 * A bounded reachability check (`ping -c N -W T`) and the parser of its output, for both iputils and
 * busybox ping.
 */

export interface PingResult {
  sent: number;
  received: number;
  /** Round-trip times of the replies, in milliseconds, in arrival order. */
  rtts: number[];
  lossPct: number;
}

export const PING_COUNT_MAX = 20;
export const PING_TIMEOUT_MAX = 10;

/** Parse ping's output. Returns undefined when it holds no statistics line (ping did not run). */
export function parsePingOutput(text: string): PingResult | undefined {
  const rtts: number[] = [];
  for (const m of text.matchAll(/^\d+ bytes from .*?\btime[=<]\s*([0-9]+(?:\.[0-9]+)?)\s*ms/gm)) {
    rtts.push(Number(m[1]));
  }
  // iputils: "3 packets transmitted, 3 received, 0% packet loss"; busybox: "... 3 packets received, ...".
  const stats = /(\d+) packets transmitted, (\d+) (?:packets )?received(?:, \+\d+ (?:errors|duplicates))*, ([0-9.]+)% packet loss/.exec(text);
  if (!stats) {
    return undefined;
  }
  return {
    sent: Number(stats[1]),
    received: Number(stats[2]),
    rtts,
    lossPct: Number(stats[3]),
  };
}

export function formatPingResult(r: PingResult): string {
  const times = r.rtts.length > 0 ? `, rtt ${r.rtts.map((t) => `${t} ms`).join(' ')}` : '';
  return `${r.sent} sent, ${r.received} received, ${r.lossPct}% loss${times}`;
}
