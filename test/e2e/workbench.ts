// Playwright helpers for end-to-end tests: a normal code-server (not smoke-test mode, so notifications
// and dialogs behave as a user sees them) with the packaged .vsix installed, driven by headless Chromium.
import * as fs from 'fs';
import * as path from 'path';
import { spawnSync } from 'child_process';
import type { BrowserContext, FrameLocator, Locator, Page } from 'playwright-core';
import { CodeServer, codeServerModule, launchChromium, ROOT } from '../integration/harness';

export const SCREENSHOT_DIR = path.join(ROOT, 'test', 'e2e', 'screenshots');
export const VSIX = path.resolve(process.env.NSX_VSIX ?? path.join(ROOT, 'linux-namespace-explorer.vsix'));

/** Timeouts: generous for a loaded 2-core machine, but bounded. */
export const UI_TIMEOUT_MS = Number(process.env.NSX_UI_TIMEOUT_MS ?? 20_000);
export const STARTUP_TIMEOUT_MS = Number(process.env.NSX_STARTUP_TIMEOUT_MS ?? 120_000);

/** Packages (without rebuilding) when the .vsix is missing or older than dist/extension.js. */
export function ensureVsix(): string {
  const bundle = path.join(ROOT, 'dist', 'extension.js');
  if (process.env.NSX_VSIX) {
    if (!fs.existsSync(VSIX)) throw new Error(`NSX_VSIX=${VSIX} does not exist`);
    return VSIX;
  }
  if (!fs.existsSync(bundle)) throw new Error('dist/extension.js is missing: run "npm run build" first');
  if (!fs.existsSync(VSIX) || fs.statSync(VSIX).mtimeMs < fs.statSync(bundle).mtimeMs) {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'package.js'), '--no-build'], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) throw new Error('packaging the .vsix failed (node scripts/package.js --no-build)');
  }
  return VSIX;
}

export interface WorkbenchOptions {
  /** Extra environment for code-server and its extension host (NSX_LAB_DIR passes through anyway). */
  env?: Record<string, string>;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
  /** Folder to open; default an empty private one. */
  workspace?: string;
  /** VS Code's display language, e.g. zh-cn. */
  locale?: string;
  /** More .vsix files to install beside the extension's own. */
  extraVsix?: string[];
  /** The activity bar title that says the extension is ready (the container's title in that language). */
  activityTitle?: string;
}

export class Workbench {
  private constructor(
    readonly server: CodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly consoleErrors: string[],
  ) {}

  static async start(options: WorkbenchOptions = {}): Promise<Workbench> {
    const vsix = ensureVsix();
    const cs = codeServerModule();
    fs.mkdirSync(path.join(cs.CACHE_DIR, 'runs'), { recursive: true });
    const baseDir = fs.mkdtempSync(path.join(cs.CACHE_DIR, 'runs', 'e2e-'));
    const server = await cs.startCodeServer({
      baseDir, installVsix: [vsix, ...(options.extraVsix ?? [])], env: options.env, settings: options.settings, workspace: options.workspace, locale: options.locale,
    });
    let context: BrowserContext | undefined;
    try {
      context = await launchChromium(path.join(baseDir, 'chromium-profile'));
      const page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(UI_TIMEOUT_MS);
      const consoleErrors: string[] = [];
      page.on('pageerror', (err) => consoleErrors.push(err.message));
      await page.goto(`${server.url}/?folder=${encodeURIComponent(server.workspace)}`, { timeout: STARTUP_TIMEOUT_MS });
      await page.locator('.monaco-workbench').waitFor({ timeout: STARTUP_TIMEOUT_MS });
      // Ready for tests once the installed extension's container is in the activity bar: on a loaded
      // 2-core machine that took up to 40 s after the workbench itself appeared.
      const wb = new Workbench(server, context, page, consoleErrors);
      await wb.activityTab(options.activityTitle).waitFor({ timeout: STARTUP_TIMEOUT_MS });
      return wb;
    } catch (err) {
      await context?.close().catch(() => undefined);
      await server.stop();
      throw err;
    }
  }

  /** Stops the browser and the server; the state folder (code-server log, profile) is kept on request. */
  async stop(keepState = false): Promise<void> {
    await this.context.close().catch(() => undefined);
    await this.server.stop();
    if (keepState || process.env.NSX_KEEP_RUNS) console.log(`[e2e] code-server state and log kept in ${this.server.baseDir}`);
    else fs.rmSync(this.server.baseDir, { recursive: true, force: true });
  }

  /** The tab of the "Namespaces" container in the activity bar. */
  activityTab(title = 'Namespaces'): Locator {
    return this.page.locator('.activitybar').getByRole('tab', { name: title });
  }

  /** Opens the Namespaces container (without toggling it closed when it is already open). */
  async openNamespacesView(): Promise<Locator> {
    const tab = this.activityTab();
    await tab.waitFor();
    if ((await tab.getAttribute('aria-selected')) !== 'true' || !(await this.sidebar().isVisible())) await tab.click();
    const pane = this.viewPane('Hosts');
    await pane.waitFor();
    return pane;
  }

  sidebar(): Locator {
    return this.page.locator('.part.sidebar');
  }

  /** A view pane in the side bar by its header title. */
  viewPane(title: string): Locator {
    return this.sidebar().locator('.pane').filter({ has: this.page.locator('.pane-header', { hasText: title }) });
  }

  /** A tree row in the side bar containing `text` (its label, or its tooltip when one is set). */
  treeRow(text: string | RegExp): Locator {
    return this.sidebar().locator('.pane-body .monaco-list-row').filter({ hasText: text }).first();
  }

  /** Right-clicks the row and chooses a context-menu item. */
  async contextMenu(rowText: string | RegExp, itemText: string | RegExp): Promise<void> {
    const row = this.treeRow(rowText);
    await row.click({ button: 'right' });
    const item = this.page.locator('.context-view .monaco-menu .action-item').filter({ hasText: itemText }).first();
    await item.click();
  }

  private quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  /** Runs a command by its palette title ("Namespaces: Refresh") through F1. */
  async runCommand(title: string): Promise<void> {
    const input = this.quickInput().locator('.quick-input-box input');
    for (let attempt = 1; ; attempt++) {
      // After the notification center is closed with Escape, F1 can be swallowed: focus the editor area and retry.
      await this.page.keyboard.press('F1');
      if (await input.isVisible().then((v) => v || input.waitFor({ timeout: 3000 }).then(() => true, () => false))) break;
      if (attempt === 3) throw new Error('the command palette did not open after F1');
      await this.page.locator('.monaco-workbench .part.editor').click({ position: { x: 5, y: 5 } }).catch(() => undefined);
    }
    await input.fill(`>${title}`);
    await this.quickInput().locator('.quick-input-list .monaco-list-row').filter({ hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
    // The palette closes (or the command's own quick input replaces it) before the next step may type.
    // (a string: this project compiles without the DOM library)
    await this.page.waitForFunction(`(() => {
      const box = document.querySelector('.quick-input-widget .quick-input-box input');
      return !box || !box.value.startsWith('>') || !box.checkVisibility();
    })()`);
  }

  /** Chooses the quick-pick item containing `text`. */
  async quickPick(text: string | RegExp): Promise<void> {
    const row = this.quickInput().locator('.quick-input-list .monaco-list-row').filter({ hasText: text }).first();
    await row.click();
  }

  /** Types into the open input box (or quick pick filter) and accepts it. */
  async inputBox(text: string): Promise<void> {
    const input = this.quickInput().locator('.quick-input-box input');
    await input.waitFor();
    await input.fill(text);
    // A quick pick that builds an item from the typed value updates its list asynchronously: Enter before
    // that accepts the old selection or nothing.
    const list = this.quickInput().locator('.quick-input-list');
    if (await list.isVisible()) {
      await list.locator('.monaco-list-row').filter({ hasText: text }).first().waitFor({ timeout: 5000 }).catch(() => undefined);
    }
    await this.page.keyboard.press('Enter');
  }

  /** The notification toast containing `text`, once it is visible. */
  async notification(text: string | RegExp): Promise<Locator> {
    const toast = this.page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
    await toast.waitFor();
    return toast;
  }

  /** The visible text of the active terminal (needs terminal.integrated.gpuAcceleration off, set by default). */
  async terminalText(): Promise<string> {
    const rows = this.page.locator('.terminal-wrapper.active .xterm .xterm-rows');
    await rows.waitFor();
    return rows.innerText();
  }

  /** Content of the active webview panel. */
  webviewFrame(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  /** Saves a screenshot of the whole window into test/e2e/screenshots/NAME. */
  async screenshot(name: string): Promise<string> {
    // No hover tooltip, and let a running view progress bar finish (bounded) so the picture is settled.
    await this.page.mouse.move(700, 600);
    await this.page.locator('.part.sidebar .monaco-progress-container.active').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, name.endsWith('.png') ? name : `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Uncaught errors of the page so far. */
  pageErrors(): readonly string[] {
    return this.consoleErrors;
  }
}
