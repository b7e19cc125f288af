// The "Explore Linux Namespaces" walkthrough, opened from the welcome view and run through on the lab host
// in a real browser: connect, a container's PID map, the namespace types, the step-by-step Connect
// Namespaces with the lesson's names (net_test1, net_test2, veth0, veth1) and the lab's subnet, each
// command's effect seen in the tree (and in the kernel) before the next, the ping across, Undo leaving
// `ip netns list` and `ip link` as before, containers under a VM sandbox, and every step ticked off.
// A screenshot per step goes to test/e2e/screenshots/walkthrough-*.png.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import { Workbench } from './workbench';

const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;
const STEP = (id: string) => `ns-explorer.linux-namespace-explorer#nsExplorer.explore#${id}`;

interface LabJson {
  clientConfig: string;
  docker: { containers: Record<string, { pid: number | null }> };
}

const sh = (...argv: string[]) => execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 15_000 });
/** Names only: netns ids and link flags may change on their own; what must come back is what exists. */
const netnsNames = () => sh('ip', 'netns', 'list').split('\n').map((l) => l.split(' ')[0]).filter(Boolean).sort();
const linkNames = (...prefix: string[]) =>
  sh(...prefix, 'ip', '-o', 'link').split('\n').map((l) => l.split(':')[1]?.trim().split('@')[0]).filter(Boolean).sort();

describe('The walkthrough on the lab host', function () {
  let wb: Workbench;
  let lab: LabJson;
  const initial = { netns: [] as string[], links: [] as string[] };

  before(async function () {
    this.timeout(180_000);
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as LabJson;
    initial.netns = netnsNames();
    initial.links = linkNames();
    assert.ok(!initial.netns.includes('net_test1') && !initial.links.includes('veth0'), 'the lesson\'s names are taken before the test');
    wb = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': lab.clientConfig } });
  });

  afterEach(async function () {
    if (this.currentTest?.state === 'failed') await wb?.screenshot(`FAILED-walkthrough-${this.currentTest.title}`.replace(/[^\w.-]+/g, '-'));
  });

  after(async function () {
    this.timeout(60_000);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await wb?.stop(failed);
    // Whatever happened, the lesson's namespaces do not outlive the test.
    for (const ns of ['net_test1', 'net_test2']) if (netnsNames().includes(ns)) sh('ip', 'netns', 'del', ns);
    if (linkNames().includes('veth0')) sh('ip', 'link', 'del', 'veth0');
  });

  const rowByLabel = (text: string) =>
    wb.sidebar().locator('.pane-body .monaco-list-row').filter({ has: wb.page.locator('.label-name', { hasText: new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`) }) }).first();

  /** The walkthrough's page (opened again through the palette when another editor is in front). */
  const page = async () => {
    const step = wb.page.locator(`button.getting-started-step[data-step-id="${STEP('connect')}"]`);
    if (!(await step.isVisible())) {
      await wb.runCommand('Namespaces: Open the Walkthrough: Explore Linux Namespaces');
      await step.waitFor();
    }
  };

  /** Opens a step and clicks the button with `label` in its description. */
  const stepButton = async (id: string, label: string) => {
    await page();
    const header = wb.page.locator(`button.getting-started-step[data-step-id="${STEP(id)}"]`);
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const button = wb.page.locator(`.step-description-container[x-step-description-for="${STEP(id)}"] a.monaco-button`, { hasText: label }).first();
    await button.waitFor();
    await button.click();
  };

  /**
   * The tree's selected row (what the step revealed) and the label of the row it sits under: the
   * nearest row above it one level up. Polled until `want` matches, bounded.
   */
  const revealed = async (want: { label: RegExp; under: string }) => {
    let last = '';
    for (let i = 0; i < 60; i++) {
      last = await wb.page.evaluate(`(() => {
        const rows = [...document.querySelectorAll('.part.sidebar .pane-body .monaco-list-row')]
          .sort((a, b) => Number(a.getAttribute('data-index')) - Number(b.getAttribute('data-index')));
        const i = rows.findIndex((r) => r.classList.contains('selected'));
        if (i < 0) return '';
        const level = Number(rows[i].getAttribute('aria-level'));
        let parent = '';
        for (let j = i - 1; j >= 0; j--) {
          if (Number(rows[j].getAttribute('aria-level')) === level - 1) { parent = rows[j].querySelector('.label-name')?.textContent ?? ''; break; }
        }
        return (rows[i].querySelector('.label-name')?.textContent ?? '') + ' | ' + parent;
      })()`);
      const [label, under] = last.split(' | ');
      if (want.label.test(label ?? '') && under === want.under) return;
      await wb.page.waitForTimeout(250);
    }
    throw new Error(`the tree does not show ${want.label} under ${want.under}; selected: ${last}`);
  };

  const ticked = async (id: string) => {
    await page();
    await wb.page.locator(`[data-done-step-id="${STEP(id)}"].codicon-getting-started-step-checked`).waitFor({ timeout: 30_000 });
  };

  it('opens from the welcome view', async () => {
    const pane = await wb.openNamespacesView();
    await pane.locator('.monaco-button', { hasText: 'Open the Walkthrough' }).click();
    await wb.page.locator('.gettingStartedContainer', { hasText: 'Explore Linux Namespaces' }).waitFor();
    await wb.page.locator('button.getting-started-step').nth(5).waitFor();
    await wb.screenshot('walkthrough-00-open.png');
  });

  it('step 1: connects to the lab host', async () => {
    await stepButton('connect', 'Connect to Host…');
    await wb.inputBox('lab');
    await wb.treeRow(/nsxkey \(sudo\)/).waitFor({ timeout: 60_000 });
    await wb.treeRow('Containers').waitFor({ timeout: 60_000 });
    await ticked('connect');
    await wb.screenshot('walkthrough-01-connected.png');
  });

  it("step 2: a container is a process: lab-c1's PID map shows its host PID as PID 1 inside", async () => {
    const pid = lab.docker.containers['lab-c1'].pid;
    await stepButton('pidMap', 'Show a Container as a Process');
    await wb.quickPick(/lab-c1/);
    await wb.webviewFrame().getByText(`host PID ${pid} is PID 1 inside lab-c1`).waitFor({ timeout: 30_000 });
    await wb.screenshot('walkthrough-02-pid-map.png');
    await ticked('pidMap');
  });

  it('step 3: the namespace types, shown in the tree', async () => {
    await stepButton('types', 'Show the Namespace Types');
    for (const t of ['net', 'pid', 'mnt', 'uts', 'ipc', 'user', 'cgroup', 'time']) await rowByLabel(t).waitFor();
    await wb.screenshot('walkthrough-03-types.png');
    await ticked('types');
  });

  it("step 4: connects net_test1 and net_test2 one command at a time, each effect in the tree before the next", async function () {
    this.timeout(300_000);
    await stepButton('link', 'Connect Namespaces Step by Step…');
    const dialog = wb.page.locator('.monaco-dialog-box');
    /** What each step must have changed, in the tree and in the kernel. */
    const effects: Array<() => Promise<void>> = [
      async () => { await revealed({ label: /^net_test1$/, under: 'Networks' }); assert.ok(netnsNames().includes('net_test1')); },
      async () => { await revealed({ label: /^net_test2$/, under: 'Networks' }); assert.ok(netnsNames().includes('net_test2')); },
      async () => { await revealed({ label: /^veth0 ↔ veth1/, under: 'host' }); assert.ok(linkNames().includes('veth0')); },
      async () => {
        // veth0 has left the host and is in net_test1; its peer is still on the host.
        await revealed({ label: /^veth0 ↔ veth1 in host$/, under: 'net_test1' });
        assert.ok(!linkNames().includes('veth0'), 'veth0 is still on the host');
        assert.ok(linkNames('ip', 'netns', 'exec', 'net_test1').includes('veth0'), 'veth0 is not in net_test1');
      },
      async () => {
        await revealed({ label: /^veth1 ↔ veth0 in net_test1$/, under: 'net_test2' });
        assert.ok(linkNames('ip', 'netns', 'exec', 'net_test2').includes('veth1'), 'veth1 is not in net_test2');
      },
      async () => {
        await revealed({ label: /^veth0 ↔ veth1 in net_test2$/, under: 'net_test1' });
        assert.match(sh('ip', 'netns', 'exec', 'net_test1', 'ip', '-o', 'addr', 'show', 'dev', 'veth0'), /inet 10\.200\.\d+\.1\/24/);
      },
      async () => {
        await revealed({ label: /^veth1 ↔ veth0 in net_test1$/, under: 'net_test2' });
        assert.match(sh('ip', 'netns', 'exec', 'net_test2', 'ip', '-o', 'addr', 'show', 'dev', 'veth1'), /inet 10\.200\.\d+\.2\/24/);
      },
      async () => {
        await revealed({ label: /^veth0 ↔ veth1 in net_test2$/, under: 'net_test1' });
        assert.match(sh('ip', 'netns', 'exec', 'net_test1', 'ip', '-o', 'link', 'show', 'dev', 'veth0'), /[<,]UP[,>]/);
      },
      async () => {
        await revealed({ label: /^veth1 ↔ veth0 in net_test1$/, under: 'net_test2' });
        assert.match(sh('ip', 'netns', 'exec', 'net_test2', 'ip', '-o', 'link', 'show', 'dev', 'veth1'), /[<,]UP[,>]/);
      },
    ];
    for (let i = 0; i < effects.length; i++) {
      const box = dialog.filter({ hasText: `Step ${i + 1} of ${effects.length}` });
      await box.waitFor({ timeout: 60_000 });
      const text = await box.innerText();
      if (i === 0) {
        assert.match(text, /ip netns add net_test1/, text);
        // The lesson's example, and the free subnet the lab's range gives.
        assert.match(text, /10\.1\.1\.0\/24/, text);
        assert.match(text, /10\.200\.\d+\.0\/24 from 10\.200\.0\.0\/16/, text);
      }
      await wb.screenshot(`walkthrough-04-link-step-${i + 1}-shown.png`);
      await box.locator('.monaco-button').filter({ hasText: /^Run This Step$/ }).click();
      await box.waitFor({ state: 'hidden' });
      await effects[i]();
      await wb.screenshot(`walkthrough-04-link-step-${i + 1}-done.png`);
    }
    await wb.notification(/Connect net_test1 ↔ net_test2 .*done/);
    await ticked('link');
  });

  it('step 5: pings across, then Undo leaves ip netns list and ip link as before', async () => {
    await stepButton('ping', 'Ping Across');
    const toast = await wb.notification(/3 sent, 3 received/);
    await wb.screenshot('walkthrough-05-ping.png');
    await toast.locator('.monaco-button').filter({ hasText: 'Undo Last Workflow' }).click();
    const undo = wb.page.locator('.monaco-dialog-box').filter({ hasText: /Undo "Connect net_test1/ });
    await undo.waitFor();
    await undo.locator('.monaco-button').filter({ hasText: /^Undo$/ }).click();
    await wb.notification(/Undid/);
    assert.deepStrictEqual(netnsNames(), initial.netns, 'ip netns list differs after Undo');
    assert.deepStrictEqual(linkNames(), initial.links, 'ip link differs after Undo');
    await rowByLabel('net_test1').waitFor({ state: 'detached', timeout: 30_000 });
    await wb.screenshot('walkthrough-05-undone.png');
    await ticked('ping');
  });

  it('step 6: containers and VMs: the lab\'s gVisor container is named', async () => {
    await stepButton('vms', 'Show Containers under a VM Sandbox');
    const box = wb.page.locator('.monaco-dialog-box').filter({ hasText: /VM sandbox/ });
    await box.waitFor();
    const text = await box.innerText();
    assert.match(text, /runsc/, text);
    await wb.screenshot('walkthrough-06-vms.png');
    await box.locator('.monaco-button').first().click();
    await ticked('vms');
  });

  it('ends with every step ticked off', async () => {
    await page();
    assert.strictEqual(await wb.page.locator('.codicon-getting-started-step-checked[data-done-step-id^="ns-explorer.linux-namespace-explorer#nsExplorer.explore#"]').count(), 6);
    await wb.screenshot('walkthrough-07-all-done.png');
  });
});
