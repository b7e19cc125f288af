import * as assert from 'assert';
import { execFileSync, spawn } from 'child_process';
import { commandLine, quoteArg, remoteCommandLine, withPrivilege } from '../../../src/host/commandLine';

describe('commandLine', () => {
  it('leaves plain words bare and quotes everything else', () => {
    assert.strictEqual(quoteArg('eth0'), 'eth0');
    assert.strictEqual(quoteArg('a b'), "'a b'");
    assert.strictEqual(quoteArg(''), "''");
    assert.strictEqual(quoteArg("it's"), `'it'\\''s'`);
  });

  it('round-trips hostile arguments through a real sh unchanged', () => {
    const hostile = ['$(touch /tmp/nsx-canary)', '`id`', "a'b\"c", 'x\ny', '; rm -rf /', '*', '~', 'ünï', '-n', '$HOME'];
    const line = commandLine(['printf', '%s\\0', ...hostile]);
    const out = execFileSync('sh', ['-c', line]).toString();
    assert.deepStrictEqual(out.split('\0').slice(0, -1), hostile);
  });

  it('refuses NUL bytes and empty commands', () => {
    assert.throws(() => quoteArg('a\0b'), /NUL/);
    assert.throws(() => commandLine([]), /Empty/);
  });

  it('prefixes sudo per privilege mode without ever carrying a password', () => {
    assert.deepStrictEqual(withPrivilege(['ip', 'link'], { kind: 'root' }), ['ip', 'link']);
    assert.deepStrictEqual(withPrivilege(['ip'], { kind: 'sudo-nopasswd' }), ['sudo', '-n', '--', 'ip']);
    assert.deepStrictEqual(withPrivilege(['ip'], { kind: 'sudo-password' }), ['sudo', '-k', '-S', '-p', '', '--', 'ip']);
  });
});

describe('remoteCommandLine', () => {
  it('runs the argv literally and passes its exit code and stdin through the guard', () => {
    const line = remoteCommandLine(['sh', '-c', 'cat; printf "%s|" "$@"; exit 7', 'x', 'a b', '$(id)'], { kind: 'root' });
    let status = 0;
    let out = '';
    try {
      out = execFileSync('sh', ['-c', line], { input: 'in\n' }).toString();
    } catch (e) {
      const err = e as { status: number; stdout: Buffer };
      status = err.status;
      out = err.stdout.toString();
    }
    assert.strictEqual(status, 7);
    assert.strictEqual(out, 'in\na b|$(id)|');
  });

  it('kills what the command started, not only the command, when the guard is signalled', async function () {
    this.timeout(15_000);
    const line = remoteCommandLine(['sh', '-c', 'sleep 300 & echo $!; wait'], { kind: 'root' });
    const guard = spawn('sh', ['-c', line], { stdio: ['ignore', 'pipe', 'ignore'] });
    const child = await new Promise<number>((resolve, reject) => {
      guard.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      guard.once('exit', () => reject(new Error('the guard exited first')));
    });
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    assert.ok(alive(child), 'the command\'s child runs');
    guard.kill('SIGTERM');
    const until = Date.now() + 5_000;
    while (alive(child) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(!alive(child), `the command's child ${child} still runs after the guard was signalled`);
  });
});
