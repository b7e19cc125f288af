import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  appendKnownHost,
  entryMatchesHost,
  fingerprintSha256,
  formatKnownHostsLine,
  keyTypeOfBlob,
  parseKnownHosts,
  verifyHostKey,
} from '../../../src/host/knownHosts';

const FIXTURES = path.resolve(__dirname, '../../../../test/unit/host/fixtures/knownHosts');

interface TestKey {
  type: string;
  blob: Buffer;
  pubFile: string;
  pubLine: string;
}

/** True when `ssh-keygen -F name -f file` finds an entry for the name. */
function keygenFinds(name: string, file: string): boolean {
  const r = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

describe('knownHosts', () => {
  let dir: string;
  const keys: Record<string, TestKey> = {};
  const makeKey = (name: string, ...args: string[]): TestKey => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-N', '', '-C', name, '-f', file, ...args]);
    const pubLine = fs.readFileSync(`${file}.pub`, 'utf8').trim();
    const [type, b64] = pubLine.split(' ');
    return { type, blob: Buffer.from(b64, 'base64'), pubFile: `${file}.pub`, pubLine };
  };
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  };

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-knownhosts-'));
    keys.ed = makeKey('ed', '-t', 'ed25519');
    keys.ed2 = makeKey('ed2', '-t', 'ed25519');
    keys.ec = makeKey('ec', '-t', 'ecdsa');
    keys.rsa = makeKey('rsa', '-t', 'rsa', '-b', '2048');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('computes the same SHA256 fingerprint as ssh-keygen -l for every key type', () => {
    for (const key of Object.values(keys)) {
      const out = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', key.pubFile], { encoding: 'utf8' });
      assert.strictEqual(fingerprintSha256(key.blob), out.split(' ')[1]);
      assert.strictEqual(keyTypeOfBlob(key.blob), key.type);
    }
  });

  describe('matching agrees with ssh-keygen -F, plain and after ssh-keygen -H', () => {
    const entries = (k: Record<string, TestKey>): string =>
      [
        '# comment',
        '',
        `plain.example.com ${k.ed.pubLine}`,
        `alias1,alias2,192.0.2.10 ${k.ec.pubLine}`,
        `[ported.example.com]:2222 ${k.ed.pubLine}`,
        `[both.example.com]:2222,both.example.com ${k.rsa.pubLine}`,
        `*.wild.example.com,!deny.wild.example.com ${k.ed.pubLine}`,
        `h?.example.com ${k.ed.pubLine}`,
        `MiXeD.Example.COM ${k.ed.pubLine}`,
      ].join('\n') + '\n';
    const queries: [string, number][] = [
      ['plain.example.com', 22],
      ['plain.example.com', 2222],
      ['alias2', 22],
      ['192.0.2.10', 22],
      ['ported.example.com', 2222],
      ['ported.example.com', 22],
      ['both.example.com', 22],
      ['both.example.com', 2222],
      ['a.wild.example.com', 22],
      ['deny.wild.example.com', 22],
      ['h1.example.com', 22],
      ['h12.example.com', 22],
      ['mixed.example.com', 22],
      ['nowhere.example.com', 22],
    ];
    for (const hashed of [false, true]) {
      it(hashed ? 'hashed file' : 'plain file', async () => {
        const file = write(hashed ? 'kh_hashed' : 'kh_plain', entries(keys));
        if (hashed) {
          execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
          assert.match(fs.readFileSync(file, 'utf8'), /^\|1\|/m, 'ssh-keygen -H hashed something');
        }
        const parsed = parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
        assert.deepStrictEqual(parsed.problems, []);
        for (const [host, port] of queries) {
          const name = port === 22 ? host : `[${host}]:${port}`;
          const ours = parsed.entries.some((e) => entryMatchesHost(e.hosts, host, port));
          assert.strictEqual(ours, keygenFinds(name, file), `${name} in ${hashed ? 'hashed' : 'plain'} file`);
        }
        assert.deepStrictEqual(await verifyHostKey({ host: 'plain.example.com', port: 22, keyBlob: keys.ed.blob }, [file]), {
          status: 'known',
          file,
          line: 3,
        });
        assert.strictEqual((await verifyHostKey({ host: 'ported.example.com', port: 2222, keyBlob: keys.ed.blob }, [file])).status, 'known');
        assert.strictEqual((await verifyHostKey({ host: 'ported.example.com', port: 22, keyBlob: keys.ed.blob }, [file])).status, 'unknown');
      });
    }
  });

  it('reports a changed key of the same type with the file and line of the old one', async () => {
    const file = write('kh_changed', `# x\nserver ${keys.ed.pubLine}\nserver ${keys.rsa.pubLine}\n`);
    assert.deepStrictEqual(await verifyHostKey({ host: 'server', port: 22, keyType: 'ssh-ed25519', keyBlob: keys.ed2.blob }, [file]), {
      status: 'changed',
      file,
      line: 2,
      knownType: 'ssh-ed25519',
    });
  });

  it('treats a host known only by other key types as unknown, listing those types', async () => {
    const file = write('kh_other', `server ${keys.rsa.pubLine}\nserver ${keys.ec.pubLine}\n`);
    assert.deepStrictEqual(await verifyHostKey({ host: 'server', port: 22, keyBlob: keys.ed.blob }, [file]), {
      status: 'unknown',
      otherTypes: ['ssh-rsa', 'ecdsa-sha2-nistp256'],
    });
    // An RSA key announced by its signature algorithm is still an ssh-rsa key.
    assert.strictEqual((await verifyHostKey({ host: 'server', port: 22, keyType: 'rsa-sha2-512', keyBlob: keys.rsa.blob }, [file])).status, 'known');
  });

  it('refuses a revoked key even when it is also listed as known', async () => {
    const file = write('kh_revoked', `server ${keys.ed.pubLine}\n@revoked * ${keys.ed.pubLine}\n`);
    assert.deepStrictEqual(await verifyHostKey({ host: 'server', port: 22, keyBlob: keys.ed.blob }, [file]), { status: 'revoked', file, line: 2 });
  });

  it('ignores @cert-authority lines for matching and reads several files, skipping missing ones', async () => {
    const ca = write('kh_ca', `@cert-authority server ${keys.ed.pubLine}\n`);
    const second = write('kh_second', `server ${keys.ec.pubLine}\n`);
    const verdict = await verifyHostKey({ host: 'server', port: 22, keyBlob: keys.ed.blob }, [path.join(dir, 'missing'), ca, second]);
    assert.deepStrictEqual(verdict, { status: 'unknown', otherTypes: ['ecdsa-sha2-nistp256'] });
    assert.strictEqual((await verifyHostKey({ host: 'server', port: 22, keyBlob: keys.ec.blob }, [ca, second])).status, 'known');
  });

  it('skips and reports malformed lines by line number without crashing', () => {
    const file = path.join(FIXTURES, 'odd_known_hosts');
    const parsed = parseKnownHosts(fs.readFileSync(file, 'utf8'), file);
    assert.deepStrictEqual(
      parsed.entries.map((e) => [e.line, e.marker, e.comment]),
      [[3, 'cert-authority', 'ca@example']],
    );
    assert.deepStrictEqual(
      parsed.problems.map((p) => [p.line, p.message]),
      [
        [4, 'unknown marker "@bogus"; only @revoked and @cert-authority exist.'],
        [5, 'expected "hosts key-type base64-key [comment]".'],
        [6, 'the key of type ssh-ed25519 is not valid base64.'],
        [7, 'the line says ssh-rsa but the key is ssh-ed25519.'],
        [8, 'the hashed host name is malformed (expected |1|salt|hash).'],
      ],
    );
  });

  it('formats lines ssh-keygen -F finds, plain, with a port, and hashed', async () => {
    const lines = [
      formatKnownHostsLine('Plain.Example.com', 22, keys.ed.type, keys.ed.blob),
      formatKnownHostsLine('ported.example.com', 2222, keys.rsa.type, keys.rsa.blob),
      formatKnownHostsLine('hashed.example.com', 2200, 'ecdsa-sha2-nistp256', keys.ec.blob, { hash: true }),
    ];
    assert.strictEqual(lines[0], `plain.example.com ${keys.ed.type} ${keys.ed.blob.toString('base64')}`);
    assert.ok(lines[1].startsWith('[ported.example.com]:2222 ssh-rsa '));
    assert.match(lines[2], /^\|1\|[A-Za-z0-9+/]{27}=\|[A-Za-z0-9+/]{27}= ecdsa-sha2-nistp256 /);
    const file = write('kh_formatted', lines.join('\n') + '\n');
    assert.ok(keygenFinds('plain.example.com', file));
    assert.ok(keygenFinds('[ported.example.com]:2222', file));
    assert.ok(!keygenFinds('ported.example.com', file));
    assert.ok(keygenFinds('[hashed.example.com]:2200', file));
    assert.throws(() => formatKnownHostsLine('h', 22, 'ssh-rsa', keys.ed.blob), /Refusing to record a ssh-rsa host key whose data is ssh-ed25519/);
  });

  it('appends, creating ~/.ssh 0700 and known_hosts 0600, and repairs a missing final newline', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-home-'));
    try {
      const file = path.join(home, '.ssh', 'known_hosts');
      await appendKnownHost(file, formatKnownHostsLine('one', 22, keys.ed.type, keys.ed.blob));
      assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600);
      fs.appendFileSync(file, `# no newline at end`);
      await appendKnownHost(file, formatKnownHostsLine('two', 2222, keys.ec.type, keys.ec.blob) + '\n');
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.endsWith('\n'));
      assert.strictEqual(text.split('\n').length, 4);
      assert.ok(keygenFinds('one', file));
      assert.ok(keygenFinds('[two]:2222', file));
      assert.strictEqual((await verifyHostKey({ host: 'two', port: 2222, keyBlob: keys.ec.blob }, [file])).status, 'known');
      await assert.rejects(appendKnownHost(file, 'a\nb'), /must be one line/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
