// Runs inside the real extension host (code-server or desktop VS Code), against the built dist/extension.js.
import * as assert from 'assert';
import * as vscode from 'vscode';

const EXTENSION_ID = 'ns-explorer.linux-namespace-explorer';

interface NsExplorerApi {
  hostsView?: vscode.TreeView<unknown>;
}

async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function extension(): vscode.Extension<NsExplorerApi | undefined> {
  const ext = vscode.extensions.getExtension<NsExplorerApi | undefined>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed in this host`);
  return ext;
}

describe('activation', () => {
  it('is installed from the development folder', () => {
    const ext = extension();
    assert.strictEqual(ext.packageJSON.name, 'linux-namespace-explorer');
  });

  it('activates when the Namespaces view is opened', async () => {
    const ext = extension();
    await vscode.commands.executeCommand('workbench.view.extension.nsExplorer');
    await waitFor('the extension to activate after opening the view', () => ext.isActive);
  });

  it('registers every command that package.json contributes', async () => {
    const ext = extension();
    await ext.activate();
    const contributed = (ext.packageJSON.contributes?.commands ?? []) as { command: string }[];
    assert.ok(contributed.length > 0, 'package.json contributes no commands');
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.map((c) => c.command).filter((id) => !registered.has(id));
    assert.deepStrictEqual(missing, [], `commands contributed but never registered: ${missing.join(', ')}`);
  });

  it('exposes the Hosts tree view and shows it when the container is opened', async () => {
    const ext = extension();
    const api = await ext.activate();
    assert.ok(api, 'activate() returned nothing: it must return { hostsView } (the Hosts TreeView)');
    const view = api.hostsView;
    assert.ok(view, 'activate() returned no hostsView: the Hosts tree view was not created with createTreeView');
    assert.strictEqual(typeof view.reveal, 'function', 'hostsView is not a vscode.TreeView');
    await vscode.commands.executeCommand('workbench.view.extension.nsExplorer');
    await waitFor('the Hosts view to become visible', () => view.visible);
  });
});
