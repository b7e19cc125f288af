import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadSshConfig, resolveHost } from '../../../src/host/sshConfig';
import { chooseTransport, NeedsFs, opensshNeeds, opensshPrivateKeyType } from '../../../src/host/transport';

describe('transport choice', () => {
  it('auto stays on ssh2 unless something is needed, and falls back with a warning without ssh', () => {
    assert.deepStrictEqual(chooseTransport('auto', [], true), { transport: 'ssh2', needs: [] });
    assert.strictEqual(chooseTransport('auto', ['x line 1: Match exec'], true).transport, 'openssh');
    const none = chooseTransport('auto', ['x line 1: Match exec'], false);
    assert.strictEqual(none.transport, 'ssh2');
    assert.match(none.warning ?? '', /no ssh client is on PATH/);
    assert.strictEqual(chooseTransport('ssh2', ['x'], true).transport, 'ssh2');
    assert.strictEqual(chooseTransport('openssh', [], true).transport, 'openssh');
  });

  it('reads the key type of OpenSSH private keys as ssh-keygen wrote them, encrypted or not', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-keytype-'));
    try {
      for (const [type, pass, want] of [['ed25519', '', 'ssh-ed25519'], ['ecdsa', 'secret', 'ecdsa-sha2-nistp256'], ['rsa', '', 'ssh-rsa']]) {
        const file = path.join(dir, type);
        execFileSync('ssh-keygen', ['-q', '-t', type, '-N', pass, '-f', file]);
        assert.strictEqual(opensshPrivateKeyType(fs.readFileSync(file)), want, type);
      }
      execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-m', 'PEM', '-N', '', '-f', path.join(dir, 'pem')]);
      assert.strictEqual(opensshPrivateKeyType(fs.readFileSync(path.join(dir, 'pem'))), undefined);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('needs OpenSSH for a FIDO key, a certificate next to a key, and what the config asks, per hop', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-needs-'));
    try {
      const ssh = path.join(home, '.ssh');
      fs.mkdirSync(ssh);
      fs.writeFileSync(path.join(ssh, 'config'),
        `Host jump\n IdentityFile ~/.ssh/sk\nHost web\n ProxyJump jump\n IdentityFile ~/.ssh/plain\n GSSAPIAuthentication yes\nHost plain\n IdentityFile ~/.ssh/plain\n UserKnownHostsFile ~/.ssh/kh\n`);
      const files: Record<string, string> = {
        [path.join(ssh, 'sk')]: 'not an openssh key',
        [path.join(ssh, 'sk.pub')]: 'sk-ssh-ed25519@openssh.com AAAA x',
        [path.join(ssh, 'plain')]: 'key',
        [path.join(ssh, 'plain-cert.pub')]: 'ssh-ed25519-cert-v01@openssh.com AAAA',
      };
      const mem: NeedsFs = { readFile: async (f) => (f in files ? Buffer.from(files[f]) : undefined), exists: async (f) => f in files };
      const config = await loadSshConfig({ homeDir: home, systemConfigPath: null });
      // GSSAPI counts only with a Kerberos ticket to use (Debian's ssh_config turns it on for every host).
      assert.doesNotMatch((await opensshNeeds(resolveHost(config, 'web'), mem, {})).join('\n'), /GSSAPI/);
      files['/tmp/cc'] = 'ticket';
      const web = await opensshNeeds(resolveHost(config, 'web'), mem, { KRB5CCNAME: 'FILE:/tmp/cc' });
      assert.deepStrictEqual(web.map((n) => n.replace(home, '~')), [
        '~/.ssh/sk is a FIDO security key (sk-ssh-ed25519@openssh.com) (jump host jump)',
        '~/.ssh/config line 6: GSSAPIAuthentication yes (Kerberos) and a Kerberos ticket (KRB5CCNAME=FILE:/tmp/cc)',
        '~/.ssh/plain has a user certificate plain-cert.pub',
      ]);
      fs.writeFileSync(path.join(ssh, 'kh'), '@cert-authority *.example,plain ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0oXxZZ4h0yR6dM0aFc9n2v2p8m2bTzJxT3cZqQ1Y2b\n');
      const plain = await opensshNeeds(resolveHost(config, 'plain'), { ...mem, exists: async () => false }, {});
      assert.deepStrictEqual(plain.map((n) => n.replace(home, '~')), ['~/.ssh/kh line 1: @cert-authority (host certificates)']);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
