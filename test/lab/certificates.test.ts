// Certificates, which only OpenSSH speaks: a user certificate signed by a lab CA (sshd TrustedUserCAKeys,
// no authorized_keys at all) and a host certificate trusted through @cert-authority in known_hosts. The
// test runs its own sshd on loopback for this (lab users, its own keys and CAs) and stops it afterwards.
// Run while the lab is up:  npx mocha --timeout 120000 out/test/lab/certificates.test.js
import * as assert from 'assert';
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { openConnection, OpenOptions } from '../../src/host/connect';
import { ConnectionError, HostConnection } from '../../src/host/hostConnection';
import { LogLevel, setLogSink } from '../../src/host/log';
import { OpenSshConnection } from '../../src/host/opensshConnection';
import { SshConnection } from '../../src/host/sshConnection';
import { isLabUp, LabEnv, loadLab } from './labEnv';

function run(argv: string[]): string {
  return execFileSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const labUp = process.platform === 'linux' && isLabUp() && process.getuid?.() === 0;

(labUp ? describe : describe.skip)('certificates (lab, OpenSSH)', function () {
  this.timeout(120_000);
  let lab: LabEnv;
  let dir: string;
  let port: number;
  let sshd: ChildProcess | undefined;
  let agent: { pid: number; sock: string } | undefined;
  const opened: HostConnection[] = [];
  const logLines: string[] = [];
  const f = (name: string) => path.join(dir, name);

  function opts(config: string, extra: OpenOptions = {}): OpenOptions {
    return { sshConfig: { configPath: f(config), systemConfigPath: null }, reconnect: false, sudo: 'never', ...extra };
  }

  before(async () => {
    lab = loadLab();
    port = lab.ssh.port + 20;
    assert.ok(!(await portOpen(port)), `127.0.0.1:${port} is in use`);
    // Under the lab's root-owned folder: sshd's StrictModes refuses files under world-writable /tmp.
    dir = fs.mkdtempSync(path.join(lab.stateDir, 'certs-'));
    fs.chmodSync(dir, 0o755);
    for (const k of ['user_ca', 'host_ca', 'other_ca', 'host_key', 'id_cert']) {
      run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `nsx-${k}`, '-f', f(k)]);
    }
    // The user key is in no authorized_keys file: only its certificate can log in.
    run(['ssh-keygen', '-q', '-s', f('user_ca'), '-I', 'nsx-lab-user', '-n', 'nsxkey', '-V', '-5m:+1h', f('id_cert.pub')]);
    run(['ssh-keygen', '-q', '-s', f('host_ca'), '-h', '-I', 'nsx-lab-host', '-n', '127.0.0.1', '-V', '-5m:+1h', f('host_key.pub')]);
    fs.writeFileSync(
      f('sshd_config'),
      [
        'ListenAddress 127.0.0.1',
        `Port ${port}`,
        `HostKey ${f('host_key')}`,
        `HostCertificate ${f('host_key-cert.pub')}`,
        `TrustedUserCAKeys ${f('user_ca.pub')}`,
        'AuthorizedKeysFile none',
        `PidFile ${f('sshd.pid')}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM yes',
        'AllowUsers nsxkey',
        'LogLevel VERBOSE',
        '',
      ].join('\n'),
    );
    run(['/usr/sbin/sshd', '-t', '-f', f('sshd_config')]);
    sshd = spawn('/usr/sbin/sshd', ['-D', '-f', f('sshd_config'), '-E', f('sshd.log')], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !(await portOpen(port)); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(await portOpen(port), `the test sshd did not start; see ${f('sshd.log')}`);
    const ca = (name: string) => fs.readFileSync(f(`${name}.pub`), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    fs.writeFileSync(f('known_hosts_ca'), `@cert-authority [127.0.0.1]:${port} ${ca('host_ca')}\n`);
    fs.writeFileSync(f('known_hosts_other_ca'), `@cert-authority [127.0.0.1]:${port} ${ca('other_ca')}\n`);
    fs.writeFileSync(f('known_hosts_plain'), `[127.0.0.1]:${port} ${ca('host_key')}\n`);
    const host = (kh: string, extra = '') =>
      `  HostName 127.0.0.1\n  Port ${port}\n  User nsxkey\n  IdentityFile ${f('id_cert')}\n  IdentitiesOnly yes\n  UserKnownHostsFile ${f(kh)}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n${extra}`;
    fs.writeFileSync(f('config'), `Host cert\n${host('known_hosts_ca')}\nHost cert-wrong-ca\n${host('known_hosts_other_ca')}\n`);
    // Keys from the agent only: no usable identity file, IdentitiesOnly off.
    fs.writeFileSync(
      f('config_agent'),
      `Host cert\n  HostName 127.0.0.1\n  Port ${port}\n  User nsxkey\n  IdentityFile ${f('no-such-key')}\n  UserKnownHostsFile ${f('known_hosts_plain')}\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
    );
    setLogSink({ log: (level: LogLevel, line: string) => logLines.push(`${level} ${line}`) });
  });

  after(() => {
    for (const c of opened) c.dispose();
    setLogSink({ log: () => undefined });
    if (agent) {
      try {
        process.kill(agent.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    sshd?.kill('SIGTERM');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('auto picks OpenSSH for a user certificate and a @cert-authority host, and logs in with them', async () => {
    logLines.length = 0;
    const conn = await openConnection('cert', opts('config'));
    opened.push(conn);
    assert.ok(conn instanceof OpenSshConnection, 'auto should pick OpenSSH');
    const why = logLines.find((l) => /cert: using OpenSSH/.test(l)) ?? '';
    assert.match(why, /id_cert has a user certificate id_cert-cert\.pub/);
    assert.match(why, /known_hosts_ca line 1: @cert-authority/);
    assert.strictEqual((await conn.connect()).user, 'nsxkey');
    assert.strictEqual((await conn.exec(['id', '-un'])).stdout.trim(), 'nsxkey');
    // What sshd itself says it accepted: the certificate, signed by the lab CA.
    assert.match(fs.readFileSync(f('sshd.log'), 'utf8'), /Accepted publickey for nsxkey .* ED25519-CERT .*ID nsx-lab-user/);
  });

  it('refuses a host certificate signed by a CA that known_hosts does not list', async () => {
    const conn = await openConnection('cert-wrong-ca', opts('config', { transport: 'openssh' }));
    opened.push(conn);
    await assert.rejects(conn.connect(), (e: Error) => e instanceof ConnectionError && e.reason === 'hostkey' && /Host key verification failed/.test(e.message));
  });

  it('ssh2 cannot log in with the certificate, not even through an agent that holds it', async () => {
    const out = run(['ssh-agent', '-s', '-a', f('agent.sock')]);
    agent = { pid: Number(/SSH_AGENT_PID=(\d+)/.exec(out)![1]), sock: f('agent.sock') };
    execFileSync('ssh-add', [f('id_cert')], { env: { ...process.env, SSH_AUTH_SOCK: agent.sock }, stdio: 'ignore' });
    const listed = execFileSync('ssh-add', ['-L'], { env: { ...process.env, SSH_AUTH_SOCK: agent.sock }, encoding: 'utf8' });
    assert.match(listed, /ssh-ed25519-cert-v01@openssh\.com /, 'the agent holds the certificate');
    // The plain host key is known here, so only the user certificate is in question.
    const viaAgent = await openConnection('cert', opts('config_agent', { transport: 'ssh2', agentSocket: agent.sock }));
    opened.push(viaAgent);
    assert.ok(viaAgent instanceof SshConnection);
    await assert.rejects(viaAgent.connect(), (e: Error) => e instanceof ConnectionError && e.reason === 'auth');
    // The same agent works for OpenSSH.
    const openssh = await openConnection('cert', opts('config_agent', { transport: 'openssh', agentSocket: agent.sock }));
    opened.push(openssh);
    assert.strictEqual((await openssh.connect()).user, 'nsxkey');
  });
});
