// A test that needs a program from the host: under CI=true as root (where scripts/install-deps.sh has
// installed every package the layers use) a missing program fails the test; elsewhere it skips, and the
// skip names the package to install.
import { spawnSync } from 'child_process';

export function hasTool(argv: string[]): boolean {
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}

const mustHave = process.env.CI === 'true' && typeof process.getuid === 'function' && process.getuid() === 0;

/** Skips (or under CI as root fails) the running test when `argv` does not run; `pkg` names the package. */
export function needTool(ctx: Mocha.Context, argv: string[], pkg: string): void {
  if (hasTool(argv)) {
    return;
  }
  const reason = `${argv[0]} is not installed (Debian package ${pkg}; scripts/install-deps.sh unit installs it)`;
  if (mustHave) {
    throw new Error(`${reason}, and under CI as root every package must be there`);
  }
  ctx.test!.title += ` (skipped: ${reason})`;
  ctx.skip();
}
