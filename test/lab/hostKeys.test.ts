// Host keys as OpenSSH checks them, against a real sshd this test starts itself on 127.0.0.1 (a random
// free port, its own ed25519 and ECDSA host keys, killed in after()): known key types asked for first,
// HostKeyAlias read and written bare, RevokedHostKeys and @revoked refused, a missing RevokedHostKeys
// file failing closed. Each case is also run with OpenSSH's own ssh on the same files, which must agree.
// Needs no lab: npx mocha --timeout 60000 out/test/lab/hostKeys.test.js
import * as assert from 'assert';
import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { openConnection } from '../../src/host/connect';
import { ConnectionError, HostConnection } from '../../src/host/hostConnection';
import { SUPPORTED_HOST_KEY_ALGORITHMS } from '../../src/host/knownHosts';
import { HostKeyQuestion } from '../../src/host/sshConnection';

const SSHD = '/usr/sbin/sshd';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  for (let waited = 0; waited <= ms; waited += 50) {
    if (check()) {
      return true;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** PIDs whose parent is `pid`, from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields after its last ")" are fixed.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) {
        out.push(Number(entry));
      }
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

describe('host keys against a real sshd on 127.0.0.1', function () {
  this.timeout(60_000);
  let dir: string;
  let port: number;
  let sshd: ChildProcess | undefined;
  let sshdLog = '';
  let open: HostConnection[] = [];
  const hostKey: Record<'ed' | 'ec', { pub: string; type: string }> = {} as never;
  const user = os.userInfo().username;

  before(async function () {
    if (!fs.existsSync(SSHD) || spawnSync('ssh-keygen', ['-?']).error) {
      if (process.env.NSX_LAB_REQUIRED === '1') {
        throw new Error(`${SSHD} or ssh-keygen is missing: install openssh-server and openssh-client.`);
      }
      this.skip();
    }
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-hostkeys-'));
    const keygen = (name: string, ...args: string[]) => execFileSync('ssh-keygen', ['-q', '-N', '', '-C', name, '-f', path.join(dir, name), ...args]);
    keygen('hk_ed', '-t', 'ed25519');
    keygen('hk_ec', '-t', 'ecdsa');
    keygen('client', '-t', 'ed25519');
    for (const k of ['ed', 'ec'] as const) {
      const pub = fs.readFileSync(path.join(dir, `hk_${k}.pub`), 'utf8').trim().split(' ').slice(0, 2).join(' ');
      hostKey[k] = { pub, type: pub.split(' ')[0] };
    }
    fs.copyFileSync(path.join(dir, 'client.pub'), path.join(dir, 'authorized_keys'));
    port = await freePort();
    const config = [
      'ListenAddress 127.0.0.1',
      `Port ${port}`,
      `HostKey ${dir}/hk_ed`,
      `HostKey ${dir}/hk_ec`,
      `PidFile ${dir}/sshd.pid`,
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      // The temp dir is not root-owned all the way up; this sshd serves only this test.
      'StrictModes no',
      'UsePAM no',
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      // DEBUG2 logs each client's host key algorithm proposal, which the tests read.
      'LogLevel DEBUG2',
    ];
    fs.writeFileSync(path.join(dir, 'sshd_config'), config.join('\n') + '\n');
    if (process.getuid?.() === 0) {
      fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
    }
    const check = spawnSync(SSHD, ['-t', '-f', path.join(dir, 'sshd_config')], { encoding: 'utf8' });
    assert.strictEqual(check.status, 0, `sshd -t: ${check.stderr}`);
    sshd = spawn(SSHD, ['-D', '-e', '-f', path.join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    sshd.stderr!.on('data', (c: Buffer) => {
      sshdLog += c.toString('utf8');
    });
    const listening = await waitFor(() => sshdLog.includes(`Server listening on 127.0.0.1 port ${port}`) || sshd!.exitCode !== null, 10_000);
    assert.ok(listening && sshd.exitCode === null, `sshd did not start:\n${sshdLog}`);
  });

  after(async function () {
    if (sshd && sshd.exitCode === null) {
      // Let the per-connection children end first, so none is left for init to reap.
      await waitFor(() => childrenOf(sshd!.pid!).length === 0, 5000);
      sshd.kill('SIGTERM');
      if (!(await waitFor(() => sshd!.exitCode !== null || sshd!.signalCode !== null, 5000))) {
        sshd.kill('SIGKILL');
      }
    }
    if (dir) {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  afterEach(function () {
    for (const c of open) {
      c.dispose();
    }
    open = [];
  });

  /** An ssh config for Host hk: this sshd, the client key, `knownHosts` (written first) and extra lines. */
  function sshConfig(name: string, knownHosts: string | undefined, extra: string[] = []): { config: string; knownHosts: string } {
    const kh = path.join(dir, `${name}.known_hosts`);
    if (knownHosts !== undefined) {
      fs.writeFileSync(kh, knownHosts);
    }
    const config = path.join(dir, `${name}.ssh_config`);
    const lines = [
      'Host hk',
      '  HostName 127.0.0.1',
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${dir}/client`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${kh}`,
      '  GlobalKnownHostsFile none',
      ...extra.map((l) => `  ${l}`),
    ];
    fs.writeFileSync(config, lines.join('\n') + '\n');
    return { config, knownHosts: kh };
  }

  /** Connect with the project's SshConnection; resolves to the host key prompts it raised (each cancelled). */
  async function connect(config: string, asked: HostKeyQuestion[] = []): Promise<HostKeyQuestion[]> {
    const c = await openConnection('hk', {
      sshConfig: { configPath: config, systemConfigPath: null },
      agentSocket: '',
      sudo: 'never',
      prompts: {
        password: async () => undefined,
        passphrase: async () => undefined,
        keyboardInteractive: async () => undefined,
        sudoPassword: async () => undefined,
        unknownHostKey: async (q) => {
          asked.push(q);
          return 'cancel';
        },
      },
    });
    open.push(c);
    await c.connect();
    const r = await c.exec(['true']);
    assert.strictEqual(r.code, 0);
    return asked;
  }

  /** OpenSSH's own client on the same config. */
  function realSsh(config: string, ...options: string[]): { status: number | null; stderr: string } {
    const r = spawnSync('ssh', ['-F', config, '-o', 'BatchMode=yes', '-o', 'IdentityAgent=none', ...options, 'hk', 'true'], {
      encoding: 'utf8',
      timeout: 30_000,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { status: r.status, stderr: r.stderr };
  }

  /** The host key algorithms each client proposed since `from` (an offset into the sshd log). */
  function proposals(from: number): string[][] {
    // Complete lines only: the log arrives in chunks.
    const lines = sshdLog.slice(from).split(/\r?\n/).slice(0, -1);
    const out: string[][] = [];
    lines.forEach((line, i) => {
      if (line.includes('peer client KEXINIT proposal')) {
        const alg = lines.slice(i + 1, i + 4).find((l) => l.includes('host key algorithms: '));
        if (alg) {
          out.push(alg.replace(/^.*host key algorithms: /, '').replace(/ \[preauth\]$/, '').trim().split(','));
        }
      }
    });
    return out;
  }

  const supported = (list: string[]) => list.filter((a) => SUPPORTED_HOST_KEY_ALGORITHMS.includes(a) && a !== 'ssh-rsa');

  it('a host known by its ed25519 key connects with no prompt, asking for ed25519 first', async function () {
    const { config } = sshConfig('known_ed', `[127.0.0.1]:${port} ${hostKey.ed.pub}\n`, ['StrictHostKeyChecking yes']);
    const from = sshdLog.length;
    assert.deepStrictEqual(await connect(config), []);
    assert.strictEqual(proposals(from)[0]?.[0], 'ssh-ed25519');
  });

  it('a host known only by its ECDSA key is asked for ECDSA first, as ssh does, so its ed25519 key never prompts', async function () {
    const { config } = sshConfig('known_ec', `[127.0.0.1]:${port} ${hostKey.ec.pub}\n`);
    let from = sshdLog.length;
    assert.deepStrictEqual(await connect(config), []);
    const ours = proposals(from)[0];
    assert.strictEqual(ours?.[0], 'ecdsa-sha2-nistp256', `proposed ${ours?.join(',')}`);
    from = sshdLog.length;
    const ssh = realSsh(config, '-o', 'StrictHostKeyChecking=yes');
    assert.strictEqual(ssh.status, 0, ssh.stderr);
    // spawnSync held the event loop: let sshd's log catch up.
    assert.ok(await waitFor(() => proposals(from).length > 0, 5000), 'sshd logged no proposal from ssh');
    assert.deepStrictEqual(supported(ours), supported(proposals(from)[0]), 'the same order as OpenSSH, for the algorithms ssh2 has');

    // The control: an explicit HostKeyAlgorithms list is kept as written (as OpenSSH does), so ed25519 is
    // negotiated and the host is unknown by that key.
    const explicit = sshConfig('known_ec_explicit', `[127.0.0.1]:${port} ${hostKey.ec.pub}\n`, ['HostKeyAlgorithms ssh-ed25519,ecdsa-sha2-nistp256']);
    const asked: HostKeyQuestion[] = [];
    await assert.rejects(
      connect(explicit.config, asked),
      (e: unknown) => e instanceof ConnectionError && e.reason === 'hostkey' && /cancelled: its host key was not trusted/.test(e.message),
    );
    assert.deepStrictEqual(
      asked.map((q) => [q.keyType, q.otherTypes]),
      [['ssh-ed25519', ['ecdsa-sha2-nistp256']]],
    );
  });

  it('HostKeyAlias: a new host is written under the bare alias, which ssh reads, and ssh writes the same line', async function () {
    const ours = sshConfig('alias_ours', '', ['HostKeyAlias NsxHK', 'StrictHostKeyChecking accept-new']);
    assert.deepStrictEqual(await connect(ours.config), []);
    const written = fs.readFileSync(ours.knownHosts, 'utf8');
    assert.strictEqual(written, `nsxhk ${hostKey.ed.pub}\n`);
    const strict = sshConfig('alias_strict', undefined, ['HostKeyAlias NsxHK', 'StrictHostKeyChecking yes']);
    fs.copyFileSync(ours.knownHosts, strict.knownHosts);
    const ssh = realSsh(strict.config);
    assert.strictEqual(ssh.status, 0, `ssh did not accept our line: ${ssh.stderr}`);
    assert.deepStrictEqual(await connect(strict.config), [], 'read back under the alias');

    const theirs = sshConfig('alias_theirs', '', ['HostKeyAlias NsxHK', 'StrictHostKeyChecking accept-new']);
    assert.strictEqual(realSsh(theirs.config).status, 0);
    assert.strictEqual(fs.readFileSync(theirs.knownHosts, 'utf8'), written, 'OpenSSH writes the same line');

    // Under an alias, [alias]:port is just another name: neither client uses it.
    const ported = sshConfig('alias_ported', `[nsxhk]:${port} ${hostKey.ed.pub}\n[127.0.0.1]:${port} ${hostKey.ed.pub}\n`, [
      'HostKeyAlias NsxHK',
      'StrictHostKeyChecking yes',
    ]);
    assert.strictEqual(realSsh(ported.config).status, 255);
    await assert.rejects(connect(ported.config), (e: unknown) => e instanceof ConnectionError && /host key of nsxhk is not known/.test(e.message));
  });

  it('a key in RevokedHostKeys is refused even though known_hosts has it, by both clients', async function () {
    const revoked = path.join(dir, 'revoked_keys');
    fs.writeFileSync(revoked, `# retired\n${hostKey.ed.pub} old host key\n`);
    const { config } = sshConfig('revoked', `[127.0.0.1]:${port} ${hostKey.ed.pub}\n[127.0.0.1]:${port} ${hostKey.ec.pub}\n`, [
      `RevokedHostKeys ${revoked}`,
      'StrictHostKeyChecking yes',
    ]);
    await assert.rejects(
      connect(config),
      (e: unknown) =>
        e instanceof ConnectionError &&
        e.reason === 'hostkey' &&
        e.message.includes(`is listed in your RevokedHostKeys file ${revoked}:2. Refusing to connect`),
    );
    const ssh = realSsh(config);
    assert.strictEqual(ssh.status, 255);
    assert.match(ssh.stderr, /revoked by file/);
  });

  it('an @revoked line in known_hosts is refused by both clients', async function () {
    const { config } = sshConfig('marked', `[127.0.0.1]:${port} ${hostKey.ed.pub}\n@revoked * ${hostKey.ed.pub}\n`, ['StrictHostKeyChecking yes']);
    await assert.rejects(connect(config), (e: unknown) => e instanceof ConnectionError && e.reason === 'hostkey' && /is marked @revoked in \S+:2/.test(e.message));
    const ssh = realSsh(config);
    assert.strictEqual(ssh.status, 255);
    assert.match(ssh.stderr, /REVOKED|revoked/);
  });

  it('a missing RevokedHostKeys file refuses the connection (fail closed), as ssh does', async function () {
    const missing = path.join(dir, 'no_such_revoked_keys');
    const { config } = sshConfig('revoked_missing', `[127.0.0.1]:${port} ${hostKey.ed.pub}\n`, [`RevokedHostKeys ${missing}`]);
    await assert.rejects(
      connect(config),
      (e: unknown) => e instanceof ConnectionError && e.reason === 'hostkey' && e.message.includes(`The RevokedHostKeys file ${missing} does not exist`),
    );
    const ssh = realSsh(config);
    assert.strictEqual(ssh.status, 255);
    assert.match(ssh.stderr, /revoked keys file/);
  });
});
