/**
 * The headless CLI: `npm run cli -- <command> --target T …`. The same host layer, discovery and
 * workflows as the extension. Exit codes: 0 ok, 2 bad input, 3 connection, authentication or host-key
 * failure, 4 a remote command failed, 5 a partial snapshot (printed in full, with its warnings); one
 * clear line on stderr. `exec` passes on its command's exit code and its output byte for byte, or 75
 * when the host refused to run it because the target PID is no longer the planned process.
 */
import * as os from 'os';
import * as path from 'path';
import { openConnection, OpenOptions } from '../host/connect';
import { isTransportSetting } from '../host/transport';
import { ConnectionError, HostConnection, RemoteCommandError } from '../host/hostConnection';
import { HostSpecError } from '../host/hostSpec';
import { setLogSink } from '../host/log';
import { PrivilegeError, SudoSetting } from '../host/privilege';
import { SshConfigError } from '../host/sshConfig';
import { BUDGET_SECONDS, discover, DiscoverOptions, DiscoveryCancelled } from '../discovery/discover';
import { CancellationSourceLike } from '../host/hostConnection';
import { EnterError, EnterPrivilegeError, EnterTarget, parseNsList, planEnter, requireEnterPrivilege } from '../workflows/enter';
import { FileJournalStore, Journal } from '../workflows/journal';
import { WorkflowError } from '../workflows/validate';
import { NS_TYPES } from '../model/snapshot';
import { checkKnownFlags, flag, parseArgs, ParsedArgs, UsageError } from './args';
import { connect, netnsAdd, netnsDel, ping, undo, vethAdd, CliResult } from './netnsCommands';

const USAGE = `Usage: npm run cli -- <command> --target T [options]

Commands:
  snapshot [--scope tree] [--pretty] print the host's snapshot as JSON; tree: only processes, namespaces
                                    and containers (faster: no interfaces, no engine CLIs)
           [--budget S] [--engine-timeout S] [--ip-timeout S] [--lsns-timeout S]
                                    stop the probe after S seconds in all (default 60) and print what
                                    arrived (exit code 5); each engine CLI, ip and lsns call on the host
                                    is stopped after its own budget (defaults 5, 3, 5)
  exec (--container NAME|ID|ENGINE:ID | --pid N | --netns NAME) [--ns net,uts,…|all] -- COMMAND ARGS…
                                    a name or an id prefix that matches several containers is refused
  netns add|del NAME [--force]      create or delete a named network namespace
  veth add A@ENDPOINT B@ENDPOINT    create a veth pair, ends in host, netns:NAME or container:NAME
                                    (or container:ENGINE:ID)
  connect A B [--subnet CIDR] [--names X,Y] [--range CIDR]
  ping A ADDRESS [--count N] [--timeout S]
  undo                              reverse the last applied workflow on the host

Target: --target local | ssh://user@host[:port] | user@host[:port] | an ssh-config alias
Connection options: --ssh-config PATH, --identity PATH (repeatable), --known-hosts PATH (repeatable),
  --accept-new-host-key, --password-env VAR, --sudo-password-env VAR, --sudo auto|always|never,
  --transport auto|ssh2|openssh, --verbose
Workflow options: --dry-run (print the commands, run nothing)
Exit codes: 0 ok, 2 bad input, 3 connection/authentication/host key, 4 remote command failed,
  5 snapshot partial (a budget ran out: the JSON holds what arrived, host.warnings say what is missing);
  exec: the command's own, or 75 when the target process exited or restarted since the snapshot.`;

const VALUE_FLAGS = [
  'target', 'ssh-config', 'identity', 'known-hosts', 'password-env', 'sudo-password-env', 'sudo', 'transport',
  'container', 'pid', 'netns', 'ns', 'subnet', 'names', 'range', 'count', 'timeout', 'journal', 'scope',
  'budget', 'engine-timeout', 'ip-timeout', 'lsns-timeout',
];

/** The budget flags, as discover() takes them; whole seconds within the settings' bounds. */
function budgetOptions(args: ParsedArgs): Pick<DiscoverOptions, 'timeoutMs' | 'budgets'> {
  const secs = (name: string, min: number, max: number): number | undefined => {
    const v = flag(args, name);
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,4}$/.test(v) || Number(v) < min || Number(v) > max) {
      throw new UsageError(`--${name} must be a whole number of seconds from ${min} to ${max}.`);
    }
    return Number(v);
  };
  const budget = secs('budget', 1, 3600);
  return {
    timeoutMs: budget === undefined ? undefined : budget * 1000,
    budgets: {
      engineSeconds: secs('engine-timeout', BUDGET_SECONDS.min, BUDGET_SECONDS.max),
      lsnsSeconds: secs('lsns-timeout', BUDGET_SECONDS.min, BUDGET_SECONDS.max),
      ipSeconds: secs('ip-timeout', BUDGET_SECONDS.min, BUDGET_SECONDS.max),
    },
  };
}

/** A token that Ctrl-C (SIGINT, SIGTERM) cancels, so the probe on the host is stopped, not stranded. */
function interruptToken(): CancellationSourceLike {
  const source = new CancellationSourceLike();
  const stop = (): void => source.cancel();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return source;
}
const BOOL_FLAGS = ['accept-new-host-key', 'dry-run', 'force', 'verbose', 'pretty', 'help'];

function envSecret(args: ParsedArgs, name: string): string | undefined {
  const v = flag(args, name);
  if (v === undefined) {
    return undefined;
  }
  const value = process.env[v];
  if (value === undefined) {
    throw new UsageError(`--${name} names ${v}, which is not set in the environment.`);
  }
  return value;
}

function connectionOptions(args: ParsedArgs): OpenOptions {
  const sudo = flag(args, 'sudo') ?? 'auto';
  if (!['auto', 'always', 'never'].includes(sudo)) {
    throw new UsageError('--sudo must be auto, always or never.');
  }
  const configPath = flag(args, 'ssh-config');
  const transport = flag(args, 'transport') ?? 'auto';
  if (!isTransportSetting(transport)) {
    throw new UsageError('--transport must be auto, ssh2 or openssh.');
  }
  return {
    transport,
    sshConfig: configPath ? { configPath: path.resolve(configPath), systemConfigPath: null } : undefined,
    identities: args.flags.get('identity')?.map((p) => path.resolve(p)),
    knownHosts: args.flags.get('known-hosts')?.map((p) => path.resolve(p)),
    acceptNewHostKey: args.booleans.has('accept-new-host-key'),
    password: envSecret(args, 'password-env'),
    sudoPassword: envSecret(args, 'sudo-password-env'),
    sudo: sudo as SudoSetting,
    reconnect: false,
  };
}

async function withHost<T>(args: ParsedArgs, fn: (conn: HostConnection) => Promise<T>): Promise<T> {
  const target = flag(args, 'target');
  if (!target) {
    throw new UsageError('--target is required (local, ssh://user@host[:port], user@host[:port] or an ssh-config alias).');
  }
  const conn = await openConnection(target, connectionOptions(args));
  try {
    await conn.connect();
    return await fn(conn);
  } finally {
    conn.dispose();
  }
}

function exitWith(r: CliResult): number {
  if (r.output) {
    (r.exitCode === 0 ? process.stdout : process.stderr).write(r.output.endsWith('\n') ? r.output : `${r.output}\n`);
  }
  return r.exitCode;
}

function journalFor(args: ParsedArgs): Journal {
  const dir = flag(args, 'journal') ?? path.join(process.env.XDG_STATE_HOME ?? path.join(os.homedir(), '.local', 'state'), 'ns-explorer');
  return new Journal(new FileJournalStore(dir));
}

async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, BOOL_FLAGS);
  checkKnownFlags(args, [...VALUE_FLAGS, ...BOOL_FLAGS]);
  const [command, sub, ...restPos] = args.positional;
  if (!command || args.booleans.has('help')) {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (args.booleans.has('verbose')) {
    setLogSink({ log: (level, line) => process.stderr.write(`${level} ${line}\n`) });
  }
  const dryRun = args.booleans.has('dry-run');
  switch (command) {
    case 'snapshot': {
      const scope = flag(args, 'scope') ?? 'full';
      if (scope !== 'full' && scope !== 'tree') {
        throw new UsageError('--scope must be full or tree.');
      }
      const budgets = budgetOptions(args);
      return withHost(args, async (conn) => {
        const snapshot = await discover(conn, { scope, ...budgets, token: interruptToken() });
        process.stdout.write(JSON.stringify(snapshot, null, args.booleans.has('pretty') ? 2 : undefined) + '\n');
        if (snapshot.host.partial) {
          for (const w of snapshot.host.warnings) process.stderr.write(`warning: ${w}\n`);
          return 5;
        }
        return 0;
      });
    }
    case 'exec': {
      if (args.rest.length === 0) {
        throw new UsageError('exec needs a command after --, e.g. exec --container web -- ip addr');
      }
      const targets: EnterTarget[] = [];
      const c = flag(args, 'container');
      const p = flag(args, 'pid');
      const n = flag(args, 'netns');
      if (c) targets.push({ kind: 'container', ref: c });
      if (p) {
        if (!/^[1-9][0-9]{0,9}$/.test(p)) throw new UsageError(`--pid must be a process id, not "${p}".`);
        targets.push({ kind: 'pid', pid: Number(p) });
      }
      if (n) targets.push({ kind: 'netns', name: n });
      if (targets.length !== 1) {
        throw new UsageError('exec needs exactly one of --container NAME|ENGINE:ID, --pid N or --netns NAME.');
      }
      const types = parseNsList(flag(args, 'ns') ?? NS_TYPES.join(','));
      return withHost(args, async (conn) => {
        // Refuse before discovery: a limited snapshot would only say the container does not exist.
        const host = await conn.connect();
        requireEnterPrivilege(host, conn.label);
        const snapshot = await discover(conn);
        const plan = planEnter(snapshot, targets[0], types, { program: args.rest, hostLabel: conn.label, host });
        // Streamed as it arrives, as bytes: binary output comes through exactly, at any size.
        const r = await conn.exec(plan.argv, {
          privileged: true,
          timeoutMs: 10 * 60_000,
          maxOutputBytes: Number.MAX_SAFE_INTEGER,
          onStdout: (chunk) => process.stdout.write(chunk),
          onStderr: (chunk) => process.stderr.write(chunk),
        });
        return r.code ?? 4;
      });
    }
    case 'netns': {
      const name = restPos[0] ?? '';
      if ((sub !== 'add' && sub !== 'del') || !name) {
        throw new UsageError('Usage: netns add NAME | netns del NAME [--force]');
      }
      return withHost(args, async (conn) => {
        const snapshot = await discover(conn);
        const r = sub === 'add'
          ? await netnsAdd(conn, snapshot, name, { dryRun, journal: journalFor(args) })
          : await netnsDel(conn, snapshot, name, { dryRun, force: args.booleans.has('force'), journal: journalFor(args) });
        return exitWith(r);
      });
    }
    case 'veth': {
      const [a, b] = restPos;
      const split = (x: string | undefined) => {
        const at = x?.lastIndexOf('@') ?? -1;
        if (!x || at <= 0) throw new UsageError('Usage: veth add NAME_A@ENDPOINT NAME_B@ENDPOINT (endpoint: host, netns:NAME or container:NAME)');
        return { name: x.slice(0, at), endpoint: x.slice(at + 1) };
      };
      if (sub !== 'add') throw new UsageError('Usage: veth add NAME_A@ENDPOINT NAME_B@ENDPOINT');
      const ea = split(a);
      const eb = split(b);
      return withHost(args, async (conn) => {
        const snapshot = await discover(conn);
        return exitWith(await vethAdd(conn, snapshot, { nameA: ea.name, endpointA: ea.endpoint, nameB: eb.name, endpointB: eb.endpoint }, { dryRun, journal: journalFor(args) }));
      });
    }
    case 'connect': {
      const a = sub;
      const b = restPos[0];
      if (!a || !b) throw new UsageError('Usage: connect A B [--subnet CIDR] [--names X,Y]');
      return withHost(args, async (conn) => {
        const snapshot = await discover(conn);
        return exitWith(await connect(conn, snapshot, a, b, {
          dryRun,
          subnet: flag(args, 'subnet'),
          names: flag(args, 'names'),
          range: flag(args, 'range'),
          journal: journalFor(args),
        }));
      });
    }
    case 'ping': {
      const from = sub;
      const address = restPos[0];
      if (!from || !address) throw new UsageError('Usage: ping A ADDRESS [--count N] [--timeout S]');
      const num = (name: string) => {
        const v = flag(args, name);
        if (v === undefined) return undefined;
        if (!/^[0-9]{1,3}$/.test(v)) throw new UsageError(`--${name} must be a small whole number.`);
        return Number(v);
      };
      return withHost(args, async (conn) => {
        const snapshot = await discover(conn);
        return exitWith(await ping(conn, snapshot, from, address, { count: num('count'), timeout: num('timeout') }));
      });
    }
    case 'undo':
      return withHost(args, async (conn) => exitWith(await undo(conn, journalFor(args))));
    default:
      throw new UsageError(`Unknown command "${command}". Run with --help for the list.`);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (e) {
    const err = e as Error;
    let code = 1;
    if (e instanceof DiscoveryCancelled) {
      code = 130;
    } else if (e instanceof EnterPrivilegeError) {
      code = 3;
    } else if (e instanceof UsageError || e instanceof HostSpecError || e instanceof SshConfigError || e instanceof EnterError || e instanceof WorkflowError) {
      code = 2;
    } else if (e instanceof ConnectionError || e instanceof PrivilegeError) {
      code = 3;
    } else if (e instanceof RemoteCommandError) {
      code = 4;
    }
    process.stderr.write(`error: ${err.message.split('\n')[0]}\n`);
    return code;
  }
}

/**
 * Exits with `code` once stdout and stderr have taken everything written to them. process.exit() alone
 * drops what a pipe has not taken yet (writes to pipes are asynchronous): a slow reader got the first
 * 64 KiB of a snapshot and a success code. An empty write's callback runs after every earlier write.
 */
export function exitAfterOutput(code: number): void {
  process.exitCode = code;
  let pending = 2;
  const flushed = (): void => {
    if (--pending === 0) {
      process.exit(code);
    }
  };
  process.stdout.write('', flushed);
  process.stderr.write('', flushed);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(exitAfterOutput);
}
