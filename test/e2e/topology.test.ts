// The network topology and the isolation report against the lab host over SSH, in code-server with the
// packaged .vsix and a real browser: the veth pairs between the named netns and lab-c1 with their
// addresses, click-to-reveal in the tree, right-click → Enter Namespace, the report's privileged and
// host-network containers, and screenshots of both panels in a dark and a light theme.
import * as assert from 'assert';
import * as fs from 'fs';
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
    wb = await open('Default Dark Modern');
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

  /** A workbench in this colour theme (set before it starts: code-server applies a later settings.json edit late or not at all), connected to the lab. */
  const open = async (theme: 'Default Dark Modern' | 'Default Light Modern') => {
    const w = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': lab.clientConfig, 'workbench.colorTheme': theme } });
    await w.page.locator(theme.includes('Dark') ? '.monaco-workbench.vs-dark' : '.monaco-workbench.vs').waitFor({ timeout: 60_000 });
    await w.openNamespacesView();
    await w.runCommand('Namespaces: Connect to Host…');
    await w.inputBox('lab');
    await w.treeRow(/nsxkey \(sudo\)/).waitFor({ timeout: 60_000 });
    await w.treeRow('Containers').waitFor({ timeout: 60_000 });
    return w;
  };
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
    // Escape clears the search and keeps the view it moved to: the screenshot shows the graph unfaded.
    await search.press('Escape');
    await frame.locator('g.node.match').waitFor({ state: 'detached' });
    await wb.page.waitForTimeout(300);
    await wb.screenshot('topology-dark.png');
  });

  it('follows a refresh and keeps every node where it was', async () => {
    const frame = wb.webviewFrame();
    const where = () => frame.locator('g.node').evaluateAll((els) => Object.fromEntries(els.map((e) => [e.getAttribute('data-id'), e.getAttribute('transform')])));
    const before = await where();
    const renders = Number(await frame.locator('body').getAttribute('data-renders'));
    await wb.runCommand('Namespaces: Refresh All Hosts');
    await frame.locator(`body[data-renders="${renders + 1}"]`).waitFor({ timeout: 60_000 });
    const after = await where();
    for (const [id, t] of Object.entries(before)) if (id && after[id] !== undefined) assert.strictEqual(after[id], t, `${id} moved`);
    assert.ok(Object.keys(after).length >= Object.keys(before).length - 1, 'the nodes are still there');
  });

  it('exports SVG with its text as text, and PNG, through the save dialog', async () => {
    const frame = wb.webviewFrame();
    for (const [button, file] of [['Export as SVG', 'topology-lab.svg'], ['Export as PNG', 'topology-lab.png']] as const) {
      const target = `${wb.server.workspace}/${file}`;
      fs.rmSync(target, { force: true });
      await frame.locator(`button[title="${button}"]`).click();
      // VS Code's own save dialog, offering the workspace folder and the panel's file name: accept it.
      const input = wb.page.locator('.quick-input-widget .quick-input-box input');
      await input.waitFor();
      let value = '';
      for (const t0 = Date.now(); Date.now() - t0 < 10_000 && !value.endsWith(file); await wb.page.waitForTimeout(200)) value = await input.inputValue().catch(() => '');
      assert.ok(value.endsWith(file), `the save dialog offers ${file}: ${JSON.stringify(value)}`);
      await wb.page.keyboard.press('Enter');
      const deadline = Date.now() + 20_000;
      while (!fs.existsSync(target) && Date.now() < deadline) await wb.page.waitForTimeout(200);
      assert.ok(fs.existsSync(target), `${target} written`);
    }
    const svg = fs.readFileSync(`${wb.server.workspace}/topology-lab.svg`, 'utf8');
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    for (const text of ['nsx_a', 'nsxa0', '10.200.1.1/24', 'nsxb0', '10.200.1.2/24']) assert.match(svg, new RegExp(`<text[^>]*>[^<]*${text.replace(/\./g, '\\.')}|<tspan[^>]*>${text.replace(/\./g, '\\.')}`), `${text} as SVG text`);
    assert.ok(!/var\(--vscode/.test(svg), 'theme colours resolved, not CSS variables');
    const png = fs.readFileSync(`${wb.server.workspace}/topology-lab.png`);
    assert.deepStrictEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(png.readUInt32BE(16) > 300 && png.readUInt32BE(20) > 200, `PNG of ${png.readUInt32BE(16)}×${png.readUInt32BE(20)}`);
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

  it('captures packets on one end of a veth from the edge\u2019s context menu, and stops leaving no tcpdump', async () => {
    await wb.runCommand('Namespaces: Show Network Topology');
    const frame = wb.webviewFrame();
    // The veth between nsx_a and nsx_b: its wide, invisible hit line takes the right-click (labels do not).
    const edge = frame.locator('g.edge', { has: frame.locator('tspan.end-name', { hasText: /^nsxa0$/ }) }).first();
    await edge.waitFor({ timeout: 30_000 });
    // A horizontal line's box has no height, so Playwright calls it invisible: click its middle anyway.
    await edge.locator('path.edge-hit').click({ button: 'right', force: true });
    await frame.locator('.context-menu .menu-item', { hasText: 'Capture Packets on nsxa0' }).click();
    // The filter question (empty: everything), then the capture's own terminal.
    const input = wb.page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor({ timeout: 20_000 });
    await wb.page.keyboard.press('Enter');
    const tcpdumps = () => fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).filter((d) => {
      try {
        const argv = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
        return /(^|\/)tcpdump$/.test(argv[0]) && argv.includes('nsxa0');
      } catch {
        return false;
      }
    });
    let running: string[] = [];
    for (const t0 = Date.now(); Date.now() - t0 < 20_000 && running.length === 0; await wb.page.waitForTimeout(200)) running = tcpdumps();
    assert.ok(running.length > 0, 'tcpdump runs on nsxa0 in nsx_a');
    await wb.screenshot('topology-capture.png');
    await wb.runCommand('Namespaces: Stop Capture');
    for (const t0 = Date.now(); Date.now() - t0 < 20_000 && running.length > 0; await wb.page.waitForTimeout(200)) running = tcpdumps();
    assert.deepStrictEqual(running, [], 'no tcpdump is left after Stop Capture');
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

  it('shows both panels in a light theme', async function () {
    this.timeout(240_000);
    await wb.stop();
    wb = await open('Default Light Modern');
    await wb.runCommand('Namespaces: Show Isolation Report');
    await wb.webviewFrame().locator('tr.row[data-name="lab-hostnet"]').waitFor({ timeout: 30_000 });
    await wb.page.waitForTimeout(500);
    await wb.screenshot('isolation-light.png');
    await wb.runCommand('Namespaces: Show Network Topology');
    await node(wb.webviewFrame(), 'nsx_a').waitFor({ timeout: 30_000 });
    await wb.page.waitForTimeout(500);
    await wb.screenshot('topology-light.png');
  });
});
