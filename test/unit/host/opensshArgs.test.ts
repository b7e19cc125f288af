// The OpenSSH transport's local command lines, checked by ssh itself: `ssh -G` parses the same options and
// prints the configuration the master and the sessions would run with.
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { masterArgv, sessionArgv } from '../../../src/host/opensshConnection';
import { loadSshConfig, resolveHost } from '../../../src/host/sshConfig';

function sshG(argv: string[]): Map<string, string> {
  // -G prints the configuration instead of connecting; -N/-T and the remote command are not options of it.
  const args = argv.filter((a) => a !== '-N' && a !== '-T' && a !== '-tt' && a !== '-q');
  const out = execFileSync('ssh', ['-G', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return new Map(out.split('\n').flatMap((l) => (/^(\S+) (.*)$/.exec(l) ? [[l.split(' ')[0], l.slice(l.indexOf(' ') + 1)] as [string, string]] : [])));
}

describe('OpenSSH transport command lines', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-ossh-args-'));
    fs.writeFileSync(
      path.join(dir, 'config'),
      'Host web\n HostName web.example\n User alice\n Port 2200\n ControlMaster auto\n ControlPath ~/.ssh/cm-%C\n LocalForward 8080 localhost:80\n RemoteCommand tmux attach\n',
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs the master as `ssh HOST` with its own ControlPath, the user\'s config read, and nothing else started', async () => {
    const config = path.join(dir, 'config');
    const target = resolveHost(await loadSshConfig({ configPath: config, systemConfigPath: null }), 'web');
    const cp = path.join(dir, 'a b', 'cm');
    const argv = masterArgv({ id: 'x', label: 'web', spec: { kind: 'ssh', host: 'web' }, target, configFile: config, keepaliveSeconds: 7, knownHosts: ['/k/one', '/k/two'] }, cp);
    assert.deepStrictEqual(argv.slice(-4), ['-N', '-T', '--', 'web']);
    const g = sshG(argv);
    assert.strictEqual(g.get('hostname'), 'web.example');
    assert.strictEqual(g.get('user'), 'alice');
    assert.strictEqual(g.get('port'), '2200');
    assert.strictEqual(g.get('controlmaster'), 'true');
    assert.strictEqual(g.get('controlpath'), cp);
    assert.strictEqual(g.get('controlpersist'), 'no');
    assert.strictEqual(g.get('clearallforwardings'), 'yes');
    assert.strictEqual(g.get('remotecommand'), undefined, 'the config\'s RemoteCommand is off');
    assert.strictEqual(g.get('serveraliveinterval'), '7');
    assert.strictEqual(g.get('userknownhostsfile'), '/k/one /k/two');
    assert.strictEqual(g.get('globalknownhostsfile'), '/dev/null');
  });

  it('a session whose master is gone fails at once instead of connecting to the placeholder host', () => {
    const r = spawnSync('ssh', sessionArgv(path.join(dir, 'no-such-socket'), 'true', false), { encoding: 'utf8', timeout: 10_000 });
    assert.strictEqual(r.status, 255);
  });

  it('puts what the user typed (user, port) on the command line, and sessions read no config', () => {
    const target = { serverAliveInterval: 30 } as Parameters<typeof masterArgv>[0]['target'];
    const argv = masterArgv({ id: 'x', label: 'b', spec: { kind: 'ssh', host: 'b.example', user: 'bob', port: 2222 }, target }, '/tmp/x/cm');
    const g = sshG(argv);
    assert.strictEqual(g.get('user'), 'bob');
    assert.strictEqual(g.get('port'), '2222');
    assert.strictEqual(g.get('serveraliveinterval'), '0', 'the config\'s ServerAliveInterval (30) is left to ssh');
    const s = sshG(sessionArgv('/tmp/x/cm', 'exec true', false).slice(0, -1));
    assert.strictEqual(s.get('controlmaster'), 'false');
    assert.strictEqual(s.get('controlpath'), '/tmp/x/cm');
    assert.strictEqual(s.get('batchmode'), 'yes');
    assert.strictEqual(s.get('proxycommand'), 'false', 'without the master, nothing is reached');
  });
});
