// Shared by the integration and e2e runners (plain Node, never inside the extension host).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { BrowserContext } from 'playwright-core';

/** Repository root, from out/test/integration/ or test/integration/. */
export const ROOT = path.resolve(__dirname, '..', '..', ...(path.basename(path.resolve(__dirname, '..', '..')) === 'out' ? ['..'] : []));

export interface CodeServer {
  url: string;
  port: number;
  pid: number;
  baseDir: string;
  workspace: string;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  port?: number;
  baseDir?: string;
  userDataDir?: string;
  extensionsDir?: string;
  smokeTestDriver?: boolean;
  installVsix?: string | string[];
  env?: Record<string, string>;
  settings?: Record<string, unknown>;
  workspace?: string;
  healthTimeoutMs?: number;
  keepHome?: boolean;
  /** VS Code's display language (`--locale`), e.g. zh-cn. */
  locale?: string;
}

interface CodeServerModule {
  ensureCodeServer(): { node: string; entry: string; version: string };
  startCodeServer(options: StartOptions): Promise<CodeServer>;
  CACHE_DIR: string;
}

export function codeServerModule(): CodeServerModule {
  // scripts/codeServer.js is plain CommonJS shared with scripts/demo.js.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(ROOT, 'scripts', 'codeServer.js')) as CodeServerModule;
}

/** Debian's chromium; playwright's own browser download is unreachable here. */
export const CHROMIUM = process.env.NSX_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--disable-dev-shm-usage',
];

/** A persistent context on a fresh profile (launch() refuses --user-data-dir). */
export async function launchChromium(profileDir: string): Promise<BrowserContext> {
  const installer = path.join(ROOT, 'scripts', 'install-deps.sh');
  if (!fs.existsSync(CHROMIUM) && fs.existsSync(installer)) {
    console.log(`[harness] ${CHROMIUM} is missing: running scripts/install-deps.sh browser`);
    spawnSync('bash', [installer, 'browser'], { cwd: ROOT, stdio: 'inherit' });
  }
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: run "bash scripts/install-deps.sh browser" (or set NSX_CHROMIUM)`);
  }
  fs.rmSync(profileDir, { recursive: true, force: true });
  fs.mkdirSync(profileDir, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { chromium } = require('playwright-core') as typeof import('playwright-core');
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1400, height: 900 },
    // Chromium's crash-report database and caches go under XDG folders, not the profile: keep them private too.
    env: { ...process.env, XDG_CONFIG_HOME: path.join(profileDir, 'xdg-config'), XDG_CACHE_HOME: path.join(profileDir, 'xdg-cache') } as Record<string, string>,
    timeout: 60_000,
  });
}

export interface TestResults {
  passed: number;
  failed: number;
  pending: number;
  skipped: number;
  failures: { title: string; error: string }[];
  /** Tests that passed only after a retry (e2e), by full title. */
  retried?: string[];
  durationMs?: number;
}

export function readResults(file: string): TestResults | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as TestResults;
  } catch {
    return undefined;
  }
}

export function writeResults(file: string, results: TestResults): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
}

/** The plain closing line CI reads: "N passed, N failed, N skipped". */
/** A layer's own count; worded so that only npm test's final line reads as the run's closing line. */
export function summaryLine(layer: string, r: TestResults): string {
  const retried = r.retried?.length ? `, ${r.retried.length} of them after a retry` : '';
  return `[${layer}] layer total (${r.passed} passed${retried}, ${r.failed} failed, ${r.skipped} skipped)`;
}
