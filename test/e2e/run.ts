// Runs the end-to-end suite under plain Node mocha and writes the results JSON.
//   node out/test/e2e/run.js        env: NSX_TEST_RESULTS, NSX_TEST_GREP, NSX_VSIX, NSX_UI_TIMEOUT_MS
import * as path from 'path';
import Mocha from 'mocha';
import { ROOT, summaryLine, TestResults, writeResults } from '../integration/harness';
import { testFiles } from '../integration/testFiles';
import { ensureVsix } from './workbench';

function main(): Promise<number> {
  const started = Date.now();
  const resultsFile = path.resolve(process.env.NSX_TEST_RESULTS ?? path.join(ROOT, '.vscode-test', 'e2e-results.json'));
  const results: TestResults = { passed: 0, failed: 0, pending: 0, skipped: 0, failures: [] };
  const finish = (): number => {
    results.skipped = results.pending;
    results.durationMs = Date.now() - started;
    writeResults(resultsFile, results);
    console.log(`\n[e2e] results ${resultsFile}, screenshots in test/e2e/screenshots/, ${(results.durationMs / 1000).toFixed(1)} s`);
    console.log(summaryLine('e2e', results));
    return results.failed === 0 && results.passed > 0 ? 0 : 1;
  };
  try {
    ensureVsix();
  } catch (err) {
    results.failed++;
    results.failures.push({ title: 'e2e harness: packaging', error: String((err as Error)?.message ?? err) });
    return Promise.resolve(finish());
  }
  const mocha = new Mocha({
    ui: 'bdd', reporter: 'spec', timeout: Number(process.env.NSX_TEST_TIMEOUT_MS ?? 120_000), grep: process.env.NSX_TEST_GREP,
  });
  for (const file of testFiles(__dirname)) mocha.addFile(file);
  return new Promise((resolve) => {
    const runner = mocha.run(() => resolve(finish()));
    runner.on('pass', () => { results.passed++; });
    runner.on('pending', () => { results.pending++; });
    runner.on('fail', (test, err: Error) => {
      results.failed++;
      results.failures.push({ title: test.fullTitle(), error: err?.stack ?? String(err) });
    });
  });
}

main().then((code) => process.exit(code), (err) => {
  console.error(err);
  process.exit(1);
});
