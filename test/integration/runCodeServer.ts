// Runs the integration suite inside a real VS Code extension host with no internet: code-server in
// smoke-test-driver mode, driven by headless Chromium. Builds nothing: expects dist/ and out/.
//
//   node out/test/integration/runCodeServer.js
// env: NSX_TEST_RESULTS (results JSON path), NSX_RUN_TIMEOUT_MS (whole run, default 600000),
//      NSX_TEST_GREP; every other variable (NSX_LAB_DIR, ...) passes through to the extension host.
import * as fs from 'fs';
import * as path from 'path';
import { format } from 'util';
import { CodeServer, codeServerModule, launchChromium, readResults, ROOT, summaryLine, TestResults, writeResults } from './harness';

const NOISE = /ENOTFOUND|ECONNREFUSED|authentication provider|ipc\.sock|Failed to fetch/;
const RUN_TIMEOUT_MS = Number(process.env.NSX_RUN_TIMEOUT_MS ?? 600_000);

function requireBuilt(file: string, hint: string): void {
  if (!fs.existsSync(path.join(ROOT, file))) throw new Error(`${file} is missing: ${hint}`);
}

async function main(): Promise<number> {
  const started = Date.now();
  const cs = codeServerModule();
  fs.mkdirSync(path.join(cs.CACHE_DIR, 'runs'), { recursive: true });
  const runDir = fs.mkdtempSync(path.join(cs.CACHE_DIR, 'runs', 'integration-'));
  const resultsFile = path.resolve(process.env.NSX_TEST_RESULTS ?? path.join(runDir, 'results.json'));
  fs.rmSync(resultsFile, { force: true });
  const env: Record<string, string> = { NSX_TEST_RESULTS: resultsFile };

  let server: CodeServer | undefined;
  let context: Awaited<ReturnType<typeof launchChromium>> | undefined;
  let exitCode: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    requireBuilt('dist/extension.js', 'run "npm run build" first');
    requireBuilt('out/test/integration/index.js', 'run "npx tsc -p tsconfig.test.json" first');
    cs.ensureCodeServer();
    server = await cs.startCodeServer({ baseDir: runDir, smokeTestDriver: true, env });
    console.log(`[integration] code-server ${server.url} (pid ${server.pid}) up after ${((Date.now() - started) / 1000).toFixed(1)} s`);
    context = await launchChromium(path.join(runDir, 'chromium-profile'));
    const page = context.pages()[0] ?? (await context.newPage());

    const done = new Promise<number>((resolve) => {
      void page.exposeFunction('codeAutomationExit', (code: number) => resolve(Number(code)));
      void page.exposeFunction('codeAutomationLog', (type: string, args: unknown[]) => {
        const text = format(...(Array.isArray(args) ? args : [args]));
        // Offline noise (gallery lookups, the GitHub auth provider) gets one line, not a stack.
        const shown = NOISE.test(text) ? text.split('\n')[0] : text;
        console.log(`[vscode ${((Date.now() - started) / 1000).toFixed(1)}s${type && type !== 'log' && type !== 'info' ? ` ${type}` : ''}] ${shown}`);
      });
      timer = setTimeout(() => {
        console.error(`[integration] no result after ${RUN_TIMEOUT_MS / 1000} s: giving up`);
        resolve(124);
      }, RUN_TIMEOUT_MS);
    });
    page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));

    // The authority of the vscode-remote URIs must equal the page's host:port.
    const remote = (p: string) => `vscode-remote://127.0.0.1:${server!.port}${p}`;
    const payload = [
      ['extensionDevelopmentPath', remote(ROOT)],
      ['extensionTestsPath', remote(path.join(ROOT, 'out', 'test', 'integration', 'index'))],
      ['skipWelcome', 'true'],
    ];
    const url = `${server.url}/?folder=${encodeURIComponent(server.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url, { timeout: 60_000 });
    exitCode = await done;
  } catch (err) {
    console.error(`[integration] harness failed: ${(err as Error)?.stack ?? err}`);
    exitCode = 1;
  } finally {
    if (timer) clearTimeout(timer);
    await context?.close().catch(() => undefined);
    await server?.stop();
  }

  let results: TestResults | undefined = readResults(resultsFile);
  if (!results) {
    // The suite never wrote its results: the host crashed, timed out or the suite did not load.
    results = {
      passed: 0, failed: 1, pending: 0, skipped: 0,
      failures: [{ title: 'integration harness', error: `no results written (exit code ${exitCode}); code-server log in ${runDir}` }],
    };
    writeResults(resultsFile, results);
  }
  for (const f of results.failures) console.log(`\n  FAILED ${f.title}\n    ${f.error.split('\n').slice(0, 6).join('\n    ')}`);
  console.log(`\n[integration] results ${resultsFile}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(summaryLine('integration', results));
  const ok = exitCode === 0 && results.failed === 0 && results.passed > 0;
  if (ok) fs.rmSync(runDir, { recursive: true, force: true });
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
