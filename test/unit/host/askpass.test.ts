import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AskpassBridge, AskpassQuestion, classifyAskpassPrompt } from '../../../src/host/askpass';
import { Logger } from '../../../src/host/log';

const FIXTURE = path.resolve(__dirname, '../../../../test/unit/host/fixtures/askpass/openssh-9.2-prompts.txt');

/** Prompts as OpenSSH 9.2 passed them to SSH_ASKPASS (captured by a recording askpass against the lab). */
function capturedPrompts(): Array<{ prompt: string; hint: string }> {
  const text = fs.readFileSync(FIXTURE, 'utf8');
  return [...text.matchAll(/([\s\S]*?)\n<<<hint=(.*?)>>>\n/g)].map((m) => ({ prompt: m[1], hint: m[2] }));
}

/** Runs the bridge's SSH_ASKPASS script as ssh does: the prompt as argv[1], the answer read from stdout. */
function askAsSsh(bridge: AskpassBridge, prompt: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(bridge.env().SSH_ASKPASS, [prompt], { env: { ...process.env, ...bridge.env(), ...env }, stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('askpass bridge', () => {
  it('classifies the prompts OpenSSH really sends', () => {
    const got = capturedPrompts().map((p) => classifyAskpassPrompt(p.prompt, p.hint || undefined));
    assert.strictEqual(got.length, 5);
    const [hostKey, passphrase, kbdPassword, password] = got;
    assert.deepStrictEqual({ ...hostKey, text: undefined }, {
      kind: 'hostKey', host: '127.0.0.1', port: 2222, keyType: 'ED25519',
      fingerprint: 'SHA256:VSgPuDC2aGQwnjYir3qKMdLccQvjb4VAPWc46CeneUI', text: undefined,
    });
    assert.deepStrictEqual(passphrase, { kind: 'passphrase', keyPath: '/run/nsx-lab/keys/id_ed25519_enc' });
    assert.deepStrictEqual(kbdPassword, { kind: 'password', user: 'nsxpass', host: '127.0.0.1' });
    assert.deepStrictEqual(password, { kind: 'password', user: 'nsxpass', host: '127.0.0.1' });
  });

  it('reads the newer passphrase wording, a plain-port host, notices and anything else', () => {
    assert.deepStrictEqual(classifyAskpassPrompt("Enter passphrase for ED25519 key '/home/a/.ssh/id': ", undefined), { kind: 'passphrase', keyPath: '/home/a/.ssh/id' });
    const q = classifyAskpassPrompt("The authenticity of host 'web (10.0.0.5)' can't be established.\nECDSA key fingerprint is SHA256:abc.\nAre you sure you want to continue connecting (yes/no/[fingerprint])? ", undefined);
    assert.strictEqual(q.kind === 'hostKey' && `${q.host}:${q.port}:${q.keyType}`, 'web:22:ECDSA');
    assert.deepStrictEqual(classifyAskpassPrompt('Confirm user presence for key ED25519-SK SHA256:x', 'none'), { kind: 'notice', text: 'Confirm user presence for key ED25519-SK SHA256:x' });
    assert.deepStrictEqual(classifyAskpassPrompt('Verification code: ', undefined), { kind: 'other', text: 'Verification code:' });
  });

  it('answers through the socket to ssh\'s pipe, counts retries, and keeps no answer in its folder', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-askpass-'));
    const asked: Array<[AskpassQuestion['kind'], boolean]> = [];
    const secret = 'pa$$ word \'"`; $(touch x)';
    const bridge = new AskpassBridge(dir, async (q, retry) => {
      asked.push([q.kind, retry]);
      return q.kind === 'password' ? secret : undefined;
    }, new Logger('test'));
    await bridge.start();
    try {
      assert.deepStrictEqual(await askAsSsh(bridge, "bob@web's password: "), { code: 0, stdout: `${secret}\n` });
      assert.deepStrictEqual(await askAsSsh(bridge, "bob@web's password: "), { code: 0, stdout: `${secret}\n` });
      // Cancelled: askpass exits non-zero and prints nothing, as ssh expects.
      assert.deepStrictEqual(await askAsSsh(bridge, 'Verification code: '), { code: 1, stdout: '' });
      assert.deepStrictEqual(asked, [['password', false], ['password', true], ['other', false]]);
      // A client without the token gets nothing, and the handler is not asked.
      assert.deepStrictEqual(await askAsSsh(bridge, "bob@web's password: ", { NSX_ASKPASS_TOKEN: 'guess' }), { code: 1, stdout: '' });
      assert.strictEqual(asked.length, 3);
      for (const name of fs.readdirSync(dir)) {
        const p = path.join(dir, name);
        if (fs.statSync(p).isFile()) {
          assert.ok(!fs.readFileSync(p, 'utf8').includes('pa$$'), `${name} holds the answer`);
        }
      }
      assert.ok(!fs.existsSync(path.join(process.cwd(), 'x')), 'the answer was run by a shell');
    } finally {
      bridge.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
