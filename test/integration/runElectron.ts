// The same integration suite in desktop VS Code, downloaded by @vscode/test-electron (needs internet;
// the offline runner is runCodeServer.ts).   node out/test/integration/runElectron.js
import * as path from 'path';
import { runTests } from '@vscode/test-electron';
import { readResults, ROOT, summaryLine } from './harness';

async function main(): Promise<number> {
  const resultsFile = path.resolve(process.env.NSX_TEST_RESULTS ?? path.join(ROOT, '.vscode-test', 'electron-results.json'));
  process.env.NSX_TEST_RESULTS = resultsFile;
  try {
    await runTests({
      version: process.env.NSX_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(ROOT, 'out', 'test', 'integration', 'index'),
      launchArgs: ['--disable-extensions', '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
      extensionTestsEnv: { NSX_TEST_RESULTS: resultsFile },
    });
    const results = readResults(resultsFile);
    if (results) console.log(summaryLine('integration (electron)', results));
    return 0;
  } catch (err) {
    console.error(`[integration electron] ${(err as Error)?.message ?? err}`);
    const results = readResults(resultsFile);
    if (results) console.log(summaryLine('integration (electron)', results));
    return 1;
  }
}

main().then((code) => process.exit(code));
