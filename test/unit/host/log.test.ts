import * as assert from 'assert';
import { forgetSecret, heldSecretCount, Logger, LogLevel, redact, SecretScope, setLogSink } from '../../../src/host/log';
import { decidePrivilege, forgetPrivilege, RawRunner } from '../../../src/host/privilege';
import { SshConnection } from '../../../src/host/sshConnection';
import type { ResolvedHost } from '../../../src/host/sshConfig';

describe('log hygiene', () => {
  let lines: Array<{ level: LogLevel; line: string }> = [];
  const log = new Logger('test');
  const all = () => lines.map((l) => l.line).join('\n');

  beforeEach(() => {
    lines = [];
    setLogSink({ log: (level, line) => lines.push({ level, line }) });
  });

  afterEach(() => {
    setLogSink({ log: () => undefined });
  });

  it('masks a 1-character password', () => {
    const scope = new SecretScope();
    scope.add('Q');
    try {
      log.info('sudo -S answered for password Q');
      assert.strictEqual(lines[0].line, '[test] sudo -S answered for password ***');
    } finally {
      scope.forget();
    }
  });

  it('masks a password inside a longer line and a longer word', () => {
    const scope = new SecretScope();
    scope.add('hunter2');
    try {
      log.warn('stderr: xxhunter2yy: command not found; again hunter2.');
      assert.strictEqual(lines[0].line, '[test] stderr: xx***yy: command not found; again ***.');
    } finally {
      scope.forget();
    }
  });

  it('masks a secret that contains another whole, longest first', () => {
    const a = new SecretScope();
    a.add('pw');
    a.add('pw-long-pw');
    try {
      log.info('<pw-long-pw> <pw>');
      assert.strictEqual(lines[0].line, '[test] <***> <***>');
    } finally {
      a.forget();
    }
  });

  it('masks a secret with a backslash or a control character also in its escaped form', () => {
    const scope = new SecretScope();
    scope.add('a\\b');
    scope.add('c\td');
    try {
      log.info('raw a\\b and c\td');
      assert.strictEqual(lines[0].line, '[test] raw *** and ***');
      assert.ok(!all().includes('a\\\\b') && !all().includes('c\\td'));
    } finally {
      scope.forget();
    }
  });

  it('forgets a scope\'s secrets on forget(), after masking them until then', () => {
    const before = heldSecretCount();
    const scope = new SecretScope();
    scope.add('s3cret-sudo');
    scope.add('x');
    assert.strictEqual(heldSecretCount(), before + 2);
    log.info('using s3cret-sudo');
    assert.strictEqual(lines[0].line, '[test] using ***');
    scope.forget();
    assert.strictEqual(heldSecretCount(), before);
    assert.strictEqual(scope.size, 0);
    log.info('using s3cret-sudo');
    assert.strictEqual(lines[1].line, '[test] using s3cret-sudo', 'a forgotten secret is no longer held by the log');
  });

  it('keeps masking a secret another scope still holds', () => {
    const a = new SecretScope();
    const b = new SecretScope();
    a.add('shared-pw');
    b.add('shared-pw');
    a.forget();
    log.info('shared-pw');
    assert.strictEqual(lines[0].line, '[test] ***');
    b.forget();
  });

  it('redact() without a scope has no minimum length either, and forgetSecret drops it', () => {
    redact('k');
    try {
      log.info('key k');
      assert.strictEqual(lines[0].line, '[test] ***ey ***');
    } finally {
      forgetSecret('k');
    }
    log.info('key k');
    assert.strictEqual(lines[1].line, '[test] key k');
  });

  it('escapes control characters in a message, keeping only a final newline', () => {
    log.info('netns nsx-evil\x1b[31m\nx added\n');
    log.info('fake\r\n2020-01-01 [error] line');
    assert.strictEqual(lines[0].line, '[test] netns nsx-evil\\x1b[31m\\nx added\n');
    assert.strictEqual(lines[1].line, '[test] fake\\r\\n2020-01-01 [error] line');
    // eslint-disable-next-line no-control-regex -- control characters are what is looked for
    assert.ok(!/[\x00-\x09\x0b-\x1f\x7f-\x9f]/.test(all()));
  });

  it('still replaces private key material', () => {
    log.error('key: -----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY----- end');
    assert.strictEqual(lines[0].line, '[test] key: [private key] end');
  });
});

describe('sudo passwords and passphrases in the log', () => {
  let lines: string[] = [];
  beforeEach(() => {
    lines = [];
    setLogSink({ log: (_level, line) => lines.push(line) });
  });
  afterEach(() => setLogSink({ log: () => undefined }));

  /** A host where sudo wants the password `right` and echoes the password tried on stderr. */
  const runner = (right: string): RawRunner => async (argv, mode, stdin) => {
    if (argv[0] === 'sh') return { code: 0, stdout: '1000\nalice\n/usr/bin/sudo\n', stderr: '' };
    if (mode.kind === 'sudo-nopasswd') return { code: 1, stdout: '', stderr: 'sudo: a password is required' };
    const tried = String(stdin ?? '').split('\n')[0];
    return tried === right ? { code: 0, stdout: '', stderr: '' } : { code: 1, stdout: '', stderr: `Sorry, try again (got ${tried}).` };
  };

  it('masks every sudo password tried, typed or stored, even one character long, until forgotten', async () => {
    const scope = new SecretScope();
    const typed = ['w', 'r'];
    const stored = new Map([['sudo:h', 'old']]);
    const decision = await decidePrivilege(runner('r'), {
      hostLabel: 'h',
      secretKey: 'sudo:h',
      setting: 'auto',
      prompts: { sudoPassword: async () => typed.shift() },
      secrets: { get: async (k) => stored.get(k), store: async () => undefined, delete: async (k) => void stored.delete(k) },
      log: new Logger('privilege'),
      redaction: scope,
    });
    assert.strictEqual(decision.password, 'r');
    assert.strictEqual(scope.size, 3, 'the stored and both typed passwords are registered');
    const text = lines.join('\n');
    assert.match(text, /got \*\*\*/);
    assert.ok(!/got (old|w|r)\b/.test(text), `a password reached the log: ${text}`);
    forgetPrivilege(decision, scope);
    assert.strictEqual(decision.password, undefined);
    assert.strictEqual(scope.size, 0);
  });

  it('SshConnection forgets its passwords on dispose (disconnect), and masks them until then', () => {
    const before = heldSecretCount();
    const conn = new SshConnection({
      id: 'unit',
      label: 'unit',
      target: { alias: 'unit', hostname: '127.0.0.1', port: 1, user: 'u', proxyJump: [] } as unknown as ResolvedHost,
      password: 'L',
      sudoPassword: 'sudo-pw',
    });
    assert.strictEqual(heldSecretCount(), before + 2);
    new Logger('x').info('sudo-pw');
    assert.strictEqual(lines[0], '[x] ***');
    conn.dispose();
    assert.strictEqual(heldSecretCount(), before);
  });
});
