// Runs inside the real extension host against the lab over SSH: a named network namespace whose name holds
// ESC and a newline (names are chosen by whoever controls the host) is shown with visible escapes in the
// Hosts tree (label and tooltip) and in the title of its Enter Namespace terminal; so is an LXC container
// of that name. Both are made here, as root on the lab's machine, and removed afterwards.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { NsExplorerApi } from '../../src/extension';
import type { HostSession } from '../../src/views/hostSessions';
import type { Node } from '../../src/views/treeNodes';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';
const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

/** iproute2 (6.1) takes ESC and newline in a netns name; the kernel's mountinfo carries it as \012. */
const EVIL = 'nsx-evil\x1b[31m\nx';
/** How the extension must show it: one line, the escapes visible. */
const SHOWN = 'nsx-evil\\x1b[31m\\nx';
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

/**
 * A container with the same name: a (stopped) LXC container is a directory with a config in the lxcpath,
 * and root may name that directory with any byte but "/". Made only when the default lxcpath is free to
 * use (no lxc.conf moves it), and removed afterwards.
 */
const LXC_PATH = '/var/lib/lxc';
const EVIL_LXC = `${LXC_PATH}/${EVIL}`;
let madeLxcPath = false;

function removeEvilLxc(): void {
  fs.rmSync(EVIL_LXC, { recursive: true, force: true });
  if (madeLxcPath) {
    fs.rmSync(LXC_PATH, { recursive: true, force: true });
    madeLxcPath = false;
  }
}

function removeEvilNetns(): void {
  try {
    execFileSync('ip', ['netns', 'del', EVIL], { stdio: 'ignore' });
  } catch {
    // not there
  }
}

describe('Host text with control characters (lab)', function () {
  let api: NsExplorerApi;
  let session: HostSession;
  let hostNode: Node;
  const terminals: vscode.Terminal[] = [];

  const children = async (n?: Node): Promise<Node[]> => (await api.tree.getChildren(n)) ?? [];
  const item = (n: Node): vscode.TreeItem => api.tree.getTreeItem(n) as vscode.TreeItem;
  const label = (n: Node): string => {
    const l = item(n).label;
    return typeof l === 'string' ? l : l?.label ?? '';
  };
  const networks = async (): Promise<Node[]> => {
    const group = (await children(hostNode)).find((k) => label(k) === 'Networks');
    assert.ok(group, 'no Networks group under the lab host');
    return children(group);
  };

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as { clientConfig: string };
    removeEvilNetns();
    execFileSync('ip', ['netns', 'add', EVIL]);
    removeEvilLxc();
    if (!fs.existsSync(LXC_PATH)) {
      fs.mkdirSync(LXC_PATH, { mode: 0o755, recursive: true });
      madeLxcPath = true;
    }
    fs.mkdirSync(EVIL_LXC, { mode: 0o755 });
    fs.writeFileSync(`${EVIL_LXC}/config`, 'lxc.uts.name = evil\n');
    const ext = vscode.extensions.getExtension<NsExplorerApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', lab.clientConfig, vscode.ConfigurationTarget.Global);
    // connect() refreshes an open session too, so the snapshot holds the netns made above.
    const s = await api.connect('lab');
    assert.ok(s?.snapshot, `no snapshot from the lab host: ${s?.error ?? 'not connected'}`);
    session = s;
    assert.ok(
      session.snapshot!.netns.some((n) => n.name === EVIL),
      `the snapshot has no netns named ${JSON.stringify(EVIL)}: ${JSON.stringify(session.snapshot!.netns.map((n) => n.name))}`,
    );
    const found = (await children()).find((h) => h.hostId === session.id);
    assert.ok(found, 'the lab host is not in the tree');
    hostNode = found;
  });

  after(async () => {
    for (const t of terminals) t.dispose();
    removeEvilNetns();
    removeEvilLxc();
    // Later suites see the lab as it is again.
    await session?.refresh().catch(() => undefined);
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows the netns name with ESC and newline escaped in the tree: label and tooltip', async () => {
    const nets = await networks();
    const evil = nets.find((n) => label(n) === SHOWN);
    assert.ok(evil, `no Networks item labelled ${JSON.stringify(SHOWN)}: ${JSON.stringify(nets.map(label))}`);
    for (const n of nets) {
      assert.ok(!CONTROL.test(label(n)), `a Networks label holds a control character: ${JSON.stringify(label(n))}`);
      assert.ok(!CONTROL.test(String(item(n).description ?? '')), `a description holds a control character: ${JSON.stringify(item(n).description)}`);
    }
    const tooltip = item(evil).tooltip;
    const text = tooltip instanceof vscode.MarkdownString ? tooltip.value : String(tooltip ?? '');
    assert.ok(!CONTROL.test(text.replace(/\n/g, '')), `the tooltip holds a control character: ${JSON.stringify(text)}`);
    // Markdown-escaped on top: every backslash of the escapes doubled, "[" and "-" escaped.
    assert.ok(text.includes('nsx\\-evil\\\\x1b\\[31m\\\\nx'), `the tooltip does not show the escaped name: ${JSON.stringify(text)}`);
  });

  it('shows a container named with ESC and newline escaped in the tree: label, description and tooltip', async () => {
    assert.ok(
      session.snapshot!.containers.some((c) => c.engine === 'lxc' && c.name === EVIL),
      `the snapshot has no LXC container named ${JSON.stringify(EVIL)}: ${JSON.stringify(session.snapshot!.containers.map((c) => c.name))}`,
    );
    const group = (await children(hostNode)).find((k) => label(k) === 'Containers');
    assert.ok(group, 'no Containers group under the lab host');
    const items: Node[] = [];
    for (const engine of await children(group)) {
      items.push(...(await children(engine)));
    }
    const evil = items.find((n) => label(n) === SHOWN);
    assert.ok(evil, `no container labelled ${JSON.stringify(SHOWN)}: ${JSON.stringify(items.map(label))}`);
    for (const n of items) {
      assert.ok(!CONTROL.test(label(n)), `a container label holds a control character: ${JSON.stringify(label(n))}`);
      assert.ok(!CONTROL.test(String(item(n).description ?? '')), `a description holds a control character: ${JSON.stringify(item(n).description)}`);
    }
    const tooltip = item(evil).tooltip;
    const text = tooltip instanceof vscode.MarkdownString ? tooltip.value : String(tooltip ?? '');
    assert.ok(!CONTROL.test(text.replace(/\n/g, '')), `the tooltip holds a control character: ${JSON.stringify(text)}`);
  });

  it('names the Enter Namespace terminal with the escapes visible', async () => {
    const evil = (await networks()).find((n) => label(n) === SHOWN);
    assert.ok(evil, 'the netns is not in the tree');
    const t = (await vscode.commands.executeCommand('nsExplorer.enterNamespace', evil)) as vscode.Terminal | undefined;
    assert.ok(t, 'Enter Namespace opened no terminal');
    terminals.push(t);
    assert.ok(t.name.includes(SHOWN), `the terminal title does not show the escaped name: ${JSON.stringify(t.name)}`);
    assert.ok(!CONTROL.test(t.name), `the terminal title holds a control character: ${JSON.stringify(t.name)}`);
    assert.ok(!t.name.includes(EVIL));
  });
});
