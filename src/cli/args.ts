/** Command-line parsing for the headless CLI: flags, repeated flags, and `--` for a command's own argv. */

export class UsageError extends Error {}

export interface ParsedArgs {
  positional: string[];
  flags: Map<string, string[]>;
  booleans: Set<string>;
  /** Everything after a bare `--`. */
  rest: string[];
}

export function parseArgs(argv: readonly string[], booleanFlags: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { positional: [], flags: new Map(), booleans: new Set(), rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      out.rest = argv.slice(i + 1);
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (booleanFlags.includes(name)) {
        if (eq > 0) {
          throw new UsageError(`--${name} takes no value.`);
        }
        out.booleans.add(name);
        continue;
      }
      const value = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (value === undefined) {
        throw new UsageError(`--${name} needs a value.`);
      }
      out.flags.set(name, [...(out.flags.get(name) ?? []), value]);
      continue;
    }
    out.positional.push(a);
  }
  return out;
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v?.[v.length - 1];
}

export function checkKnownFlags(args: ParsedArgs, known: readonly string[]): void {
  for (const name of [...args.flags.keys(), ...args.booleans]) {
    if (!known.includes(name)) {
      throw new UsageError(`Unknown option --${name}.`);
    }
  }
}
