import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { inspect } from 'util';
import { identityFromData, loadIdentities, loadIdentity } from '../../../src/host/identity';

describe('identity', function () {
  // Decrypting an OpenSSH key runs bcrypt-pbkdf (16 rounds by default): about a second per attempt.
  this.timeout(30000);
  let dir: string;
  const keygen = (name: string, ...args: string[]): string => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-C', `test-${name}`, '-f', file, ...args]);
    return file;
  };
  let ed: string, ec: string, rsaPem: string, rsa: string, enc: string, encPem: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-identity-'));
    ed = keygen('id_ed25519', '-t', 'ed25519', '-N', '');
    ec = keygen('id_ecdsa', '-t', 'ecdsa', '-N', '');
    rsa = keygen('id_rsa', '-t', 'rsa', '-b', '2048', '-N', '');
    rsaPem = keygen('id_rsa_pem', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', '');
    enc = keygen('id_enc', '-t', 'ed25519', '-N', 'phrase');
    encPem = keygen('id_enc_pem', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'phrase');
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('loads OpenSSH ed25519, ECDSA and RSA keys and PEM RSA keys made by ssh-keygen', async () => {
    const results = await loadIdentities([ed, ec, rsa, rsaPem]);
    assert.deepStrictEqual(
      results.map((r) => [r.kind, r.keyType]),
      [
        ['ok', 'ssh-ed25519'],
        ['ok', 'ecdsa-sha2-nistp256'],
        ['ok', 'ssh-rsa'],
        ['ok', 'ssh-rsa'],
      ],
    );
    assert.ok(results[3].privateKey?.equals(fs.readFileSync(rsaPem)));
  });

  for (const [name, file] of [['OpenSSH ed25519', () => enc], ['PEM RSA', () => encPem]] as const) {
    it(`tells a passphrase-protected ${name} key apart: none given, wrong, right`, async () => {
      const none = await loadIdentity(file());
      assert.strictEqual(none.kind, 'encrypted');
      assert.strictEqual(none.passphrase, 'needed');
      assert.match(none.message, new RegExp(`${file()} is protected by a passphrase`));
      const wrong = await loadIdentity(file(), { passphrase: 'wrong' });
      assert.strictEqual(wrong.kind, 'encrypted');
      assert.strictEqual(wrong.passphrase, 'wrong');
      assert.match(wrong.message, /passphrase for identity file .* is wrong/);
      const right = await loadIdentity(file(), { passphrase: 'phrase' });
      assert.strictEqual(right.kind, 'ok');
      assert.ok(right.privateKey && right.privateKey.length > 0);
    });
  }

  it('never exposes key material through JSON, inspect or the message', async () => {
    const r = await loadIdentity(ed);
    const keyText = fs.readFileSync(ed, 'utf8');
    const body = keyText.split('\n')[1];
    for (const shown of [JSON.stringify(r), inspect(r, { depth: 5, showHidden: false }), r.message]) {
      assert.ok(!shown.includes(body), shown);
      assert.ok(!shown.includes('PRIVATE KEY'), shown);
    }
  });

  it('reports missing, unreadable, public and garbage files with what to do', async () => {
    const missing = await loadIdentity(path.join(dir, 'nope'), { displayPath: () => '~/.ssh/nope' });
    assert.deepStrictEqual([missing.kind, missing.message], ['unreadable', 'Cannot read identity file ~/.ssh/nope: it does not exist. Check the IdentityFile path in your ssh config.']);
    const folder = await loadIdentity(dir);
    assert.strictEqual(folder.kind, 'unreadable');
    assert.match(folder.message, /is a folder/);
    const denied = await loadIdentity(ed, { fs: { readFile: () => Promise.reject(Object.assign(new Error('x'), { code: 'EACCES' })) } });
    assert.match(denied.message, /permission denied/);
    const pub = await loadIdentity(`${ed}.pub`);
    assert.strictEqual(pub.kind, 'invalid');
    assert.match(pub.message, /holds a public key \(ssh-ed25519\).*without "\.pub"/);
    const junk = identityFromData('/k', Buffer.from('hello'));
    assert.strictEqual(junk.kind, 'invalid');
    assert.match(junk.message, /^Identity file \/k is not a private key ssh can use/);
  });
});
