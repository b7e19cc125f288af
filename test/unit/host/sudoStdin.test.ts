/**
 * An exec under a sudo password: the password reaches sudo and never the command, whether sudo asks for
 * it or not (a NOPASSWD rule added after the connection was made). Run with real sh and a sudo stand-in on
 * PATH that behaves as sudo -S does: it reads one line from stdin only when it asks.
 */
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { commandLine, execWithPrivilege, remoteCommandLine, sudoStdin } from '../../../src/host/commandLine';

describe('exec stdin under a sudo password', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-sudo-'));
    for (const [name, asks] of [['asks', true], ['nopasswd', false]] as const) {
      const bin = path.join(dir, name);
      fs.mkdirSync(bin);
      // Skips its options up to "--"; reads the password line only when it asks; runs the rest.
      fs.writeFileSync(
        path.join(bin, 'sudo'),
        `#!/bin/sh\nwhile [ "$1" != -- ]; do shift; done; shift\n${asks ? 'IFS= read -r pw; [ "$pw" = right ] || { echo "Sorry, try again." >&2; exit 1; }\n' : ''}exec "$@"\n`,
        { mode: 0o755 },
      );
    }
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (sudo: 'asks' | 'nopasswd', line: string, input: Buffer) =>
    spawnSync('sh', ['-c', line], { input, encoding: 'utf8', env: { ...process.env, PATH: `${path.join(dir, sudo)}:${process.env.PATH}` }, timeout: 10_000 });

  for (const sudo of ['asks', 'nopasswd'] as const) {
    it(`gives the command exactly its own input, never the password (sudo that ${sudo === 'asks' ? 'asks' : 'does not ask'})`, () => {
      const input = sudoStdin('right', 'line one\nline two\n\u0000binary\n');
      const r = run(sudo, commandLine(execWithPrivilege(['cat'], { kind: 'sudo-password' })), input);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout, 'line one\nline two\n\u0000binary\n');
      assert.ok(!r.stdout.includes('right'));
    });
  }

  it('keeps the command\'s input whole behind the orphan guard too, the password nowhere', () => {
    // remoteCommandLine is what the SSH login shell runs ("$PPID": the shell that runs it here).
    const r = run('nopasswd', remoteCommandLine(['cat'], { kind: 'sudo-password' }), sudoStdin('right', 'data\n'));
    assert.strictEqual(r.status, 0, r.stderr);
    assert.strictEqual(r.stdout, 'data\n');
  });

  it('still fails on a wrong password, running nothing', () => {
    const r = run('asks', commandLine(execWithPrivilege(['sh', '-c', 'echo ran'], { kind: 'sudo-password' })), sudoStdin('wrong'));
    assert.notStrictEqual(r.status, 0);
    assert.strictEqual(r.stdout, '');
  });

  it('wraps only the sudo-password mode', () => {
    assert.deepStrictEqual(execWithPrivilege(['ip'], { kind: 'sudo-nopasswd' }), ['sudo', '-n', '--', 'ip']);
    assert.deepStrictEqual(execWithPrivilege(['ip'], { kind: 'root' }), ['ip']);
    assert.deepStrictEqual(execWithPrivilege(['ip'], { kind: 'sudo-password' }).slice(0, 7), ['sudo', '-k', '-S', '-p', '', '--', 'sh']);
  });
});
