// A user's session against the lab host over SSH, in code-server with the packaged .vsix and a real
// browser: connect through the picker, browse containers and networks, enter a container, map PIDs,
// filter, and connect two namespaces through the UI. Screenshots of each step go to test/e2e/screenshots/.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Workbench } from './workbench';

const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

interface LabJson {
  clientConfig: string;
  docker: { containers: Record<string, { id: string; pid: number | null }> };
  nested: { innermostPid: number; nspid: number[] };
}

describe('Using the lab host from the UI', function () {
  // A real browser on a loaded 2-core machine: one retry of a step absorbs a swallowed click or key.
  this.retries(1);
  let wb: Workbench;
  let lab: LabJson;

  before(async function () {
    this.timeout(180_000);
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as LabJson;
    wb = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': lab.clientConfig } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot(`FAILED-lab-${this.currentTest.title}`.replace(/[^\w.-]+/g, '-'));
    await wb?.page.keyboard.press('Escape').catch(() => undefined);
  });

  after(async function () {
    this.timeout(30_000);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await wb?.stop(failed);
  });

  /** The tree row whose label is exactly `text` (descriptions and tooltips aside). */
  const rowByLabel = (text: string) =>
    wb.sidebar().locator('.pane-body .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();
  const expand = async (text: string | RegExp) => {
    const row = typeof text === 'string' ? rowByLabel(text) : wb.treeRow(text);
    await row.waitFor();
    if ((await row.getAttribute('aria-expanded')) === 'false') await row.click();
  };

  /** Types a command into the active terminal until its output shows `done` (bounded retries). */
  const runInTerminal = async (command: string, done: RegExp): Promise<string> => {
    const xterm = wb.page.locator('.terminal-wrapper.active .xterm');
    await xterm.waitFor({ timeout: 30_000 });
    let text = '';
    for (let attempt = 0; attempt < 3 && !done.test(text); attempt++) {
      const promptDeadline = Date.now() + 20_000;
      while (Date.now() < promptDeadline && !/[#$] *$/m.test(text)) {
        await wb.page.waitForTimeout(300);
        text = await wb.terminalText().catch(() => '');
      }
      await xterm.click();
      await wb.page.keyboard.type(`${command}\n`);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !done.test(text)) {
        await wb.page.waitForTimeout(300);
        text = await wb.terminalText().catch(() => '');
      }
    }
    return text;
  };

  /** Right-click a row by its label and choose a menu item; retried (bounded) when a click is swallowed. */
  const contextAction = async (rowLabel: string, itemText: string) => {
    const menu = wb.page.locator('.context-view .monaco-menu');
    for (let attempt = 1; attempt <= 3; attempt++) {
      if (!(await menu.isVisible())) await rowByLabel(rowLabel).click({ button: 'right' });
      const item = menu.locator('.action-item').filter({ hasText: itemText }).first();
      await item.waitFor();
      await item.locator('.action-label, .action-menu-item').first().click();
      if (await menu.waitFor({ state: 'hidden', timeout: 3000 }).then(() => true, () => false)) return;
    }
    throw new Error(`the context menu item "${itemText}" on ${rowLabel} did not run`);
  };

  /** Narrows the open quick pick by typing, then chooses the row containing `text`. */
  const pick = async (filter: string, text: string | RegExp = filter) => {
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    // While one quick input hands over to the next the box can be inert for a moment: retry, bounded.
    for (let attempt = 1; ; attempt++) {
      try {
        await input.fill(filter, { timeout: 5000 });
        break;
      } catch (err) {
        if (attempt === 4) throw err;
        await wb.page.waitForTimeout(500);
      }
    }
    await wb.quickPick(text);
  };

  it('connects through the host picker and shows the host as connected', async () => {
    await wb.openNamespacesView();
    await wb.runCommand('Namespaces: Connect to Host…');
    await wb.inputBox('lab');
    const host = wb.treeRow(/nsxkey \(sudo\)/);
    await host.waitFor({ timeout: 60_000 });
    await wb.treeRow('Containers').waitFor({ timeout: 60_000 });
    await wb.screenshot('01-connected.png');
  });

  it('expands Containers and Networks: the lab containers and a veth with its peer', async () => {
    await expand('Containers');
    await expand('Docker');
    for (const name of ['lab-c1', 'lab-c2', 'lab-none', 'lab-stopped']) await wb.treeRow(name).waitFor();
    await wb.screenshot('02-containers.png');
    await wb.page.locator('.part.sidebar .pane-header .action-label[aria-label*="Collapse All"]').click().catch(() => undefined);
    await expand(/nsxkey \(sudo\)/);
    await expand('Networks');
    await expand('nsx_a');
    await wb.treeRow('nsxa0 ↔ nsxb0 in nsx_b').waitFor();
    await wb.screenshot('03-networks-veth.png');
  });

  it('offers "Enter Namespace…" on a container and opens a shell inside it', async () => {
    await wb.page.locator('.part.sidebar .pane-header .action-label[aria-label*="Collapse All"]').click().catch(() => undefined);
    await expand(/nsxkey \(sudo\)/);
    await expand('Containers');
    await expand('Docker');
    await rowByLabel('lab-c1').click({ button: 'right' });
    const item = wb.page.locator('.context-view .monaco-menu .action-item').filter({ hasText: 'Enter Namespace…' }).first();
    await item.waitFor();
    await wb.screenshot('04-context-menu.png');
    await item.click();
    await wb.quickPick('All namespaces');
    await wb.page.keyboard.press('Enter');
    const text = await runInTerminal('echo HOST=$(hostname)', /HOST=lab-c1/);
    assert.match(text, /HOST=lab-c1/, `the terminal did not show the container's hostname:\n${text}`);
    await wb.screenshot('05-enter-all.png');
  });

  it('enters only the network namespace: the host tools see the container\'s eth0', async () => {
    await contextAction('lab-c1', 'Enter Namespace…');
    await wb.quickPick('Network only');
    await wb.page.keyboard.press('Enter');
    const text = await runInTerminal('ip -br addr; echo FS=$(test -f /run/nsx-lab/lab.json && echo host)', /FS=host/);
    assert.match(text, /eth0/, text);
    assert.match(text, /10\.200\.100\./, text);
    assert.match(text, /FS=host/, text);
    await wb.screenshot('06-enter-net-only.png');
  });

  it('filters the tree by a container name', async () => {
    await wb.runCommand('Namespaces: Filter…');
    await wb.inputBox('lab-none');
    await wb.treeRow('lab-none').waitFor();
    await wb.treeRow('lab-c1').waitFor({ state: 'detached', timeout: 10_000 });
    await wb.screenshot('07-filtered.png');
    await wb.runCommand('Namespaces: Clear Filter');
    await wb.treeRow('lab-c1').waitFor();
  });

  it('shows the PID mapping of lab-c1: its init is PID 1 inside, with its real host PID', async () => {
    const c1 = lab.docker.containers['lab-c1'];
    await contextAction('lab-c1', 'Show PID Mapping');
    const frame = wb.webviewFrame();
    await frame.getByText(`host PID ${c1.pid} is PID 1 inside lab-c1`).waitFor({ timeout: 30_000 });
    await wb.screenshot('08-pidmap-dark.png');
    const settings = path.join(wb.server.userDataDir, 'User', 'settings.json');
    const s = JSON.parse(fs.readFileSync(settings, 'utf8'));
    fs.writeFileSync(settings, JSON.stringify({ ...s, 'workbench.colorTheme': 'Default Light Modern' }, null, 2));
    await wb.page.locator('.monaco-workbench.vs').waitFor({ timeout: 15_000 });
    await wb.page.waitForTimeout(800);
    await wb.screenshot('09-pidmap-light.png');
    // The rest of the session stays light, so later screenshots show the light theme too.
  });

  it('maps the nested unshare tree over three levels and filters by PID', async () => {
    const nested = lab.nested;
    await wb.runCommand('Namespaces: Show PID Mapping');
    await pick('Whole host');
    const frame = wb.webviewFrame();
    const filter = frame.locator('input[type="search"], input[placeholder*="Filter"]').first();
    await filter.waitFor({ timeout: 30_000 });
    await filter.fill(String(nested.innermostPid));
    const row = frame.locator('[role="row"]').filter({ hasText: String(nested.innermostPid) }).first();
    await row.waitFor({ timeout: 15_000 });
    const text = (await row.innerText()).replace(/\s+/g, ' ');
    for (const p of nested.nspid) assert.ok(text.includes(String(p)), `row "${text}" lacks ${p} of ${nested.nspid.join(' → ')}`);
    await wb.screenshot('10-pidmap-nested.png');
  });

  it('connects a netns with a container through the UI, pings across, shows the new veth, and undoes it', async () => {
    const linksOf = () => execFileSync('ip', ['netns', 'exec', 'nsx_b', 'ip', '-o', 'link']).toString().split('\n').map((l) => l.split(':')[1]?.trim()).filter(Boolean).sort();
    const linksBefore = linksOf();
    await wb.runCommand('Namespaces: Connect Namespaces…');
    await pick('nsx_b');
    await pick('lab-none');
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    const preview = await dialog.innerText();
    assert.match(preview, /ip link add/, preview);
    await wb.screenshot('11-connect-preview.png');
    await dialog.locator('.monaco-button').filter({ hasText: /^Run$/ }).click();
    const toast = await wb.notification(/Ping succeeded/);
    const msg = await toast.innerText();
    assert.match(msg, /rtt|ms/i, msg);
    await wb.screenshot('12-connect-done.png');
    const m = /veth-[A-Za-z0-9]+/.exec(preview);
    assert.ok(m, `no proposed interface name in the preview:\n${preview}`);
    await wb.page.locator('.part.sidebar .pane-header .action-label[aria-label*="Collapse All"]').click().catch(() => undefined);
    await expand(/nsxkey \(sudo\)/);
    await expand('Networks');
    await expand('nsx_b');
    await wb.treeRow(/ ↔ .* in lab-none/).waitFor({ timeout: 30_000 });
    await wb.screenshot('13-new-veth.png');
    await toast.locator('.monaco-button').filter({ hasText: 'Undo' }).click().catch(async () => {
      await wb.runCommand('Namespaces: Undo Last Workflow');
    });
    const undoDialog = wb.page.locator('.monaco-dialog-box');
    await undoDialog.waitFor({ timeout: 15_000 });
    await undoDialog.locator('.monaco-button').filter({ hasText: /^Undo$/ }).click();
    await wb.notification(/Undid/);
    assert.deepStrictEqual(linksOf(), linksBefore, 'nsx_b does not have the same links after Undo as before');
  });
});
