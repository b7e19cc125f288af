/**
 * Probe-output text for tests: the format-2 header and marks (probe.sh) with a fixed token, and a
 * writer that turns hand-written "@@name" lines into marks, so a test reads like the probe's sections.
 */
export const TEST_TOKEN = '00000000-0000-4000-8000-000000000001';
export const HEADER = `@@nsx-probe 2 ${TEST_TOKEN}`;

/** A mark line: `@@TOKEN name args`. */
export function mark(nameAndArgs: string): string {
  return `@@${TEST_TOKEN} ${nameAndArgs}`;
}

/** Text whose lines starting "@@" are marks ("@@nsx-probe" the header): as the probe prints them. */
export function probeText(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.startsWith('@@nsx-probe') ? HEADER : l.startsWith('@@') ? mark(l.slice(2)) : l))
    .join('\n');
}

/** The mark names of real probe output (token dropped), in order. */
export function markNames(out: string): string[] {
  const tok = /^@@nsx-probe \d+ (\S+)$/m.exec(out)?.[1];
  return out
    .split('\n')
    .filter((l) => l.startsWith('@@'))
    .map((l) => (tok && l.startsWith(`@@${tok} `) ? `@@${l.slice(tok.length + 3).split(' ')[0]}` : l.split(' ')[0]));
}
