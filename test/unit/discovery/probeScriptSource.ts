/**
 * probe.sh is the readable source of PROBE_SCRIPT; probeScript.ts carries it as a string so the bundle
 * needs no file loader. This renders that TS file, for the drift test and for regeneration.
 */
import * as fs from 'fs';
import * as path from 'path';

function findRepoRoot(dir: string): string {
  while (!fs.existsSync(path.join(dir, 'src/discovery/probe.sh'))) {
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error('Cannot find the repository root (src/discovery/probe.sh) above ' + __dirname);
    }
    dir = up;
  }
  return dir;
}

export const REPO_ROOT = findRepoRoot(__dirname);
export const PROBE_SH = path.join(REPO_ROOT, 'src/discovery/probe.sh');
export const PROBE_TS = path.join(REPO_ROOT, 'src/discovery/probeScript.ts');

export function renderProbeScriptTs(probeSh: string): string {
  return `/**
 * The probe: one POSIX sh script (dash, bash and busybox ash) that reads everything the kernel isolates
 * on a host in a single exec and prints it as sections. Its first line is \`@@nsx-probe FORMAT TOKEN\`,
 * the token read from the host's random source; every later mark is \`@@TOKEN NAME ARGS\`, and a line
 * without the token is data, whatever it starts with. Every value another user or a container can
 * choose (command-line arguments, task names, cgroup paths, file names, state-file lines) is printed
 * escaped, "%" and each control character as %XX (probeText.ts undoes it), so no byte of it is
 * structure. Engine processes count only when root runs them in the probe's own user and mount
 * namespaces from a root-owned executable (\`@@TOKEN engine-procs\`), and the paths their arguments
 * name only when root owns them (docs/security.md). Parsed by parseProbe.ts; the format is private to
 * these files.
 *
 * GENERATED from probe.sh (edit that, then run
 * \`NSX_UPDATE_PROBE=1 npx mocha out/test/unit/discovery/probeScript.test.js\`).
 *
 * The sections up to \`@@tree-end\` hold the tree's first levels (processes, namespaces, containers from
 * the engines' state files); lsns, interfaces and the engine CLIs follow.
 *
 * Positional parameters: \`--us CHAR\` passes the unit separator (\\037; without it the probe forks a
 * printf for it); \`--docker-socket PATH\` (repeatable) adds Docker sockets to those found from
 * running dockerd processes, DOCKER_HOST and /var/run/docker.sock; \`--scope tree\` stops at
 * \`@@tree-end\`; \`--cli-cache FINGERPRINT\` skips the podman and ctr CLIs when their databases still
 * have that fingerprint (printed as \`@@cli-fingerprint\`; the probe then prints \`@@cli-cached\`).
 */

/** Bumped when the section format changes, so a parser never misreads another probe. */
export const PROBE_FORMAT_VERSION = 2;

export const PROBE_SCRIPT: string = ${JSON.stringify(shippedProbe(probeSh))};
`;
}

/**
 * The script as it is sent: without its comment lines (a third of probe.sh), which every host would
 * otherwise receive and parse on every refresh. A comment line is one whose first non-blank character
 * is "#"; the probe has no line of data (inside its awk programs or here-documents) that starts so.
 */
export function shippedProbe(probeSh: string): string {
  return probeSh.replace(/^[ \t]*#.*\n/gm, '');
}

export function readProbeSh(): string {
  return fs.readFileSync(PROBE_SH, 'utf8');
}
