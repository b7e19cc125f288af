// The lab at scale, for the tests and the bench (scripts/bench.js) that need a large host: N more processes (sleeps in a few PID
// namespaces of their own) and M more named netns, each bounded (the sleeps end by themselves after
// 10 minutes) and removed by shrink(), also after a failed test. No vscode import.
import { spawn, spawnSync, type ChildProcess } from 'child_process';

export interface LabScale {
  netns: string[];
  shrink(): void;
}

const NETNS_PREFIX = 'nsxscale_';

function netnsBatch(verb: 'add' | 'delete', names: string[]): void {
  if (names.length) {
    spawnSync('ip', ['-force', '-batch', '-'], { input: names.map((n) => `netns ${verb} ${n}\n`).join(''), stdio: ['pipe', 'ignore', 'ignore'], timeout: 60_000 });
  }
}

function leftoverNetns(): string[] {
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  return (r.stdout || '').split('\n').map((l) => l.split(' ')[0]).filter((n) => n.startsWith(NETNS_PREFIX));
}

/** Removes the netns a crashed earlier run left behind (its sleeps end by themselves). */
export function removeScaleLeftovers(): void {
  netnsBatch('delete', leftoverNetns());
}

/** Grows the host by `processes` sleeps (in `pidns` PID namespaces) and `netns` named netns. */
export async function growLab(opts: { processes: number; pidns: number; netns: number }): Promise<LabScale> {
  const kids: ChildProcess[] = [];
  const names = Array.from({ length: opts.netns }, (_, i) => `${NETNS_PREFIX}${i}`);
  const shrink = () => {
    // --kill-child: when unshare dies, the namespace's init and with it every sleep die too.
    for (const c of kids) c.kill('SIGKILL');
    kids.length = 0;
    removeScaleLeftovers();
  };
  try {
    const per = Math.ceil(opts.processes / opts.pidns);
    for (let i = 0; i < opts.pidns; i++) {
      const c = spawn('unshare', ['--pid', '--fork', '--kill-child', '--mount-proc', 'sh', '-c', `i=0; while [ $i -lt ${per} ]; do sleep 600 & i=$((i+1)); done; echo ready; wait`], { stdio: ['ignore', 'pipe', 'ignore'] });
      kids.push(c);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('a PID namespace of the lab at scale did not start in 30 s')), 30_000);
        c.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && (clearTimeout(timer), resolve()));
        c.on('exit', () => (clearTimeout(timer), reject(new Error('unshare exited'))));
      });
    }
    netnsBatch('add', names);
    const made = leftoverNetns().length;
    if (made !== names.length) throw new Error(`made ${made} of ${names.length} netns`);
  } catch (err) {
    shrink();
    throw err;
  }
  return { netns: names, shrink };
}
