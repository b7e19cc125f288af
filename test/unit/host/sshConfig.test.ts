import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  listConcreteHosts,
  loadSshConfig,
  loadSshConfigText,
  LoadedSshConfig,
  resolveHost,
  ResolvedHost,
  SshConfigError,
  SshConfigFs,
} from '../../../src/host/sshConfig';
import { DEFAULT_HOST_KEY_ALGORITHMS, defaultHostKeyAlgorithms } from '../../../src/host/knownHosts';

const FIXTURES = path.resolve(__dirname, '../../../../test/unit/host/fixtures/sshConfig');
const HOME = '/home/alice';

/** An in-memory file system: path -> text. */
function memFs(files: Record<string, string>): SshConfigFs {
  return {
    async readFile(file) {
      return files[file];
    },
    async readDir(dir) {
      const prefix = dir.endsWith('/') ? dir : `${dir}/`;
      const names = new Set<string>();
      for (const f of Object.keys(files)) {
        if (f.startsWith(prefix)) {
          names.add(f.slice(prefix.length).split('/')[0]);
        }
      }
      return names.size > 0 ? [...names] : undefined;
    },
  };
}

async function configOf(text: string, extra: Record<string, string> = {}): Promise<LoadedSshConfig> {
  return loadSshConfig({
    homeDir: HOME,
    localUser: 'alice',
    localHostname: 'laptop.lan',
    uid: 1000,
    systemConfigPath: null,
    fs: memFs({ [`${HOME}/.ssh/config`]: text, ...extra }),
  });
}

/** Copy the fixture tree to a temp dir, replacing @DIR@ with it. */
function copyFixture(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-sshcfg-'));
  const copy = (from: string, to: string): void => {
    fs.mkdirSync(to, { recursive: true });
    for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
      const src = path.join(from, entry.name);
      const dst = path.join(to, entry.name);
      if (entry.isDirectory()) {
        copy(src, dst);
      } else {
        fs.writeFileSync(dst, fs.readFileSync(src, 'utf8').replace(/@DIR@/g, dir));
      }
    }
  };
  copy(FIXTURES, dir);
  return dir;
}

/** What OpenSSH itself resolves: `ssh -G -F config host`. */
function sshG(configFile: string, target: string): Map<string, string[]> {
  // ssh's command line takes no ":port" after user@host; pass it as -p.
  const m = /^([^:/]+):(\d+)$/.exec(target);
  const args = m ? ['-p', m[2], m[1]] : [target];
  const out = execFileSync('ssh', ['-G', '-F', configFile, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const map = new Map<string, string[]>();
  for (const line of out.split('\n')) {
    const m = /^(\S+) (.*)$/.exec(line);
    if (m) {
      const key = m[1].toLowerCase();
      map.set(key, [...(map.get(key) ?? []), m[2]]);
    }
  }
  return map;
}

describe('sshConfig', () => {
  describe('agrees with `ssh -G` on the fixture config', () => {
    let dir: string;
    let config: LoadedSshConfig;
    before(async () => {
      dir = copyFixture();
      // ssh -G uses the real home and user, and skips /etc/ssh/ssh_config with -F.
      config = await loadSshConfig({ configPath: path.join(dir, 'config'), systemConfigPath: null });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const strictOf = (v: string): string => ({ true: 'yes', false: 'no' })[v] ?? v;
    const targets = ['web', 'WEB', 'web.example.com', 'db', 'bastion', 'inner', 'x.prod', 'skip.prod', 'abc', 'abcd', 'gamma', 'delta', 'deploy@web:2', 'ssh://x@other:99', 'notconf', 'ignored-hidden'];
    for (const target of targets) {
      it(`resolves ${target} like ssh -G`, () => {
        const ours = resolveHost(config, target);
        const theirs = sshG(path.join(dir, 'config'), target);
        assert.strictEqual(ours.hostname, theirs.get('hostname')?.[0], 'hostname');
        assert.strictEqual(ours.user, theirs.get('user')?.[0], 'user');
        assert.strictEqual(String(ours.port), theirs.get('port')?.[0], 'port');
        assert.strictEqual(ours.identitiesOnly ? 'yes' : 'no', theirs.get('identitiesonly')?.[0], 'identitiesonly');
        assert.strictEqual(ours.strictHostKeyChecking, strictOf(theirs.get('stricthostkeychecking')![0]), 'stricthostkeychecking');
        assert.strictEqual(String(ours.serverAliveInterval), theirs.get('serveraliveinterval')?.[0], 'serveraliveinterval');
        assert.strictEqual(String(ours.serverAliveCountMax), theirs.get('serveralivecountmax')?.[0], 'serveralivecountmax');
        assert.strictEqual(ours.connectTimeout === null ? 'none' : String(ours.connectTimeout), theirs.get('connecttimeout')?.[0], 'connecttimeout');
        assert.strictEqual(ours.userKnownHostsFiles.join(' '), theirs.get('userknownhostsfile')?.[0], 'userknownhostsfile');
        const jump = theirs.get('proxyjump')?.[0];
        if (jump === undefined) {
          assert.deepStrictEqual(ours.proxyJump, []);
        }
        // ssh -G leaves IdentityFile tokens unexpanded; compare the count of files it would try.
        if (ours.identityFilesFromConfig) {
          assert.strictEqual(ours.identityFiles.length, theirs.get('identityfile')?.length, 'identityfile count');
        }
      });
    }

    it('applies Include globs in order, skipping dot files and non-matching names', () => {
      assert.deepStrictEqual(listConcreteHosts(config), ['web', 'gamma', 'delta', 'web.example.com', 'db', 'bastion', 'inner']);
    });

    it('expands IdentityFile tokens and ~ for the resolved host', () => {
      const web = resolveHost(config, 'web');
      assert.deepStrictEqual(web.identityFiles, [
        path.join(os.homedir(), '.ssh', 'web_from-include@web.internal.example.com:2222'),
        path.join(dir, 'keys', `${os.userInfo().username}_web`),
      ]);
      assert.strictEqual(web.hostname, 'web.internal.example.com');
    });

    it('resolves each ProxyJump hop through the config, hop user and port winning', () => {
      const db = resolveHost(config, 'db');
      const hops = db.proxyJump.map((h) => `${h.user}@${h.hostname}:${h.port}`);
      assert.deepStrictEqual(hops, ['jump@bastion.example.com:22', 'deploy@inner.example.com:2200']);
      assert.strictEqual(db.proxyJump[0].serverAliveInterval, 90);
      assert.strictEqual(db.proxyJump[0].serverAliveCountMax, 5);
      assert.strictEqual(db.strictHostKeyChecking, 'accept-new');
      assert.deepStrictEqual(db.userKnownHostsFiles, [path.join(os.homedir(), '.ssh/kh_db'), path.join(dir, 'kh_10.0.0.5')]);
      const theirs = sshG(path.join(dir, 'config'), 'db');
      assert.strictEqual(theirs.get('proxyjump')?.[0], 'bastion,deploy@inner:2200');
    });
  });

  describe('OpenSSH semantics', () => {
    it('gives OpenSSH defaults for an unknown host and a missing config file', async () => {
      const config = await configOf('');
      const missing = await loadSshConfig({ homeDir: HOME, localUser: 'alice', systemConfigPath: null, fs: memFs({}) });
      for (const c of [config, missing]) {
        const h = resolveHost(c, 'Server.Example.com');
        const expected: Partial<ResolvedHost> = {
          alias: 'Server.Example.com',
          hostname: 'server.example.com',
          port: 22,
          user: 'alice',
          identityFiles: [`${HOME}/.ssh/id_rsa`, `${HOME}/.ssh/id_ecdsa`, `${HOME}/.ssh/id_ed25519`],
          identityFilesFromConfig: false,
          identitiesOnly: false,
          proxyJump: [],
          userKnownHostsFiles: [`${HOME}/.ssh/known_hosts`, `${HOME}/.ssh/known_hosts2`],
          strictHostKeyChecking: 'ask',
          serverAliveInterval: 0,
          serverAliveCountMax: 3,
          connectTimeout: null,
        };
        for (const [k, v] of Object.entries(expected)) {
          assert.deepStrictEqual(h[k as keyof ResolvedHost], v, k);
        }
      }
    });

    it('lets the first obtained value win, but accumulates IdentityFile', async () => {
      const c = await configOf('Host x\n User one\n IdentityFile ~/a\nHost *\n User two\n IdentityFile ~/b\n IdentityFile ~/a\n');
      const h = resolveHost(c, 'x');
      assert.strictEqual(h.user, 'one');
      assert.deepStrictEqual(h.identityFiles, [`${HOME}/a`, `${HOME}/b`]);
    });

    it('lets user@host:port as typed win over the config', async () => {
      const c = await configOf('Host x\n User cfg\n Port 2000\n');
      const h = resolveHost(c, 'me@x:3000');
      assert.strictEqual(h.user, 'me');
      assert.strictEqual(h.port, 3000);
    });

    it('treats a negated pattern as ruling out the whole Host line, and ? as exactly one character', async () => {
      const c = await configOf('Host *.lan !nas.lan\n User lan\nHost h?\n Port 7\nHost Big\n Port 8\n');
      assert.strictEqual(resolveHost(c, 'Big').port, 8);
      assert.strictEqual(resolveHost(c, 'big').port, 22, 'Host lines are case-sensitive, as in OpenSSH');
      assert.strictEqual(resolveHost(c, 'pc.lan').user, 'lan');
      assert.strictEqual(resolveHost(c, 'nas.lan').user, 'alice');
      assert.strictEqual(resolveHost(c, 'h1').port, 7);
      assert.strictEqual(resolveHost(c, 'h').port, 22);
      assert.strictEqual(resolveHost(c, 'h12').port, 22);
    });

    it('evaluates Match host/user/originalhost/all and never runs Match exec', async () => {
      const canary = path.join(os.tmpdir(), `nsx-canary-${process.pid}`);
      const c = await configOf(
        `Host short\n HostName long.example.com\n` +
          `Match exec "touch ${canary}"\n Port 1\n` +
          `Match host long.example.com user alice\n Port 2\n` +
          `Match originalhost short\n User o\n` +
          `Match all\n ConnectTimeout 9\n`,
      );
      const h = resolveHost(c, 'short');
      assert.strictEqual(h.port, 2);
      assert.strictEqual(h.user, 'o');
      assert.strictEqual(h.connectTimeout, 9);
      assert.ok(!fs.existsSync(canary), 'Match exec must not run');
      assert.match(h.warnings.join('\n'), /Match exec.*not evaluated/);
    });

    it('handles Include relative to ~/.ssh, inside Host blocks, and stops runaway recursion', async () => {
      const c = await configOf('Host a\n Include extra\nHost b\n Port 9\n', {
        [`${HOME}/.ssh/extra`]: 'Port 1234\nHost c\n Port 4321\n',
      });
      assert.strictEqual(resolveHost(c, 'a').port, 1234);
      assert.strictEqual(resolveHost(c, 'b').port, 9);
      // Included from an inactive block, the file is read but none of it applies, not even its own Host c.
      assert.strictEqual(resolveHost(c, 'c').port, 22);
      assert.strictEqual(resolveHost(c, 'zzz').port, 22);
      await assert.rejects(
        configOf('Include ~/.ssh/config\n'),
        (err: Error) => err instanceof SshConfigError && /nested more than 16 deep/.test(err.message) && /line 1/.test(err.message),
      );
    });

    it('reads the system config after the user config, with includes relative to its folder', async () => {
      const c = await loadSshConfig({
        homeDir: HOME,
        localUser: 'alice',
        systemConfigPath: '/etc/ssh/ssh_config',
        fs: memFs({
          [`${HOME}/.ssh/config`]: 'Host x\n Port 1\n',
          '/etc/ssh/ssh_config': 'Include /etc/ssh/ssh_config.d/*.conf\nHost *\n Port 3\n User sys\n',
          '/etc/ssh/ssh_config.d/a.conf': 'ServerAliveInterval 15\n',
        }),
      });
      const h = resolveHost(c, 'x');
      assert.deepStrictEqual([h.port, h.user, h.serverAliveInterval], [1, 'sys', 15]);
    });

    it('follows ProxyJump of the first hop, honours "none", and reports loops', async () => {
      const c = await configOf(
        'Host t\n ProxyJump j1,j2\nHost j1\n ProxyJump j0\nHost j2\n ProxyJump ignored\nHost direct\n ProxyJump none\nHost *\n ProxyJump fallback\n' +
          'Host loop1\n ProxyJump loop2\nHost loop2\n ProxyJump loop1\n',
      );
      const c2 = await configOf('Host t\n ProxyJump j1,j2\nHost j1\n ProxyJump j0\nHost j2\n ProxyJump ignored\nHost j0 direct\n ProxyJump none\nHost loop1\n ProxyJump loop2\nHost loop2\n ProxyJump loop1\n');
      assert.deepStrictEqual(resolveHost(c2, 't').proxyJump.map((h) => h.alias), ['j0', 'j1', 'j2']);
      assert.deepStrictEqual(resolveHost(c2, 'direct').proxyJump, []);
      assert.deepStrictEqual(resolveHost(c, 'direct').proxyJump, []);
      assert.throws(() => resolveHost(c2, 'loop1'), /ProxyJump loops back/);
      assert.throws(() => resolveHost(c, 'x'), /ProxyJump/); // fallback -> fallback -> ... loops
    });

    it('accepts ssh:// and [v6]:port hops in ProxyJump', async () => {
      const c = await configOf('Host t\n ProxyJump ssh://u@j1:2022,[fe80::1]:2200\n');
      assert.deepStrictEqual(
        resolveHost(c, 't').proxyJump.map((h) => [h.user, h.hostname, h.port]),
        [
          ['u', 'j1', 2022],
          ['alice', 'fe80::1', 2200],
        ],
      );
    });

    it('expands %h in HostName and every IdentityFile token', async () => {
      const c = await configOf('Host x\n HostName %h.lan\n User bob\n Port 23\n IdentityFile ~/k_%d_%u_%h_%r_%p_%l_%L_%n_%i_%%\n IdentityFile %d/c_%C\n');
      const h = resolveHost(c, 'x');
      assert.strictEqual(h.hostname, 'x.lan');
      assert.strictEqual(h.identityFiles[0], `${HOME}/k_${HOME}_alice_x.lan_bob_23_laptop.lan_laptop_x_1000_%`);
      assert.match(h.identityFiles[1], /^\/home\/alice\/c_[0-9a-f]{40}$/);
    });

    it('parses every StrictHostKeyChecking spelling and timing units', async () => {
      const c = await configOf(
        'Host a\n StrictHostKeyChecking off\nHost b\n StrictHostKeyChecking Yes\nHost c\n StrictHostKeyChecking accept-new\nHost d\n StrictHostKeyChecking ask\n' +
          'Host e\n ServerAliveInterval 2m\n ConnectTimeout none\n ServerAliveCountMax 0\nHost f\n UserKnownHostsFile none\n',
      );
      assert.deepStrictEqual(['a', 'b', 'c', 'd'].map((h) => resolveHost(c, h).strictHostKeyChecking), ['no', 'yes', 'accept-new', 'ask']);
      const e = resolveHost(c, 'e');
      assert.deepStrictEqual([e.serverAliveInterval, e.connectTimeout, e.serverAliveCountMax], [120, null, 0]);
      assert.deepStrictEqual(resolveHost(c, 'f').userKnownHostsFiles, []);
    });

    it('names the file and line of a bad value, and what to write instead', async () => {
      const cases: [string, RegExp][] = [
        ['Host x\n Port 70000\n', /config line 2: Port "70000" is not a port number; use 1 to 65535/],
        ['Host x\n StrictHostKeyChecking maybe\n', /line 2: StrictHostKeyChecking must be yes, no, accept-new, ask or off/],
        ['Host x\n IdentityFile ~/k_%z\n', /line 2: "~\/k_%z" uses the unknown token %z/],
        ['Host x\n HostName %r.lan\n', /line 2: .*unknown token %r \(HostName accepts only %h and %%\)/],
        ['Host x\n ProxyJump a,,b\n', /line 2: ProxyJump "a,,b" has an empty hop/],
        ['Host x\n ProxyJump a:0\n', /line 2: ProxyJump hop "a:0": Port 0/],
        ['Host x\n IdentitiesOnly sure\n', /line 2: IdentitiesOnly must be yes or no/],
        ['Match foo bar\n', /line 1: Match has an unsupported criterion "foo"/],
        ['Host x\n ServerAliveInterval soon\n', /line 2: ServerAliveInterval "soon" is not a time/],
      ];
      for (const [text, re] of cases) {
        const c = await configOf(text);
        assert.throws(() => resolveHost(c, 'x'), (err: Error) => err instanceof SshConfigError && re.test(err.message), text);
      }
    });

    it('refuses "local" and malformed targets with the target parser\'s message', async () => {
      const c = await configOf('');
      assert.throws(() => resolveHost(c, 'local'), /This machine/);
      assert.throws(() => resolveHost(c, 'a b'), /contains a space/);
    });

    it('expands ProxyCommand tokens exactly as ssh does before running it', async () => {
      // The expectation is what ssh itself runs: a ProxyCommand that records its arguments, then exits.
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-pc-'));
      try {
        const out = path.join(dir, 'out');
        // It writes before ssh can give up on it (ssh kills its ProxyCommand when the connection fails).
        const text = `Host x\n HostName h.example\n User bob\n Port 2200\n ProxyCommand sh -c 'printf "[%%s]\\n" "$@" >${out}; sleep 1' sh %h %p %r %n %% "a b"\n`;
        const file = path.join(dir, 'config');
        fs.writeFileSync(file, text);
        spawnSync('ssh', ['-F', file, '-o', 'BatchMode=yes', 'x', 'true'], { encoding: 'utf8', timeout: 10_000 });
        const theirs = fs.readFileSync(out, 'utf8');
        fs.rmSync(out);
        const h = resolveHost(await loadSshConfig({ configPath: file, systemConfigPath: null }), 'x');
        assert.ok(h.proxyCommand);
        execFileSync('/bin/sh', ['-c', `exec ${h.proxyCommand}`]);
        assert.strictEqual(fs.readFileSync(out, 'utf8'), theirs);
        assert.strictEqual(theirs, '[h.example]\n[2200]\n[bob]\n[x]\n[%]\n[a b]\n');
        assert.deepStrictEqual(h.opensshOnly, [], 'ssh2 runs ProxyCommand too');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('lets the first of ProxyCommand and ProxyJump win, and runs only the first hop\'s ProxyCommand', async () => {
      const c = await configOf('Host a\n ProxyJump j\n ProxyCommand nc %h %p\nHost b\n ProxyCommand nc %h %p\n ProxyJump j\nHost j\n ProxyCommand nc -X 5 %h %p\n');
      const a = resolveHost(c, 'a');
      assert.strictEqual(a.proxyCommand, null);
      assert.strictEqual(a.proxyJump[0].proxyCommand, 'nc -X 5 j 22');
      const b = resolveHost(c, 'b');
      assert.strictEqual(b.proxyCommand, 'nc b 22');
      assert.deepStrictEqual(b.proxyJump, []);
      assert.strictEqual(resolveHost(c, 'j').proxyCommand, 'nc -X 5 j 22');
    });

    it('reads IdentityAgent and lists what only OpenSSH can do, by file and line', async () => {
      const c = await configOf(
        'Host a\n IdentityAgent ~/agent.sock\nHost b\n IdentityAgent none\n GSSAPIAuthentication yes\n' +
          'Host c\n IdentityAgent SSH_AUTH_SOCK\n CertificateFile ~/.ssh/id_ed25519-cert.pub\n PKCS11Provider /usr/lib/opensc-pkcs11.so\n' +
          'Match exec "true"\n User z\n',
      );
      const a = resolveHost(c, 'a');
      assert.strictEqual(a.identityAgent, `${HOME}/agent.sock`);
      assert.deepStrictEqual(a.opensshOnly, ['/home/alice/.ssh/config line 10: Match exec']);
      const b = resolveHost(c, 'b');
      assert.strictEqual(b.identityAgent, 'none');
      assert.match(b.gssapi ?? '', /line 5: GSSAPIAuthentication yes \(Kerberos\)/);
      assert.doesNotMatch(b.opensshOnly.join('\n'), /GSSAPI/);
      const cc = resolveHost(c, 'c');
      assert.strictEqual(cc.identityAgent, 'SSH_AUTH_SOCK');
      assert.deepStrictEqual(cc.certificateFiles, [`${HOME}/.ssh/id_ed25519-cert.pub`]);
      assert.match(cc.opensshOnly.join('\n'), /line 8: CertificateFile.*\n.*line 9: PKCS11Provider/);
      assert.strictEqual(resolveHost(c, 'zz').identityAgent, null);
    });

    it('skips Match exec after a criterion that failed, as OpenSSH does, so only hosts that reach it need OpenSSH', async () => {
      const c = await configOf('Match originalhost special exec "true"\n User z\n');
      assert.deepStrictEqual(resolveHost(c, 'plain').opensshOnly, []);
      assert.deepStrictEqual(resolveHost(c, 'plain').warnings, []);
      assert.deepStrictEqual(resolveHost(c, 'special').opensshOnly, ['/home/alice/.ssh/config line 1: Match exec']);
    });

    it('lists concrete Host names for a picker, without wildcards or negations', async () => {
      // Host lines take space-separated patterns; "f,g" is one literal pattern, no use in a picker.
      const c = await configOf('Host a b *.x !c\nHost a d?\nMatch host e\nHost f,g h\n');
      assert.deepStrictEqual(listConcreteHosts(c), ['a', 'b', 'h']);
    });

    it('reads HostKeyAlias lowercased, RevokedHostKeys with ~ and tokens, HostKeyAlgorithms assembled', async () => {
      const text =
        'Host web\n HostName 10.0.0.7\n Port 2222\n HostKeyAlias Web.Prod\n RevokedHostKeys ~/.ssh/revoked_%h_%p_%u_%k\n HostKeyAlgorithms +ssh-dss\n' +
        'Host plain\n RevokedHostKeys none\n HostKeyAlgorithms ssh-ed25519-cert-v01@openssh.com,ssh-ed25519\n' +
        'Host bad\n HostKeyAlgorithms ssh-ed25519,nonsense\n' +
        'Host two\n RevokedHostKeys /a /b\n';
      const c = await configOf(text);
      const web = resolveHost(c, 'web');
      assert.strictEqual(web.hostKeyAlias, 'web.prod');
      assert.strictEqual(web.revokedHostKeys, `${HOME}/.ssh/revoked_10.0.0.7_2222_alice_web.prod`);
      assert.deepStrictEqual(web.hostKeyAlgorithms, { algorithms: [...DEFAULT_HOST_KEY_ALGORITHMS, 'ssh-dss'], preferKnown: true, unsupported: [] });
      const plain = resolveHost(c, 'plain');
      assert.strictEqual(plain.revokedHostKeys, null);
      assert.deepStrictEqual([plain.hostKeyAlgorithms.algorithms, plain.hostKeyAlgorithms.preferKnown], [['ssh-ed25519'], false]);
      assert.match(plain.warnings[0], /line 9: HostKeyAlgorithms ssh-ed25519-cert-v01@openssh\.com cannot be used here/);
      const other = resolveHost(c, 'other');
      assert.deepStrictEqual([other.hostKeyAlias, other.revokedHostKeys, other.hostKeyAlgorithms], [null, null, defaultHostKeyAlgorithms()]);
      assert.throws(() => resolveHost(c, 'bad'), (e: Error) => e instanceof SshConfigError && /line 11: HostKeyAlgorithms names unknown algorithms: nonsense/.test(e.message));
      assert.throws(() => resolveHost(c, 'two'), /line 13: revokedhostkeys takes one value/);

      // ssh -G agrees on the alias and prints RevokedHostKeys unexpanded (ssh expands it when connecting).
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-sshcfg-hk-'));
      try {
        const file = path.join(dir, 'config');
        fs.writeFileSync(file, text.split('Host bad')[0]);
        const theirs = sshG(file, 'web');
        assert.strictEqual(theirs.get('hostkeyalias')?.[0], web.hostKeyAlias);
        assert.strictEqual(theirs.get('revokedhostkeys')?.[0], '~/.ssh/revoked_%h_%p_%u_%k');
        assert.strictEqual(sshG(file, 'plain').get('revokedhostkeys'), undefined, 'none is no file');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('parses config text from an editor buffer', async () => {
      const c = await loadSshConfigText('Host buf\n Port 99\n', '/tmp/unsaved', { homeDir: HOME, localUser: 'alice', fs: memFs({}) });
      assert.strictEqual(resolveHost(c, 'buf').port, 99);
    });
  });
});
