// The first five minutes and the OpenSSH transport in the UI: the demo's settings make Connect to Host
// offer the lab's aliases (choosing one shows its containers), and ssh's own prompts (an unknown host key,
// a key's passphrase) come through the askpass bridge as VS Code's dialog and input boxes.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Workbench } from './workbench';

const LAB_JSON = `${process.env.NSX_LAB_DIR ?? '/run/nsx-lab'}/lab.json`;

interface Lab {
  clientConfig: string;
  ssh: { port: number; hostKeys: { ed25519: { fingerprint: string } } };
  keys: { ed25519Encrypted: { path: string; passphrase: string } };
}

function loadLabOrSkip(ctx: Mocha.Context): Lab | undefined {
  if (!fs.existsSync(LAB_JSON)) {
    if (process.env.NSX_LAB_REQUIRED) throw new Error(`${LAB_JSON} is missing: the lab is not up`);
    ctx.skip();
  }
  return JSON.parse(fs.readFileSync(LAB_JSON, 'utf8')) as Lab;
}

describe('Connect to Host with the demo settings (lab)', function () {
  let wb: Workbench;

  before(async function () {
    this.timeout(180_000);
    const lab = loadLabOrSkip(this)!;
    // What `npm run demo -- --lab` sets (scripts/demo.js).
    wb = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': lab.clientConfig, 'nsExplorer.hosts': ['lab', 'lab-inner'] } });
  });

  after(async function () {
    this.timeout(30_000);
    await wb?.stop(this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false);
  });

  it('lists the ssh config\'s aliases in the empty Hosts view, with where each leads', async () => {
    await wb.openNamespacesView();
    const lab = wb.treeRow(/nsxkey@127\.0\.0\.1:\d+/);
    await lab.waitFor({ timeout: 30_000 });
    assert.match(await wb.treeRow(/lab-inner/).innerText(), /via lab/);
    await wb.treeRow('Connect to Another Host…').waitFor();
    await wb.screenshot('19-hosts-view-ssh-aliases.png');
  });

  it('offers the lab aliases with where they lead, and choosing "lab" shows its containers', async () => {
    await wb.openNamespacesView();
    await wb.runCommand('Namespaces: Connect to Host…');
    const rows = wb.page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    const lab = rows.filter({ hasText: /nsxkey@127\.0\.0\.1:\d+/ }).first();
    await lab.waitFor();
    const inner = rows.filter({ hasText: /lab-inner/ }).first();
    assert.match(await inner.innerText(), /via lab/);
    await wb.screenshot('20-connect-picker-lab.png');
    await lab.click();
    await wb.treeRow(/nsxkey \(sudo\)/).waitFor({ timeout: 60_000 });
    const containers = wb.treeRow('Containers');
    await containers.waitFor({ timeout: 60_000 });
    await containers.click();
    const docker = wb.treeRow('Docker');
    await docker.waitFor();
    if ((await docker.getAttribute('aria-expanded')) === 'false') await docker.click();
    await wb.treeRow('lab-c1').waitFor();
    await wb.screenshot('21-demo-lab-containers.png');
  });
});

describe('ssh prompts as VS Code prompts (OpenSSH transport, lab)', function () {
  let wb: Workbench;
  let dir: string;
  let lab: Lab;

  before(async function () {
    this.timeout(180_000);
    lab = loadLabOrSkip(this)!;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-e2e-askpass-'));
    fs.writeFileSync(path.join(dir, 'known_hosts'), '');
    fs.writeFileSync(
      path.join(dir, 'config'),
      `Host lab-ask\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxkey\n  IdentityFile ${lab.keys.ed25519Encrypted.path}\n  IdentitiesOnly yes\n` +
        `  IdentityAgent none\n  UserKnownHostsFile ${path.join(dir, 'known_hosts')}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking ask\n` +
        '  HostKeyAlgorithms ssh-ed25519\n  PasswordAuthentication no\n  KbdInteractiveAuthentication no\n',
    );
    wb = await Workbench.start({ settings: { 'nsExplorer.sshConfigFile': path.join(dir, 'config'), 'nsExplorer.transport': 'openssh' } });
  });

  after(async function () {
    this.timeout(30_000);
    await wb?.stop(this.test?.parent?.tests.some((t) => t.state === 'failed') ?? false);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('asks about the unknown host key, then the passphrase; a wrong one and Escape fail cleanly', async () => {
    await wb.openNamespacesView();
    await wb.runCommand('Namespaces: Connect to Host…');
    await wb.inputBox('lab-ask');
    const dialog = wb.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 60_000 });
    const text = await dialog.innerText();
    assert.match(text, /authenticity of host \[127\.0\.0\.1\]:\d+ can't be established/, text);
    assert.ok(text.includes(lab.ssh.hostKeys.ed25519.fingerprint), `the dialog shows ssh's fingerprint: ${text}`);
    assert.doesNotMatch(text, /Trust Once/, 'OpenSSH cannot trust a key once');
    await wb.screenshot('22-openssh-host-key.png');
    await dialog.getByRole('button', { name: 'Trust and Remember' }).click();
    const title = wb.page.locator('.quick-input-widget .quick-input-title');
    await title.filter({ hasText: `Passphrase for ${lab.keys.ed25519Encrypted.path}` }).waitFor({ timeout: 30_000 });
    await wb.screenshot('23-openssh-passphrase.png');
    await wb.inputBox('not-the-passphrase');
    await title.filter({ hasText: /Wrong passphrase, try again/ }).waitFor({ timeout: 30_000 });
    await wb.page.keyboard.press('Escape');
    await wb.notification(/lab-ask: ssh could not connect to lab-ask .*Permission denied/);
    assert.match(fs.readFileSync(path.join(dir, 'known_hosts'), 'utf8'), /^\[127\.0\.0\.1\]:\d+ ssh-ed25519 /, 'the accepted key was recorded by ssh');
  });

  it('connects once the right passphrase is given, without asking about the key again', async () => {
    await wb.runCommand('Namespaces: Connect to Host…');
    await wb.inputBox('lab-ask');
    const title = wb.page.locator('.quick-input-widget .quick-input-title');
    await title.filter({ hasText: `Passphrase for ${lab.keys.ed25519Encrypted.path}` }).waitFor({ timeout: 30_000 });
    await wb.inputBox(lab.keys.ed25519Encrypted.passphrase);
    await wb.treeRow(/nsxkey \(sudo\)/).waitFor({ timeout: 60_000 });
    assert.strictEqual(await wb.page.locator('.monaco-dialog-box').count(), 0, 'no host key dialog the second time');
  });
});
