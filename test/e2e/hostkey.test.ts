// A changed host key must be refused in the UI with a warning that names the danger and the file to fix.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Workbench } from './workbench';

const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

describe('A changed host key in the UI', function () {
  let wb: Workbench;
  let dir: string;

  before(async function () {
    this.timeout(180_000);
    if (!fs.existsSync(LAB_JSON)) {
      if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
      this.skip();
    }
    const lab = JSON.parse(fs.readFileSync(LAB_JSON, 'utf8'));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-e2e-hostkey-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'other')]);
    const otherKey = fs.readFileSync(path.join(dir, 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(path.join(dir, 'known_hosts'), `[127.0.0.1]:${lab.ssh.port} ${otherKey}\n`);
    fs.writeFileSync(
      path.join(dir, 'config'),
      `Host lab-changed\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxkey\n  IdentityFile ${lab.keys.ed25519.path}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${path.join(dir, 'known_hosts')}\n`,
    );
    wb = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': path.join(dir, 'config') } });
  });

  after(async function () {
    this.timeout(30_000);
    const failed = this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false;
    await wb?.stop(failed);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to connect and warns of interception; known_hosts is left as it was', async () => {
    const before = fs.readFileSync(path.join(dir, 'known_hosts'), 'utf8');
    await wb.openNamespacesView();
    await wb.runCommand('Namespaces: Connect to Host…');
    await wb.inputBox('lab-changed');
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    const text = await dialog.innerText();
    assert.match(text, /host key of \[127\.0\.0\.1\]:\d+ has changed/i, text);
    assert.match(text, /intercept/i, text);
    assert.ok(text.includes(path.join(dir, 'known_hosts')), text);
    await wb.screenshot('14-changed-host-key.png');
    await wb.page.keyboard.press('Escape');
    assert.strictEqual(fs.readFileSync(path.join(dir, 'known_hosts'), 'utf8'), before);
  });
});
