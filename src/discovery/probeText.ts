/**
 * What the probe's output is made of (probe.sh): sections, each introduced by a mark line
 * `@@TOKEN NAME ARGS` whose token the probe draws from the host's random source per run, and the
 * escape every untrusted value is printed in. Pure; imported by each parser.
 */

export interface Section {
  name: string;
  args: string[];
  lines: string[];
}

/**
 * Undoes the probe's escape of untrusted text (ESC_AWK in probe.sh): "%XX" for "%" itself and for each
 * control character (and ":" in state-file names). Every literal "%" is escaped, so decoding is exact.
 */
export function unescapeProbeText(s: string): string {
  return s.includes('%') ? s.replace(/%(0[0-9A-F]|1[0-9A-F]|25|7F|3A)/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))) : s;
}
