// Runs inside the real extension host against the lab over SSH: the tree's items must match the host's
// snapshot and the kernel, and every menu's contextValue must be produced by some item and vice versa.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import type { NsExplorerApi } from '../../src/extension';
import type { Node } from '../../src/views/treeNodes';
import { processNamespaces } from '../lab/labEnv';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';
const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

interface LabJson {
  clientConfig: string;
  docker: { containers: Record<string, { id: string; pid: number | null; status: string }> };
  netns: Record<string, { inode: number; holderPid: number | null }>;
}

/** "type:inode" of every namespace on this machine: each process's /proc/PID/ns links and each nsfs mount. */
function kernelNamespaces(): Set<string> {
  const out = processNamespaces();
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    // "ID PARENT MAJ:MIN ROOT MOUNTPOINT ... - nsfs nsfs rw": ROOT is "net:[4026532...]"
    const m = /^\S+ \S+ \S+ (\w+):\[(\d+)\] .* - nsfs /.exec(line);
    if (m) out.add(`${m[1]}:${m[2]}`);
  }
  return out;
}

describe('Hosts tree over SSH (lab)', function () {
  let api: NsExplorerApi;
  let lab: LabJson;
  let hostNode: Node;

  const children = async (n?: Node): Promise<Node[]> => (await api.tree.getChildren(n)) ?? [];
  const item = (n: Node): vscode.TreeItem => api.tree.getTreeItem(n) as vscode.TreeItem;
  const label = (n: Node): string => {
    const l = item(n).label;
    return typeof l === 'string' ? l : l?.label ?? '';
  };
  const desc = (n: Node): string => String(item(n).description ?? '');
  const childByLabel = async (parent: Node, text: string): Promise<Node> => {
    const kids = await children(parent);
    const found = kids.find((k) => label(k) === text);
    assert.ok(found, `no child "${text}" under "${label(parent)}"; children: ${kids.map(label).join(', ')}`);
    return found;
  };

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as LabJson;
    const ext = vscode.extensions.getExtension<NsExplorerApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', lab.clientConfig, vscode.ConfigurationTarget.Global);
    const session = await api.connect('lab');
    assert.ok(session?.snapshot, `no snapshot from the lab host: ${session?.error ?? 'not connected'}`);
    const hosts = await children();
    const found = hosts.find((h) => h.hostId === session.id);
    assert.ok(found, 'the lab host is not in the tree');
    hostNode = found;
  });

  after(async () => {
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows the host as connected with its user, privilege and kernel', () => {
    const i = item(hostNode);
    assert.strictEqual(label(hostNode), 'lab');
    assert.match(String(i.description), /nsxkey \(sudo\)/);
    assert.ok(String(i.description).includes(fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()));
    assert.match(String(i.contextValue), /^nsx\.host\+connected\+ssh\+writable\+idle$/);
  });

  it('lists every lab container under Docker, lab-c1 with its namespaces marked isolated or shared', async () => {
    const containers = await childByLabel(hostNode, 'Containers');
    const docker = await childByLabel(containers, 'Docker');
    const names = (await children(docker)).map(label).sort();
    assert.deepStrictEqual(names, Object.keys(lab.docker.containers).sort());
    const c1 = await childByLabel(docker, 'lab-c1');
    assert.match(String(item(c1).contextValue), /^nsx\.container\+running\+native$/);
    const stopped = await childByLabel(docker, 'lab-stopped');
    assert.match(String(item(stopped).contextValue), /^nsx\.container\+stopped/);
    const nsKids = (await children(c1)).filter((k) => k.kind === 'namespace');
    const netNs = nsKids.find((k) => label(k) === 'net');
    assert.ok(netNs);
    assert.match(desc(netNs), /shared with lab-c2/);
    const pidNs = nsKids.find((k) => label(k) === 'pid');
    assert.ok(pidNs);
    assert.match(desc(pidNs), /^isolated/);
    const realNet = Number(execFileSync('stat', ['-L', '-c', '%i', `/proc/${lab.docker.containers['lab-c1'].pid}/ns/net`]).toString().trim());
    assert.ok(desc(netNs).includes(String(realNet)), `net inode ${realNet} not in "${desc(netNs)}"`);
    const procs = (await children(c1)).filter((k) => k.kind === 'process');
    assert.ok(procs.some((p) => /→ PID 1 in lab-c1/.test(desc(p))), `no process shows "→ PID 1 in lab-c1": ${procs.map(desc).join('; ')}`);
  });

  it('lists named netns (also the one with no process) with veth peers across namespaces', async () => {
    const networks = await childByLabel(hostNode, 'Networks');
    const nets = await children(networks);
    const labels = nets.map(label);
    for (const name of Object.keys(lab.netns)) {
      assert.ok(labels.includes(name), `netns ${name} missing from Networks: ${labels.join(', ')}`);
    }
    const real = execFileSync('ip', ['netns', 'list']).toString();
    for (const name of Object.keys(lab.netns)) assert.ok(real.includes(name));
    const nsxB = nets.find((n) => label(n) === 'nsx_b')!;
    assert.match(desc(nsxB), /no process/);
    assert.ok(desc(nsxB).includes(String(lab.netns.nsx_b.inode)));
    const nsxA = nets.find((n) => label(n) === 'nsx_a')!;
    const ifaces = await children(nsxA);
    const veth = ifaces.find((i) => label(i).startsWith('nsxa0'));
    assert.ok(veth, `no nsxa0 in nsx_a: ${ifaces.map(label).join(', ')}`);
    assert.strictEqual(label(veth), 'nsxa0 ↔ nsxb0 in nsx_b');
    assert.match(desc(veth), /10\.200\.1\.1\/24/);
    assert.match(String(item(veth).contextValue), /^nsx\.interface\+veth\+up$/);
    const hostNet = nets.find((n) => label(n) === 'host')!;
    const hostVeth = (await children(hostNet)).find((i) => label(i).startsWith('nsxh0'));
    assert.ok(hostVeth);
    assert.strictEqual(label(hostVeth), 'nsxh0 ↔ nsxa1 in nsx_a');
    const containerVeth = (await children(nsxB)).find((i) => label(i).startsWith('nsxb1'));
    assert.ok(containerVeth);
    assert.strictEqual(label(containerVeth), 'nsxb1 ↔ nsxc1 in lab-c1, lab-c2');
  });

  it('lists under Namespaces every namespace the kernel shows, and none it does not', async () => {
    // The kernel's namespaces (every /proc/PID/ns link and every nsfs mount) read before and after a
    // refresh: the tree must hold each one present both times, and none absent both times.
    const before = kernelNamespaces();
    await api.sessions.get(hostNode.hostId)!.refresh();
    const after = kernelNamespaces();
    const group = await childByLabel(hostNode, 'Namespaces');
    const types = await children(group);
    assert.deepStrictEqual(types.map(label).sort(), [...new Set([...before].map((k) => k.split(':')[0]))].sort(), 'one group per type the kernel has');
    const shown = new Set<string>();
    for (const t of types) {
      const kids = (await children(t)).filter((k): k is Extract<Node, { kind: 'namespace' }> => k.kind === 'namespace');
      assert.strictEqual(desc(t), String(kids.length), `the count beside ${label(t)}`);
      for (const k of kids) shown.add(`${k.type}:${k.inode}`);
    }
    const stable = [...before].filter((k) => after.has(k));
    assert.ok(stable.length > 30, `${stable.length} namespaces on the lab host`);
    assert.deepStrictEqual(stable.filter((k) => !shown.has(k)), [], 'namespaces the kernel shows that the tree misses');
    assert.deepStrictEqual([...shown].filter((k) => !before.has(k) && !after.has(k)), [], 'namespaces in the tree the kernel never showed');
  });

  it('Reveal Peer selects the other end of a veth in its namespace', async () => {
    const networks = await childByLabel(hostNode, 'Networks');
    const nsxA = await childByLabel(networks, 'nsx_a');
    const veth = (await children(nsxA)).find((i) => label(i).startsWith('nsxa0'))!;
    await vscode.commands.executeCommand('workbench.view.extension.nsExplorer');
    await vscode.commands.executeCommand('nsExplorer.revealPeer', veth);
    const sel = api.hostsView.selection[0];
    assert.ok(sel, 'nothing selected after Reveal Peer');
    assert.strictEqual(label(sel), 'nsxb0 ↔ nsxa0 in nsx_a');
  });

  it('filters by a container name and by a PID', async () => {
    try {
      api.tree.setFilter({ text: 'lab-none' });
      const docker = await childByLabel(await childByLabel(hostNode, 'Containers'), 'Docker');
      assert.deepStrictEqual((await children(docker)).map(label), ['lab-none']);
      const pid = String(lab.docker.containers['lab-c1'].pid);
      api.tree.setFilter({ text: pid });
      const docker2 = await childByLabel(await childByLabel(hostNode, 'Containers'), 'Docker');
      assert.deepStrictEqual((await children(docker2)).map(label), ['lab-c1']);
    } finally {
      api.tree.setFilter({ text: '' });
    }
  });

  it('every menu contextValue is produced by some tree item, and every produced contextValue has a menu', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8'));
    const regexes: RegExp[] = pkg.contributes.menus['view/item/context'].map((m: { when: string }) => new RegExp(/viewItem =~ \/(.*?)\/(?:\s|$)/.exec(m.when)![1]));
    // The lab's links are all up: a veth pair, left down, in a netns this test makes, for the menus of a
    // down interface. Removed after.
    const ns = `nsx_menu_${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'add', 'nsxdown0', 'type', 'veth', 'peer', 'name', 'nsxdown1']);
      await api.sessions.get(hostNode.hostId)!.refresh();
      const produced = new Set<string>();
      const queue: Node[] = [hostNode];
      let visited = 0;
      while (queue.length > 0 && visited < 20_000) {
        const n = queue.shift()!;
        visited++;
        const cv = item(n).contextValue;
        if (cv) produced.add(cv);
        if (n.kind !== 'process') queue.push(...(await children(n)));
      }
      assert.ok([...produced].some((cv) => /^nsx\.interface\b.*\+down/.test(cv)), 'the new veth shows as down');
      for (const cv of produced) assert.ok(regexes.some((r) => r.test(cv)), `contextValue ${cv} has no menu`);
      const kinds = new Set([...produced].map((cv) => cv.split('+')[0]));
      // A refreshing host is checked against its menu while it refreshes, in refreshCancel.test.ts. Every
      // other menu must match an item the lab tree really shows.
      for (const re of regexes) {
        assert.ok(re.source.includes('\\+refreshing') || [...produced].some((cv) => re.test(cv)), `menu ${re} matches no item in the lab tree`);
      }
      for (const kind of ['nsx.host', 'nsx.container', 'nsx.namespace', 'nsx.netns', 'nsx.interface', 'nsx.process']) {
        assert.ok(kinds.has(kind), `the lab tree produced no ${kind} item`);
      }
    } finally {
      execFileSync('ip', ['netns', 'delete', ns]);
      await api.sessions.get(hostNode.hostId)!.refresh();
    }
  });

  it('exports the snapshot as JSON in an editor', async () => {
    const editor = (await vscode.commands.executeCommand('nsExplorer.exportSnapshot', hostNode)) as vscode.TextEditor;
    const doc = JSON.parse(editor.document.getText());
    assert.strictEqual(doc.schemaVersion, 1);
    assert.ok(doc.containers.some((c: { name: string }) => c.name === 'lab-c1'));
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});

describe('Connecting from the extension (lab)', function () {
  let api: NsExplorerApi;
  let dir: string;

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    api = await vscode.extensions.getExtension<NsExplorerApi>(EXTENSION_ID)!.activate();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-int-hostkey-'));
  });

  after(async () => {
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a changed host key: the host shows the error and nothing is trusted', async () => {
    const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const otherKey = fs.readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    const known = path.join(dir, 'known_hosts');
    fs.writeFileSync(known, `[127.0.0.1]:${lab.ssh.port} ${otherKey}\n`);
    fs.writeFileSync(path.join(dir, 'config'), `Host lab-changed\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxkey\n  IdentityFile ${lab.keys.ed25519.path}\n  UserKnownHostsFile ${known}\n`);
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', path.join(dir, 'config'), vscode.ConfigurationTarget.Global);
    // One connection per host: drop the one the tree suite opened to the same sshd so this one is new.
    for (const s of api.sessions.list()) api.sessions.remove(s.id);
    const session = await api.connect('lab-changed');
    assert.ok(session, 'no session for lab-changed');
    try {
    assert.strictEqual(session.snapshot, undefined);
    assert.match(session.error ?? '', /has changed/);
    assert.match(session.error ?? '', /intercept/);
    assert.notStrictEqual(session.state.kind, 'connected');
    const hostItem = api.tree.getTreeItem({ kind: 'host', hostId: session.id, id: session.id }) as vscode.TreeItem;
    assert.match(String(hostItem.description), /disconnected/);
    const kids = api.tree.getChildren({ kind: 'host', hostId: session.id, id: session.id }) as Node[];
    assert.ok(kids.some((k) => k.kind === 'message' && /has changed/.test(k.text)), 'the host item does not show the refusal');
    assert.ok(kids.some((k) => k.kind === 'message' && k.text === 'Retry'));
    assert.strictEqual(fs.readFileSync(known, 'utf8'), `[127.0.0.1]:${lab.ssh.port} ${otherKey}\n`);
    } finally {
      api.sessions.remove(session.id);
    }
  });

  it('connects through the Connect to Host command to an ssh-config alias and lists the host as connected', async () => {
    const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8'));
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', lab.clientConfig, vscode.ConfigurationTarget.Global);
    const session = (await vscode.commands.executeCommand('nsExplorer.connectHost', 'lab')) as { id: string; state: { kind: string } } | undefined;
    assert.ok(session);
    assert.strictEqual(session.state.kind, 'connected');
    const hosts = api.tree.getChildren() as Node[];
    assert.ok(hosts.some((h) => h.hostId === session.id));
  });
});
