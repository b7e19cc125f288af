import * as assert from 'assert';
import { execFileSync } from 'child_process';
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
});
