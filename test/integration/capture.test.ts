// Capture Packets in the real extension host against the lab over SSH: the command opens its terminal on
// a veth end in a named netns, the decoded pings appear there as they are sent, and closing the terminal
// stops the capture, leaves no tcpdump on the host and keeps a pcap that holds the pings.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { CaptureHandle } from '../../src/terminal/captureTerminal';
import type { NsExplorerApi } from '../../src/extension';
import type { Node } from '../../src/views/treeNodes';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';
const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

function tcpdumps(): number[] {
  return fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).filter((d) => {
    try {
      return fs.readFileSync(`/proc/${d}/comm`, 'utf8').trim() === 'tcpdump';
    } catch {
      return false;
    }
  }).map(Number);
}

async function waitFor(what: string, ms: number, cond: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Capture Packets in VS Code (lab)', function () {
  this.timeout(90_000);
  let api: NsExplorerApi;

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as { clientConfig: string };
    api = await vscode.extensions.getExtension<NsExplorerApi>(EXTENSION_ID)!.activate();
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', lab.clientConfig, vscode.ConfigurationTarget.Global);
    const session = await api.connect('lab');
    assert.ok(session?.snapshot, `no snapshot from the lab host: ${session?.error ?? 'not connected'}`);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows the pings live in its terminal and stops when the terminal is closed', async () => {
    const session = api.sessions.list().find((s) => s.label === 'lab')!;
    const inode = session.index!.netnsByName.get('nsx_b')!.inode;
    const ifindex = session.index!.interfacesIn(inode).find((i) => i.name === 'nsxb0')!.ifindex;
    const node: Node = { kind: 'interface', hostId: session.id, id: `${session.id}/networks/${inode}/if/${ifindex}`, ns: inode, ifindex };
    const h = (await vscode.commands.executeCommand('nsExplorer.capturePackets', node, { filter: 'icmp' })) as CaptureHandle | undefined;
    assert.ok(h, 'no capture started');
    assert.strictEqual(h.plan.label, 'nsxb0 in netns:nsx_b');
    assert.ok(api.captures.active().includes(h));
    await waitFor('tcpdump to listen', 20_000, () => h.lines.some((l) => /listening on nsxb0/.test(l)));
    execFileSync('ip', ['netns', 'exec', 'nsx_a', 'ping', '-c', '2', '-i', '0.2', '-W', '2', '10.200.1.2'], { timeout: 15_000 });
    await waitFor('the decoded replies in the terminal', 10_000, () => h.lines.filter((l) => /10\.200\.1\.2 > 10\.200\.1\.1: ICMP echo reply/.test(l)).length === 2);
    h.terminal.dispose();
    const r = await h.done;
    assert.strictEqual(r.reason, 'requested');
    assert.deepStrictEqual(tcpdumps(), [], 'tcpdump still runs after the terminal was closed');
    assert.ok(!api.captures.active().includes(h));
    const text = execFileSync('tcpdump', ['-n', '-r', r.file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.strictEqual(text.split('\n').filter((l) => /ICMP echo (request|reply)/.test(l)).length, 4, text);
    fs.rmSync(r.file, { force: true });
  });

  it('refuses a bad filter before anything starts, with tcpdump\'s own words', async () => {
    const session = api.sessions.list().find((s) => s.label === 'lab')!;
    const before = vscode.window.terminals.length;
    const h = await vscode.commands.executeCommand('nsExplorer.capturePackets', { kind: 'host', hostId: session.id, id: session.id } satisfies Node, {
      endpoint: 'netns:nsx_b',
      iface: 'nsxb0',
      filter: 'icmp and',
    });
    assert.strictEqual(h, undefined);
    assert.strictEqual(vscode.window.terminals.length, before, 'a terminal was opened for a refused filter');
    assert.deepStrictEqual(tcpdumps(), []);
  });
});
