// Runs inside the real extension host against the lab over SSH: the hosts of a window come back in the
// next one (as a reload or restart builds them from VS Code's global state): the last snapshot is shown
// at once, before the host is connected, with no command line kept on disk; then the host reconnects by
// itself (connecting it asked nothing) and a new snapshot replaces the kept one.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { NsExplorerApi } from '../../src/extension';
import type { HostSession } from '../../src/views/hostSessions';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';
const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Hosts after a window reload (lab)', function () {
  this.timeout(120_000);
  let api: NsExplorerApi;

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as { clientConfig: string };
    const ext = vscode.extensions.getExtension<NsExplorerApi>(EXTENSION_ID);
    assert.ok(ext);
    api = await ext.activate();
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', lab.clientConfig, vscode.ConfigurationTarget.Global);
  });

  after(async () => {
    await vscode.workspace.getConfiguration('nsExplorer').update('sshConfigFile', undefined, vscode.ConfigurationTarget.Global);
  });

  it('shows the last snapshot at once, greyed with its time, then reconnects and replaces it', async () => {
    const session = await api.connect('lab');
    assert.ok(session?.snapshot, `no snapshot from the lab host: ${session?.error ?? 'not connected'}`);
    await session.refresh();
    const last = session.snapshot!;
    const withArgs = last.processes.find((p) => p.cmdline.length > 0);
    assert.ok(withArgs, 'the live snapshot has command lines');
    // The next window: the same global state, a new set of hosts.
    const next = api.sessionsFromState();
    try {
      let firstShown: { restored: boolean; state: string; takenAt: number } | undefined;
      let restoredSession: HostSession | undefined;
      next.onDidChange((s) => {
        if (s?.snapshot && !firstShown) {
          restoredSession = s;
          firstShown = { restored: s.restored, state: s.state.kind, takenAt: s.snapshot.host.takenAt };
        }
      });
      await next.restore();
      assert.ok(firstShown && restoredSession, 'the host came back with a snapshot');
      assert.strictEqual(restoredSession.label, 'lab');
      assert.deepStrictEqual(firstShown, { restored: true, state: 'connecting', takenAt: last.host.takenAt }, 'the kept snapshot is shown before the host is connected');
      assert.strictEqual(restoredSession.snapshot!.processes.length, last.processes.length);
      assert.ok(restoredSession.snapshot!.processes.every((p) => p.cmdline === ''), 'no command line was kept');
      // It reconnects by itself: connecting it asked the user nothing.
      for (let i = 0; i < 300 && (restoredSession.restored || restoredSession.loading); i++) await sleep(100);
      assert.strictEqual(restoredSession.error, undefined);
      assert.strictEqual(restoredSession.state.kind, 'connected');
      assert.strictEqual(restoredSession.restored, false);
      assert.ok(restoredSession.snapshot!.host.takenAt > last.host.takenAt, 'a new snapshot replaced the kept one');
      assert.ok(restoredSession.snapshot!.processes.some((p) => p.cmdline.length > 0));
    } finally {
      next.dispose();
    }
  });
});
