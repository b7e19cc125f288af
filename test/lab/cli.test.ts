// The CLI connects like the user's own ssh: host keys (known, hashed, unknown, accepted, changed), password
// from the environment, and one clear stderr line with exit code 3 (connection) or 2 (bad input) when it
// cannot. Runs dist/cli.js (built in before()) against the lab's real sshd.
// Run while the lab is up:  npx mocha --timeout 120000 out/test/lab/cli.test.js
import * as assert from 'assert';
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Snapshot } from '../../src/model/snapshot';
import { LabEnv, loadLab } from './labEnv';
import { growLab } from './labScale';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');

// Preloaded into the CLI: records every name the process asks the resolver for, and answers ENOTFOUND
// for all but localhost without asking any DNS server, so no lookup can leave the machine.
const DNS_HOOK = `
const dns = require('dns');
const fs = require('fs');
const real = dns.lookup;
dns.lookup = function (host, ...rest) {
  fs.appendFileSync(process.env.NSX_DNS_LOG, host + '\\n');
  const cb = rest[rest.length - 1];
  if (host === 'localhost') return real.call(dns, host, ...rest);
  const err = Object.assign(new Error('getaddrinfo ENOTFOUND ' + host + ' (blocked by the test)'), { code: 'ENOTFOUND', hostname: host });
  process.nextTick(cb, err);
};
`;

interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  lookups: string[];
}

describe('CLI against the lab sshd', function () {
  this.timeout(180_000);
  let lab: LabEnv;
  let tmp: string;
  let emptyConfig: string;
  let hook: string;

  before(function () {
    lab = loadLab();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-clitest-'));
    emptyConfig = path.join(tmp, 'empty_config');
    fs.writeFileSync(emptyConfig, '');
    hook = path.join(tmp, 'dns-hook.js');
    fs.writeFileSync(hook, DNS_HOOK);
    const build = spawnSync('npx', ['webpack', '--mode', 'production', '--config-name', 'cli'], { cwd: ROOT, encoding: 'utf8', timeout: 170_000 });
    assert.strictEqual(build.status, 0, `building the CLI failed: ${build.stdout}${build.stderr}`);
  });
  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  let runNo = 0;
  function cli(args: string[], env: Record<string, string> = {}): CliRun {
    const dnsLog = path.join(tmp, `dns-${++runNo}.log`);
    fs.writeFileSync(dnsLog, '');
    const start = Date.now();
    const r = spawnSync(process.execPath, ['--require', hook, CLI, ...args], {
      cwd: tmp,
      encoding: 'utf8',
      timeout: 90_000,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp, NSX_DNS_LOG: dnsLog, ...env },
    });
    const lookups = fs.readFileSync(dnsLog, 'utf8').split('\n').filter(Boolean);
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms: Date.now() - start, lookups };
  }

  const direct = (user: string) => `${user}@${lab.ssh.host}:${lab.ssh.port}`;
  /** Connection flags that read nothing from ~/.ssh or /etc/ssh. */
  function base(knownHosts: string, extra: string[] = []): string[] {
    return ['--ssh-config', emptyConfig, '--known-hosts', knownHosts, '--sudo', 'never', ...extra];
  }
  function snapshotAs(user: string, knownHosts: string, extra: string[] = []): string[] {
    return ['snapshot', '--target', direct(user), ...base(knownHosts, extra)];
  }

  /** Exit 3 (or `code`) with one line on stderr that matches `pattern`. */
  function assertFails(r: CliRun, code: number, pattern: RegExp): string {
    const lines = r.stderr.trim().split('\n');
    assert.strictEqual(r.status, code, `exit ${r.status}, stderr: ${r.stderr}`);
    assert.strictEqual(lines.length, 1, `expected one stderr line, got: ${r.stderr}`);
    assert.match(lines[0], pattern);
    assert.strictEqual(r.stdout, '');
    return lines[0];
  }

  function assertSnapshot(r: CliRun): void {
    assert.strictEqual(r.status, 0, `exit ${r.status}, stderr: ${r.stderr}`);
    const snapshot = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.ok(typeof snapshot === 'object' && snapshot !== null);
  }

  describe('logins', function () {
    it('logs in with a key given by --identity', function () {
      assertSnapshot(cli(snapshotAs('nsxkey', lab.ssh.knownHosts, ['--identity', lab.keys.ed25519.path])));
    });

    it('logs in with the password from --password-env', function () {
      assertSnapshot(cli(snapshotAs('nsxpass', lab.ssh.knownHosts, ['--password-env', 'NSX_PW']), { NSX_PW: lab.users.nsxpass.password! }));
    });
  });

  describe('host keys', function () {
    const keyFlags = () => ['--identity', lab.keys.ed25519.path];

    it('accepts a host from a hashed known_hosts', function () {
      assertSnapshot(cli(snapshotAs('nsxkey', lab.ssh.knownHostsHashed, keyFlags())));
    });

    it('refuses an unknown host without --accept-new-host-key, showing its SHA256 fingerprint', function () {
      const file = path.join(tmp, 'kh-unknown');
      fs.writeFileSync(file, '');
      const line = assertFails(cli(snapshotAs('nsxkey', file, keyFlags())), 3, /not known .*SHA256:.*--accept-new-host-key/);
      const fp = /SHA256:[A-Za-z0-9+/]+/.exec(line)?.[0];
      assert.ok(Object.values(lab.ssh.hostKeys).some((k) => k.fingerprint === fp), `${fp} is not a lab host key`);
      assert.strictEqual(fs.readFileSync(file, 'utf8'), '');
    });

    it('with --accept-new-host-key connects and appends a line ssh-keygen -F finds', function () {
      const file = path.join(tmp, 'kh-accept');
      fs.writeFileSync(file, '');
      assertSnapshot(cli(snapshotAs('nsxkey', file, [...keyFlags(), '--accept-new-host-key'])));
      const name = `[${lab.ssh.host}]:${lab.ssh.port}`;
      const found = spawnSync('ssh-keygen', ['-F', name, '-f', file], { encoding: 'utf8', timeout: 10_000 });
      assert.strictEqual(found.status, 0, `ssh-keygen -F found nothing in: ${fs.readFileSync(file, 'utf8')}`);
      const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
      assert.strictEqual(lines.length, 1);
      const [host, type, b64] = lines[0].split(' ');
      assert.strictEqual(host, name);
      assert.ok(Object.values(lab.ssh.hostKeys).some((k) => k.publicKey === `${type} ${b64}`), `${lines[0]} is not a lab host key`);
      // and it is now trusted without the flag
      assertSnapshot(cli(snapshotAs('nsxkey', file, keyFlags())));
    });

    it('refuses a CHANGED host key even with --accept-new-host-key, warning of interception', function () {
      const other = path.join(tmp, 'other_host_key');
      const gen = spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', other], { encoding: 'utf8', timeout: 10_000 });
      assert.strictEqual(gen.status, 0, gen.stderr);
      const [type, b64] = fs.readFileSync(`${other}.pub`, 'utf8').trim().split(' ');
      const file = path.join(tmp, 'kh-changed');
      const text = `# a comment first\n[${lab.ssh.host}]:${lab.ssh.port} ${type} ${b64}\n`;
      fs.writeFileSync(file, text);
      const line = assertFails(cli(snapshotAs('nsxkey', file, [...keyFlags(), '--accept-new-host-key'])), 3, /WARNING: the host key .* has changed/);
      assert.match(line, /intercept/i);
      assert.ok(line.includes(`${file} line 2`), `the message must name the file and line: ${line}`);
      assert.ok(line.includes(lab.ssh.hostKeys.ed25519.fingerprint), 'the message shows the new key\'s fingerprint');
      assert.strictEqual(fs.readFileSync(file, 'utf8'), text, 'known_hosts must not change');
    });
  });

  describe('snapshot --scope', function () {
    it('tree prints the first levels only: containers with their pids, no interfaces', function () {
      // sudo auto (nsxkey has passwordless sudo): the engines' state files are root's to read.
      const r = cli(['snapshot', '--target', direct('nsxkey'), '--ssh-config', emptyConfig, '--known-hosts', lab.ssh.knownHosts, '--identity', lab.keys.ed25519.path, '--scope', 'tree']);
      assertSnapshot(r);
      const s = JSON.parse(r.stdout) as Snapshot;
      assert.strictEqual(s.host.scope, 'tree');
      assert.deepStrictEqual(s.interfaces, []);
      assert.strictEqual(s.containers.find((c) => c.name === 'lab-c1')?.pid, lab.docker.containers['lab-c1'].pid);
    });

    it('writes a snapshot of more than 1 MB (the lab at scale) to a pipe whose reader is slow, and exits 0 only after it', async function () {
      this.timeout(180_000);
      // A reader that waits 2 s before it reads: the CLI must not exit with the pipe's first 64 KiB only.
      const scale = await growLab({ processes: 3000, pidns: 6, netns: 50 });
      try {
        const args = ['snapshot', '--target', direct('nsxkey'), '--ssh-config', emptyConfig, '--known-hosts', lab.ssh.knownHosts, '--identity', lab.keys.ed25519.path];
        const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
        const out = path.join(tmp, 'slow-reader.json');
        const status = path.join(tmp, 'slow-reader.status');
        const r = spawnSync('sh', ['-c', `{ ${quoted}; echo $? >"$2"; } | { sleep 2; cat >"$1"; }`, 'sh', out, status], {
          cwd: tmp,
          encoding: 'utf8',
          timeout: 120_000,
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp },
        });
        assert.strictEqual(r.status, 0, r.stderr);
        assert.strictEqual(fs.readFileSync(status, 'utf8').trim(), '0', r.stderr);
        const text = fs.readFileSync(out, 'utf8');
        assert.ok(text.length > 1024 * 1024, `the snapshot is only ${text.length} bytes: too small to show a cut`);
        const s = JSON.parse(text) as Snapshot;
        assert.ok(s.processes.length > 3000 && s.host.scope === 'full', `${s.processes.length} processes`);
        assert.deepStrictEqual(scale.netns.filter((n) => !s.netns.some((x) => x.name === n)), [], 'every netns of the lab at scale');
      } finally {
        scale.shrink();
      }
    });

    it('exec passes 1 MB of binary output through a slow pipe byte for byte, and its exit code', function () {
      const file = path.join(tmp, 'random.bin');
      const bytes = crypto.randomBytes(1024 * 1024);
      fs.writeFileSync(file, bytes);
      fs.chmodSync(tmp, 0o755);
      // dockerd's network namespace only (the host's): the host's file system, where the file is.
      const args = ['exec', '--target', direct('nsxkey'), '--ssh-config', emptyConfig, '--known-hosts', lab.ssh.knownHosts, '--identity', lab.keys.ed25519.path, '--pid', String(lab.docker.pid), '--ns', 'net', '--', 'sh', '-c', 'cat "$1"; printf err >&2; exit 3', 'sh', file];
      const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const out = path.join(tmp, 'exec.out');
      const err = path.join(tmp, 'exec.err');
      const status = path.join(tmp, 'exec.status');
      const r = spawnSync('sh', ['-c', `{ ${quoted} 2>"$3"; echo $? >"$2"; } | { sleep 2; cat >"$1"; }`, 'sh', out, status, err], {
        cwd: tmp,
        encoding: 'utf8',
        timeout: 90_000,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp },
      });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(fs.readFileSync(status, 'utf8').trim(), '3', fs.readFileSync(err, 'utf8'));
      const got = fs.readFileSync(out);
      const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
      assert.strictEqual(got.length, bytes.length);
      assert.strictEqual(sha(got), sha(bytes));
      assert.strictEqual(fs.readFileSync(err, 'utf8'), 'err');
    });

    it('a snapshot past its --budget is printed whole, partial, with its warnings on stderr, and exits 5', function () {
      const pid = lab.docker.containerdPid;
      assert.ok(pid, "the lab's containerd is not up");
      // containerd stopped: ctr waits (its budget 60 s), the refresh may take 4.
      process.kill(pid, 'SIGSTOP');
      let r: CliRun;
      try {
        r = cli(['snapshot', '--target', direct('root'), ...base(lab.ssh.knownHosts, ['--identity', lab.keys.ed25519.path, '--budget', '4', '--engine-timeout', '60'])]);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      assert.strictEqual(r.status, 5, r.stderr);
      const s = JSON.parse(r.stdout) as Snapshot;
      assert.strictEqual(s.host.partial, true);
      assert.ok(s.containers.some((c) => c.name === 'lab-c1'), 'the docker containers from their state files');
      assert.ok(r.ms < 15_000, `${r.ms} ms`);
      assert.match(r.stderr, /^warning: The refresh of .* ran past its budget of 4 s and was stopped while reading the container engines/m);
      assert.strictEqual(r.stderr.trim().split('\n').filter((l) => !l.startsWith('warning: ')).length, 0, r.stderr);
    });

    it('a budget that is no whole number of seconds is exit 2, before connecting', function () {
      assertFails(cli(snapshotAs('nsxkey', lab.ssh.knownHosts, ['--identity', lab.keys.ed25519.path, '--ip-timeout', '0.5'])), 2, /--ip-timeout must be a whole number of seconds/);
    });

    it('anything but tree or full is exit 2, before connecting', function () {
      assertFails(cli(snapshotAs('nsxkey', lab.ssh.knownHosts, ['--identity', lab.keys.ed25519.path, '--scope', 'fast'])), 2, /--scope must be full or tree/);
    });
  });

  describe('bad input', function () {
    it('an unknown alias fails fast with exit 3 and no DNS lookup', function () {
      const r = cli(['snapshot', '--target', 'nsx-no-such-alias', '--ssh-config', emptyConfig, '--known-hosts', lab.ssh.knownHosts]);
      assertFails(r, 3, /nsx-no-such-alias/);
      assert.deepStrictEqual(r.lookups, [], 'the CLI asked the resolver for an alias that is in no config');
      assert.ok(r.ms < 5_000, `took ${r.ms} ms`);
    });

    it('(control) the DNS hook sees lookups the CLI makes', function () {
      const r = cli(snapshotAs('nsxkey', lab.ssh.knownHosts, ['--identity', lab.keys.ed25519.path]).map((a) => a.replace(lab.ssh.host, 'localhost')));
      assert.ok(r.lookups.includes('localhost'), `lookups: ${r.lookups.join(',')}; stderr: ${r.stderr}`);
      // [localhost]:2222 is not in known_hosts: a host name is looked up in known_hosts as typed
      assertFails(r, 3, /not known/);
    });

    it('a refused port is exit 3', function () {
      assertFails(cli(['snapshot', '--target', `nsxkey@${lab.ssh.host}:1`, ...base(lab.ssh.knownHosts)]), 3, /127\.0\.0\.1:1.*(refused|ECONNREFUSED)/i);
    });

    it('a wrong password is exit 3', function () {
      const r = cli(snapshotAs('nsxpass', lab.ssh.knownHosts, ['--password-env', 'NSX_PW']), { NSX_PW: 'not-the-password' });
      const line = assertFails(r, 3, /Authentication to nsxpass@127\.0\.0\.1:2222 failed/);
      assert.ok(!line.includes('not-the-password'));
    });

    it('a wrong sudo password from --sudo-password-env is exit 3, not a quiet limited view', function () {
      const r = cli(
        snapshotAs('nsxpass', lab.ssh.knownHosts, ['--password-env', 'NSX_PW', '--sudo-password-env', 'NSX_SUDO', '--sudo', 'auto']),
        { NSX_PW: lab.users.nsxpass.password!, NSX_SUDO: 'not-the-sudo-password' },
      );
      const line = assertFails(r, 3, /sudo password given for nsxpass .* is wrong/);
      assert.ok(!line.includes('not-the-sudo-password'));
    });

    it('an identity file that does not exist is exit 3 naming the file', function () {
      const missing = path.join(tmp, 'no-such-key');
      assertFails(cli(snapshotAs('nsxkey', lab.ssh.knownHosts, ['--identity', missing])), 3, new RegExp(`${missing}.*does not exist`));
    });

    it('an identity file that is a folder is exit 3 naming it', function () {
      const dir = path.join(tmp, 'key-dir');
      fs.mkdirSync(dir, { recursive: true });
      assertFails(cli(snapshotAs('nsxkey', lab.ssh.knownHosts, ['--identity', dir])), 3, new RegExp(`${dir}.*folder`));
    });

    it('a malformed target is exit 2', function () {
      assertFails(cli(['snapshot', '--target', 'a b@c', '--ssh-config', emptyConfig]), 2, /contains a space/);
    });
  });
});
