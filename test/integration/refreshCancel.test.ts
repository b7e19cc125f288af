// Runs inside the real extension host against the lab over SSH: a refresh held up by a wedged daemon (the
// lab's containerd stopped with SIGSTOP, so ctr waits) shows its stage on the host item, is cancelled with
// the host item's "Cancel Refresh", leaves the last snapshot and no process of it on the host, and the
// next refresh completes once the daemon is resumed.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { NsExplorerApi } from '../../src/extension';
import type { Node } from '../../src/views/treeNodes';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';
const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

interface LabJson {
  clientConfig: string;
  docker: { containerdPid: number | null; dataRoot: string };
}

/** containerd's metadata databases under the lab's docker data root. */
function metaDbs(dir: string, depth = 0): string[] {
  if (depth > 5 || !fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return metaDbs(full, depth + 1);
    return e.name === 'meta.db' ? [full] : [];
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** ctr processes waiting on the stopped containerd (our probe's, under timeout, or orphaned). */
function ctrLeft(): string[] {
  return fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      return cmd[0] === 'ctr' || (cmd[0] === 'timeout' && cmd.includes('ctr')) ? [`${d} ${cmd.join(' ')}`] : [];
    } catch {
      return [];
    }
  });
}

describe('Cancelling a refresh (lab)', function () {
  this.timeout(120_000);
  let api: NsExplorerApi;
  let lab: LabJson;
  let stoppedPid: number | undefined;

  const item = (n: Node): vscode.TreeItem => api.tree.getTreeItem(n) as vscode.TreeItem;

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
  });

  after(async () => {
    if (stoppedPid) process.kill(stoppedPid, 'SIGCONT');
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('nsExplorer.refresh').update('engineTimeoutSeconds', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows the stage, stops on Cancel Refresh with the last snapshot kept, and the next refresh completes', async () => {
    assert.ok(lab.docker.containerdPid, "the lab's containerd is not up");
    const session = await api.connect('lab');
    assert.ok(session?.snapshot, `no snapshot from the lab host: ${session?.error ?? 'not connected'}`);
    const hostNode = ((await api.tree.getChildren()) ?? []).find((h) => h.hostId === session.id);
    assert.ok(hostNode);
    const before = session.snapshot;
    // ctr may wait 60 s on the stopped daemon: only the cancel can end this refresh early.
    await vscode.workspace.getConfiguration('nsExplorer.refresh').update('engineTimeoutSeconds', 60, vscode.ConfigurationTarget.Global);
    stoppedPid = lab.docker.containerdPid;
    process.kill(stoppedPid, 'SIGSTOP');
    // The probe skips ctr while containerd's database is unchanged: a new mtime makes it ask.
    const dbs = metaDbs(path.join(lab.docker.dataRoot, 'containerd'));
    assert.ok(dbs.length > 0, `no containerd meta.db under ${lab.docker.dataRoot}/containerd`);
    for (const db of dbs) fs.utimesSync(db, new Date(), new Date());
    const t0 = Date.now();
    const refresh = session.refresh();
    let seen = '';
    for (let i = 0; i < 200 && session.stage !== 'engine-clis'; i++) await sleep(50);
    assert.strictEqual(session.stage, 'engine-clis', 'the refresh reached the engine CLIs');
    seen = String(item(hostNode).description);
    assert.match(seen, /reading the container engines…/);
    // The menu that package.json gives Cancel Refresh matches the refreshing host item.
    const pkg = JSON.parse(fs.readFileSync(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'package.json'), 'utf8'));
    const menu = (pkg.contributes.menus['view/item/context'] as Array<{ command: string; when: string }>).find((m) => m.command === 'nsExplorer.cancelRefresh');
    assert.ok(menu, 'Cancel Refresh has an item menu');
    const re = new RegExp(/viewItem =~ \/(.*?)\/(?:\s|$)/.exec(menu.when)![1]);
    assert.ok(re.test(String(item(hostNode).contextValue)), `${item(hostNode).contextValue} does not match ${re}`);
    await vscode.commands.executeCommand('nsExplorer.cancelRefresh', hostNode);
    await refresh;
    const ms = Date.now() - t0;
    assert.ok(ms < 20_000, `the refresh ended ${ms} ms after it started`);
    assert.strictEqual(session.error, undefined);
    assert.strictEqual(session.loading, false);
    assert.strictEqual(session.snapshot, before, 'the last snapshot stays');
    assert.ok(!re.test(String(item(hostNode).contextValue)), 'Cancel Refresh is gone from the idle host');
    // The probe was stopped on the host: no ctr of it keeps waiting.
    let left = ctrLeft();
    for (let i = 0; i < 30 && left.length; i++) {
      await sleep(100);
      left = ctrLeft();
    }
    assert.deepStrictEqual(left, []);
    process.kill(stoppedPid, 'SIGCONT');
    stoppedPid = undefined;
    await session.refresh();
    assert.strictEqual(session.error, undefined);
    assert.ok(session.snapshot && session.snapshot !== before && session.snapshot.host.takenAt > before.host.takenAt);
    assert.strictEqual(session.snapshot.host.partial, undefined, session.snapshot.host.warnings.join('\n'));
  });
});
