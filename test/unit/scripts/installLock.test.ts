// Two code-server installs started at once do not collide: scripts/installLock.js, run by real node
// processes at the same time, lets one write at a time, and takes over the lock of a killed install.
import * as assert from 'assert';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const LOCK_JS = path.resolve(__dirname, '..', '..', '..', '..', 'scripts', 'installLock.js');

describe('install lock (scripts/installLock.js)', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-lock-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const installer = (name: string) =>
    new Promise<number | null>((resolve) => {
      const script = `
        const fs = require('fs');
        const { withInstallLock } = require(${JSON.stringify(LOCK_JS)});
        withInstallLock(${JSON.stringify(dir)}, () => {
          fs.appendFileSync(${JSON.stringify(path.join(dir, 'log'))}, 'start ${name}\\n');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600);
          fs.appendFileSync(${JSON.stringify(path.join(dir, 'log'))}, 'end ${name}\\n');
        }, { pollMs: 50 });`;
      spawn(process.execPath, ['-e', script], { stdio: 'inherit' }).on('exit', resolve);
    });

  it('runs two installers started together one after the other, never interleaved', async () => {
    const codes = await Promise.all([installer('a'), installer('b')]);
    assert.deepStrictEqual(codes, [0, 0]);
    const lines = fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n');
    assert.strictEqual(lines.length, 4);
    const first = lines[0].split(' ')[1];
    const second = first === 'a' ? 'b' : 'a';
    assert.deepStrictEqual(lines, [`start ${first}`, `end ${first}`, `start ${second}`, `end ${second}`]);
    assert.ok(!fs.existsSync(path.join(dir, '.install.lock')), 'the lock is released');
  });

  it('takes over the lock of an installer that was killed', async () => {
    // A PID that no process has any more: that of a process that has exited.
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    fs.mkdirSync(path.join(dir, '.install.lock'));
    fs.writeFileSync(path.join(dir, '.install.lock', 'pid'), `${gone}\n`);
    const t0 = Date.now();
    assert.strictEqual(await installer('c'), 0);
    assert.ok(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
    assert.deepStrictEqual(fs.readFileSync(path.join(dir, 'log'), 'utf8').trim().split('\n'), ['start c', 'end c']);
  });
});
