// The network topology and the isolation report against the lab host over SSH, in code-server with the
// packaged .vsix and a real browser: the veth pairs between the named netns and lab-c1 with their
// addresses, click-to-reveal in the tree, right-click → Enter Namespace, the report's privileged and
// host-network containers, and screenshots of both panels in a dark and a light theme.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { FrameLocator } from 'playwright-core';
import { Workbench } from './workbench';

const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

interface LabJson {
  clientConfig: string;
  veths: Array<{ a: { name: string; netns: string; address: string }; b: { name: string; netns: string; address: string } }>;
  podman: { containers?: Record<string, { pid: number | null }> };
}

describe('Topology and isolation report on the lab host', function () {
  this.retries(1);
  let wb: Workbench;
  let lab: LabJson;

  before(async function () {
    this.timeout(240_000);
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as LabJson;
    wb = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': lab.clientConfig, 'workbench.colorTheme': 'Default Dark Modern' } });
    await wb.page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 30_000 });
    await wb.openNamespacesView();
    await wb.runCommand('Namespaces: Connect to Host…');
    await wb.inputBox('lab');
    await wb.treeRow(/nsxkey \(sudo\)/).waitFor({ timeout: 60_000 });
    await wb.treeRow('Containers').waitFor({ timeout: 60_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot(`FAILED-topology-${this.currentTest.title}`.replace(/[^\w.-]+/g, '-'));
    await wb?.page.keyboard.press('Escape').catch(() => undefined);
  });

  after(async function () {
    this.timeout(30_000);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await wb?.stop(failed);
  });

  const node = (frame: FrameLocator, label: string) => frame.locator(`g.node[data-label="${label}"]`);
  const C1 = 'lab-c1, lab-c2';
  const netnsLabel = (n: string) => (n === 'host' ? 'host' : n === 'container:lab-c1' ? C1 : n);

  it('draws the lab\u2019s veth pairs between the named netns and lab-c1, each end with its name and address', async () => {
    await wb.runCommand('Namespaces: Show Network Topology');
    const frame = wb.webviewFrame();
    for (const l of ['nsx_a', 'nsx_b', C1]) await node(frame, l).waitFor({ timeout: 60_000 });
    const edges = await frame.locator('g.edge').evaluateAll((els) => els.map((e) => ({ source: e.getAttribute('data-source'), target: e.getAttribute('data-target'), text: e.textContent ?? '' })));
    for (const v of lab.veths.filter((x) => x.a.netns !== 'host' || x.b.netns !== 'host')) {
      // The edge joins the two nodes lab.sh put the ends in, and shows both names and addresses.
      const [idA, idB] = await Promise.all([node(frame, netnsLabel(v.a.netns)).getAttribute('data-id'), node(frame, netnsLabel(v.b.netns)).getAttribute('data-id')]);
      const found = edges.filter((e) => e.text.includes(v.a.name) && e.text.includes(v.b.name));
      assert.strictEqual(found.length, 1, `one edge ${v.a.name} ↔ ${v.b.name}`);
      assert.deepStrictEqual([found[0]!.source, found[0]!.target].sort(), [idA, idB].sort(), `${v.a.name} ↔ ${v.b.name} joins ${v.a.netns} and ${v.b.netns}`);
      for (const end of [v.a, v.b]) assert.ok(found[0]!.text.includes(end.address), `${end.name} shows ${end.address}: ${found[0]!.text}`);
    }
    // lab-none: loopback only, drawn as an isolated node.
    assert.match((await node(frame, 'lab-none').getAttribute('class')) ?? '', /\bisolated\b/);
    // Search goes to a node and zooms in enough to read its links.
    const search = frame.locator('input[type="search"]');
    await search.fill('nsx_b');
    await search.press('Enter');
    await frame.locator('g.node.match[data-label="nsx_b"]').waitFor();
    await wb.page.waitForTimeout(300);
    await wb.screenshot('topology-dark.png');
    await search.fill('');
    await search.press('Escape');
  });

  it('reveals a node in the tree when it is clicked', async () => {
    const frame = wb.webviewFrame();
    await node(frame, 'nsx_a').click();
    const row = wb.sidebar().locator('.pane-body .monaco-list-row[aria-selected="true"]');
    await row.filter({ hasText: 'nsx_a' }).waitFor({ timeout: 20_000 });
  });

  it('opens a terminal in a container\u2019s network namespace from the node\u2019s context menu', async () => {
    const frame = wb.webviewFrame();
    await node(frame, C1).click({ button: 'right' });
    await frame.locator('.context-menu .menu-item', { hasText: 'Enter Namespace' }).click();
    const xterm = wb.page.locator('.terminal-wrapper.active .xterm');
    await xterm.waitFor({ timeout: 30_000 });
    let text = '';
    for (let attempt = 0; attempt < 3 && !/10\.200\.3\.2\//.test(text); attempt++) {
      const promptDeadline = Date.now() + 20_000;
      while (Date.now() < promptDeadline && !/[#$] *$/m.test(text)) {
        await wb.page.waitForTimeout(300);
        text = await wb.terminalText().catch(() => '');
      }
      await xterm.click();
      await wb.page.keyboard.type('ip -o -4 addr show\n');
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !/10\.200\.3\.2\//.test(text)) {
        await wb.page.waitForTimeout(300);
        text = await wb.terminalText().catch(() => '');
      }
    }
    assert.match(text, /nsxc1\s+inet 10\.200\.3\.2\/24/, 'the shell sees lab-c1\u2019s nsxc1, so it runs in lab-c1\u2019s netns');
    await wb.screenshot('topology-enter.png');
  });

  it('flags the privileged and the host-network containers in the isolation report', async () => {
    await wb.runCommand('Namespaces: Show Isolation Report');
    const frame = wb.webviewFrame();
    const hostnet = frame.locator('tr.row[data-name="lab-hostnet"]');
    await hostnet.waitFor({ timeout: 30_000 });
    assert.match((await hostnet.locator('.ns-mark').first().textContent()) ?? '', /^net H$/);
    assert.match((await hostnet.locator('.col-worst').textContent()) ?? '', /high|critical/);
    if (lab.podman.containers?.['lab-priv']) {
      const priv = frame.locator('tr.row[data-name="lab-priv"]');
      assert.strictEqual(((await priv.locator('.col-class').textContent()) ?? '').trim(), 'privileged');
      assert.strictEqual(((await priv.locator('.col-worst').textContent()) ?? '').trim(), 'critical');
    }
    assert.match((await frame.locator('.summary').textContent()) ?? '', /1 container shares the host network/);
    await hostnet.click();
    await frame.getByText('CIS Docker Benchmark 5.9').first().waitFor();
    await wb.screenshot('isolation-dark.png');
  });

  it('shows both panels in a light theme', async () => {
    const settings = path.join(wb.server.userDataDir, 'User', 'settings.json');
    const s = JSON.parse(fs.readFileSync(settings, 'utf8'));
    fs.writeFileSync(settings, JSON.stringify({ ...s, 'workbench.colorTheme': 'Default Light Modern' }, null, 2));
    await wb.page.locator('.monaco-workbench.vs').waitFor({ timeout: 15_000 });
    await wb.page.waitForTimeout(800);
    await wb.screenshot('isolation-light.png');
    await wb.runCommand('Namespaces: Show Network Topology');
    await node(wb.webviewFrame(), 'nsx_a').waitFor({ timeout: 30_000 });
    await wb.page.waitForTimeout(500);
    await wb.screenshot('topology-light.png');
  });
});
