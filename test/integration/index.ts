// Loaded by VS Code's extension host (extensionTestsPath): runs the integration suite with mocha there.
import * as fs from 'fs';
import * as path from 'path';
import Mocha from 'mocha';
import { testFiles } from './testFiles';

interface Results {
  passed: number;
  failed: number;
  pending: number;
  skipped: number;
  failures: { title: string; error: string }[];
  durationMs: number;
}

export function run(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    color: false,
    reporter: 'spec',
    timeout: Number(process.env.NSX_TEST_TIMEOUT_MS ?? 60_000),
    grep: process.env.NSX_TEST_GREP,
  });
  for (const file of testFiles(__dirname)) mocha.addFile(file);

  const results: Results = { passed: 0, failed: 0, pending: 0, skipped: 0, failures: [], durationMs: 0 };
  const started = Date.now();
  const write = () => {
    results.skipped = results.pending;
    results.durationMs = Date.now() - started;
    const file = process.env.NSX_TEST_RESULTS;
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  };

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        write();
        if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
        else resolve();
      });
      runner.on('pass', () => { results.passed++; });
      runner.on('pending', () => { results.pending++; });
      runner.on('fail', (test, err: Error) => {
        results.failed++;
        results.failures.push({ title: test.fullTitle(), error: err?.stack ?? String(err) });
      });
    } catch (err) {
      results.failed++;
      results.failures.push({ title: 'loading the integration suite', error: String((err as Error)?.stack ?? err) });
      write();
      reject(err);
    }
  });
}
