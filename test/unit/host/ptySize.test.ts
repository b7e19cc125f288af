// The OpenSSH transport's terminal line (sizedPtyCommandLine) on a real sh in a real pty (util-linux
// `script`): it sets the size, reports the device, and the report is found and cut out of the output.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import { parsePtyTtyLine, sizedPtyCommandLine } from '../../../src/host/commandLine';
import { needTool } from '../../support/needTool';

describe('terminal size line (OpenSSH transport)', () => {
  it('sets rows and columns, reports the pty, and the marker appears nowhere in the command line', function () {
    needTool(this, ['script', '--version'], 'bsdutils');
    const token = 'a1b2c3d4e5f60718';
    const line = sizedPtyCommandLine("echo before-$((6*7)); stty size; echo 'after'", { cols: 97, rows: 31 }, token);
    assert.ok(!line.includes('nsx-tty-a1b2c3d4%e5f60718'), 'the marker as printed is in the command line');
    const r = spawnSync('script', ['-qefc', `sh -c ${JSON.stringify(line)}`, '/dev/null'], { encoding: 'buffer', timeout: 10_000 });
    const found = parsePtyTtyLine(r.stdout, token);
    assert.ok(found, `no tty report in ${JSON.stringify(r.stdout.toString())}`);
    assert.match(found.tty ?? '', /^\/dev\/pts\/\d+$/);
    assert.strictEqual(found.before.length, 0);
    assert.deepStrictEqual(found.after.toString().replace(/\r/g, '').split('\n').filter(Boolean), ['before-42', '31 97', 'after']);
  });

  it('takes only a pts or tty device from the report, and refuses bad sizes and tokens', () => {
    const token = 'a1b2c3d4e5f60718';
    const fake = Buffer.from('x\r\nnsx-tty-a1b2c3d4%e5f60718:/etc/passwd; rm -rf /\r\nrest');
    const found = parsePtyTtyLine(fake, token)!;
    assert.strictEqual(found.tty, undefined);
    assert.strictEqual(found.before.toString(), 'x\r\n');
    assert.strictEqual(found.after.toString(), 'rest');
    assert.strictEqual(parsePtyTtyLine(Buffer.from('nsx-tty-a1b2c3d4%e5f60718:/dev/pts/3'), token), undefined, 'no line end yet');
    assert.throws(() => sizedPtyCommandLine('sh', { cols: 80.5, rows: 24 }, token));
    assert.throws(() => sizedPtyCommandLine('sh', { cols: 80, rows: 0 }, token));
    assert.throws(() => sizedPtyCommandLine('sh', { cols: 80, rows: 24 }, "x'; rm"));
  });
});
