import * as assert from 'assert';
import { agentSocketFor, sshPaths, WINDOWS_OPENSSH_AGENT_PIPE } from '../../../src/host/platformPaths';
import { loadSshConfig, resolveHost, SshConfigFs } from '../../../src/host/sshConfig';

function memFs(files: Record<string, string>): SshConfigFs & { read: string[] } {
  const read: string[] = [];
  return {
    read,
    async readFile(file) {
      read.push(file);
      return files[file];
    },
    async readDir() {
      return undefined;
    },
  };
}

describe('platform paths', () => {
  it('puts config and known_hosts where Win32-OpenSSH looks for them', async () => {
    const home = 'C:\\Users\\Ana';
    const p = sshPaths('win32', home, { ProgramData: 'D:\\PD' });
    assert.strictEqual(p.userConfig, 'C:\\Users\\Ana\\.ssh\\config');
    assert.strictEqual(p.systemConfig, 'D:\\PD\\ssh\\ssh_config');
    assert.deepStrictEqual(p.globalKnownHosts, ['D:\\PD\\ssh\\ssh_known_hosts', 'D:\\PD\\ssh\\ssh_known_hosts2']);
    const fs = memFs({ 'C:\\Users\\Ana\\.ssh\\config': 'Host web\n HostName web.example\n IdentityFile ~/.ssh/work_key\n' });
    const config = await loadSshConfig({ homeDir: home, platform: 'win32', fs, localUser: 'ana', localHostname: 'pc', uid: 0 });
    assert.deepStrictEqual(fs.read, ['C:\\Users\\Ana\\.ssh\\config', 'C:\\ProgramData\\ssh\\ssh_config'.replace('C:\\ProgramData', process.env.ProgramData || process.env.PROGRAMDATA || 'C:\\ProgramData')]);
    const web = resolveHost(config, 'web');
    assert.deepStrictEqual(web.identityFiles, ['C:\\Users\\Ana\\.ssh\\work_key']);
    assert.deepStrictEqual(web.userKnownHostsFiles, ['C:\\Users\\Ana\\.ssh\\known_hosts', 'C:\\Users\\Ana\\.ssh\\known_hosts2']);
  });

  it('uses /etc/ssh and ~/.ssh on macOS and Linux', async () => {
    for (const platform of ['darwin', 'linux'] as const) {
      const home = platform === 'darwin' ? '/Users/ana' : '/home/ana';
      const fs = memFs({});
      const config = await loadSshConfig({ homeDir: home, platform, fs, localUser: 'ana', localHostname: 'pc', uid: 501 });
      assert.deepStrictEqual(fs.read, [`${home}/.ssh/config`, '/etc/ssh/ssh_config'], platform);
      const h = resolveHost(config, 'x.example');
      assert.deepStrictEqual(h.globalKnownHostsFiles, ['/etc/ssh/ssh_known_hosts', '/etc/ssh/ssh_known_hosts2']);
      assert.deepStrictEqual(h.identityFiles, [`${home}/.ssh/id_rsa`, `${home}/.ssh/id_ecdsa`, `${home}/.ssh/id_ed25519`]);
    }
  });

  it('finds the agent as OpenSSH does: IdentityAgent, then SSH_AUTH_SOCK, then (Windows) the agent pipe or Pageant', () => {
    const env = { SSH_AUTH_SOCK: '/tmp/a.sock', OTHER: '/run/o.sock' };
    assert.strictEqual(agentSocketFor(null, { env, platform: 'linux' }), '/tmp/a.sock');
    assert.strictEqual(agentSocketFor('none', { env, platform: 'linux' }), undefined);
    assert.strictEqual(agentSocketFor('/run/x.sock', { env, platform: 'linux' }), '/run/x.sock');
    assert.strictEqual(agentSocketFor('SSH_AUTH_SOCK', { env, platform: 'linux' }), '/tmp/a.sock');
    assert.strictEqual(agentSocketFor('$OTHER', { env, platform: 'linux' }), '/run/o.sock');
    assert.strictEqual(agentSocketFor('${OTHER}', { env, platform: 'linux' }), '/run/o.sock');
    assert.strictEqual(agentSocketFor('$MISSING', { env, platform: 'linux' }), undefined);
    assert.strictEqual(agentSocketFor(null, { env: {}, platform: 'darwin' }), undefined);
    assert.strictEqual(agentSocketFor(null, { env: {}, platform: 'win32', exists: (p) => p === WINDOWS_OPENSSH_AGENT_PIPE }), WINDOWS_OPENSSH_AGENT_PIPE);
    assert.strictEqual(agentSocketFor(null, { env: {}, platform: 'win32', exists: () => false }), 'pageant');
    assert.strictEqual(agentSocketFor('none', { env: {}, platform: 'win32', exists: () => true }), undefined);
  });
});
