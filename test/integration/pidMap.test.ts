// Runs inside the real extension host against the lab (test/lab/lab.sh up): the PID map's host and inner
// PIDs must be the kernel's own NSpid chains, and the real webview must load and ask for its model.
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import type { PidMapModel, PidMapRow, PidMapScope } from '../../src/model/pidMap';
import type { Snapshot } from '../../src/model/snapshot';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';
const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

/** What this suite needs from activate()'s API (NsExplorerApi in src/extension.ts), mirrored structurally. */
interface PidMapPanelLike {
  readonly initPosted: Promise<PidMapModel>;
  readonly lastPostedModel: PidMapModel | undefined;
  readonly webviewPanel: vscode.WebviewPanel;
  dispose(): void;
}
interface PidMapApi {
  /** Connects ("local" = This machine) and resolves once the first snapshot is in. */
  connect(spec: string): Promise<{ id: string; snapshot: Snapshot | undefined } | undefined>;
  pidMaps: { show(hostId: string, scope: PidMapScope): PidMapPanelLike };
}

interface LabJson {
  docker: { containers: Record<string, { id: string; pid: number | null; status: string }> };
  nested: { outerPid: number; innermostPid: number; nspid: number[]; levels: number };
}

function nspidOf(pid: number): number[] | undefined {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('NSpid:'));
    return line?.slice(6).trim().split(/\s+/).map(Number);
  } catch {
    return undefined; // exited since the snapshot
  }
}

/** The row's PIDs down to its own namespace: what NSpid lists. */
const chain = (r: PidMapRow): number[] => r.pids.slice(0, r.depth + 1).filter((p): p is number => p !== null);

async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

describe('PID map panel', function () {
  let lab: LabJson;
  let api: PidMapApi;
  let hostId: string;
  const opened: PidMapPanelLike[] = [];

  before(async function () {
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: run "npm run lab -- up" first`);
      this.skip();
    }
    lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as LabJson;
    const ext = vscode.extensions.getExtension<PidMapApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
    api = await ext.activate();
    assert.ok(api?.pidMaps && typeof api.connect === 'function', 'activate() must return { connect, pidMaps }');
    const session = await api.connect('local');
    assert.ok(session?.snapshot, 'no snapshot after connecting to this machine');
    hostId = session.id;
  });

  afterEach(() => {
    for (const p of opened.splice(0)) p.dispose();
  });

  it('shows lab-c1 with host PIDs and container PIDs equal to the kernel\'s NSpid', async () => {
    const c1 = lab.docker.containers['lab-c1'];
    assert.ok(c1?.pid, 'lab.json has no running lab-c1');
    const panel = api.pidMaps.show(hostId, { kind: 'container', id: c1.id });
    opened.push(panel);
    // Resolves only when the real webview loaded its bundle under the CSP and sent `ready`.
    const model = await within(20_000, 'the webview to send ready and receive init', panel.initPosted);

    assert.strictEqual(model.title, 'lab-c1');
    assert.strictEqual(model.header, `host PID ${c1.pid} is PID 1 inside lab-c1`);
    assert.strictEqual(model.focusPid, c1.pid);
    assert.strictEqual(model.levels[1]?.label, 'lab-c1');
    const init = model.rows.find((r) => r.hostPid === c1.pid);
    assert.ok(init, `no row for lab-c1's init (host PID ${c1.pid})`);
    assert.deepStrictEqual(chain(init), nspidOf(c1.pid));

    let compared = 0;
    for (const row of model.rows) {
      const kernel = nspidOf(row.hostPid);
      if (!kernel || row.vanished) continue;
      assert.deepStrictEqual(chain(row), kernel, `PID chain of host PID ${row.hostPid} (${row.comm})`);
      assert.ok(kernel.length >= 2, `host PID ${row.hostPid} is listed under lab-c1 but lives in the host's PID namespace`);
      compared++;
    }
    assert.ok(compared > 0, 'no row could be compared with /proc');
  });

  it('maps every level of the lab\'s nested PID tree', async () => {
    const { innermostPid, nspid } = lab.nested;
    const panel = api.pidMaps.show(hostId, { kind: 'pid', pid: innermostPid });
    opened.push(panel);
    const model = await within(20_000, 'init for the nested tree', panel.initPosted);
    const row = model.rows.find((r) => r.hostPid === innermostPid);
    assert.ok(row, `no row for the nested tree's innermost process (host PID ${innermostPid})`);
    assert.deepStrictEqual(chain(row), nspid, 'chain differs from lab.json');
    assert.deepStrictEqual(chain(row), nspidOf(innermostPid), 'chain differs from /proc');
    assert.strictEqual(model.levels.length, nspid.length, 'one PID column per nesting level');
    assert.match(model.header, new RegExp(`^host PID ${innermostPid} \\(.+\\) is .*PID ${nspid[nspid.length - 1]} inside `));
  });

  it('reveals the open panel instead of opening a second one for the same scope', async () => {
    const c1 = lab.docker.containers['lab-c1'];
    assert.ok(c1);
    const a = api.pidMaps.show(hostId, { kind: 'container', id: c1.id });
    opened.push(a);
    const b = api.pidMaps.show(hostId, { kind: 'container', id: c1.id });
    assert.strictEqual(a, b);
    assert.strictEqual(a.webviewPanel.viewType, 'nsExplorer.pidMap');
  });
});
