// VS Code with its display language set to Simplified Chinese (`--locale zh-cn`, as "Configure Display
// Language" sets it), the packaged .vsix installed: the view container's and view's titles, a command's
// title in the palette and a runtime message come out in Chinese. Needs no lab.
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../integration/harness';
import { Workbench } from './workbench';

/**
 * VS Code offers a display language only when a language pack contributes it. The Chinese pack comes from
 * the Marketplace, out of reach here; test/e2e/fixtures/zh-cn-locale contributes zh-cn with no
 * translations of VS Code itself, so everything Chinese on screen comes from this extension.
 */
function localePack(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-locale-'));
  const out = path.join(dir, 'zh-cn-locale.vsix');
  const r = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--skip-license', '--allow-missing-repository', '-o', out], {
    cwd: path.join(ROOT, 'test', 'e2e', 'fixtures', 'zh-cn-locale'),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`packaging the zh-cn locale fixture failed: ${r.stdout}${r.stderr}`);
  return out;
}

describe('Display language zh-cn', function () {
  this.retries(1);
  let wb: Workbench;

  before(async function () {
    this.timeout(180_000);
    wb = await Workbench.start({ locale: 'zh-cn', extraVsix: [localePack()], activityTitle: '命名空间' });
  });

  after(async function () {
    this.timeout(30_000);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await wb?.stop(failed);
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot(`FAILED-l10n-${this.currentTest.title}`.replace(/[^\w.-]+/g, '-'));
    await wb?.page.keyboard.press('Escape').catch(() => undefined);
  });

  it('titles the activity bar container 命名空间 and its view 主机, with the Chinese welcome text', async () => {
    const tab = wb.activityTab('命名空间');
    await tab.waitFor();
    await tab.click();
    const pane = wb.viewPane('主机');
    await pane.waitFor();
    await pane.getByText('尚未连接任何主机。').waitFor();
    await pane.locator('.monaco-button', { hasText: '打开演练' }).waitFor();
    await wb.screenshot('l10n-zh-cn-view.png');
  });

  it('opens the walkthrough in Chinese from the welcome view', async () => {
    await wb.viewPane('主机').locator('.monaco-button', { hasText: '打开演练' }).click();
    const page = wb.page.locator('.gettingStartedContainer', { hasText: '探索 Linux 命名空间' });
    await page.waitFor();
    for (const step of ['连接到主机', '容器就是进程', '八种命名空间类型', '两个命名空间和一根网线', '跨链路 Ping，然后撤销', '容器与虚拟机']) {
      await page.locator('button.getting-started-step', { hasText: step }).waitFor();
    }
    await wb.screenshot('l10n-zh-cn-walkthrough.png');
  });

  it('lists the commands in Chinese in the palette, and a runtime message in Chinese', async () => {
    await wb.runCommand('命名空间: 跨课程链路 Ping');
    const toast = await wb.notification(/请先建立链路/);
    assert.match(await toast.innerText(), /逐步连接命名空间/);
    await wb.screenshot('l10n-zh-cn-message.png');
  });
});
