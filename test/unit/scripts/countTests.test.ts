// A layer skipped as a whole counts each of its tests as skipped: scripts/countTests.js counts a layer's
// tests without running them. Its count must be mocha's own (mocha --dry-run loads and lists the same
// files) for the layers plain mocha can load.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { countLayer } = require(path.join(ROOT, 'scripts', 'countTests.js')) as { countLayer(layer: string): number };

function mochaDryRun(dir: string): number {
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'mocha'), ['--dry-run', '--reporter', 'json', '--recursive', `${dir}/**/*.test.js`], { cwd: ROOT, encoding: 'utf8', maxBuffer: 32 << 20 });
  assert.strictEqual(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { stats: { tests: number } }).stats.tests;
}

describe('counting a layer\u2019s tests (scripts/countTests.js)', function () {
  this.timeout(60_000);
  it('counts the lab layer as mocha --dry-run does', () => {
    const n = countLayer('lab');
    assert.ok(n > 100, `${n}`);
    assert.strictEqual(n, mochaDryRun('out/test/lab'));
  });

  it('counts the e2e layer as mocha --dry-run does, and the integration layer without the extension host', () => {
    assert.strictEqual(countLayer('e2e'), mochaDryRun('out/test/e2e'));
    assert.ok(countLayer('integration') > 10);
  });
});
