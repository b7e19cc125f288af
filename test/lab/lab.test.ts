// Checks that the running lab is what lab.json says, against the kernel, sshd and the engines.
// Run while the lab is up:  npx mocha --timeout 60000 out/test/lab/lab.test.js
import * as assert from 'assert';
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LabEnv, LabKey, loadLab, podmanOf, requireLabEngine } from './labEnv';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv, input?: string): Run {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env }, input });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function out(cmd: string, args: string[], env?: NodeJS.ProcessEnv): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 30000, env: { ...process.env, ...env } }).trim();
}

function nsInode(pid: number, type: string): number {
  return fs.statSync(`/proc/${pid}/ns/${type}`).ino;
}

describe('test lab', function () {
  let lab: LabEnv;
  let tmp: string;

  before(function () {
    lab = loadLab();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-labtest-'));
  });
  after(function () {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** ssh options that trust only the lab's known_hosts and use nothing from ~/.ssh */
  function sshBase(knownHosts = lab.ssh.knownHosts): string[] {
    return [
      '-F', '/dev/null',
      '-o', `UserKnownHostsFile=${knownHosts}`,
      '-o', 'GlobalKnownHostsFile=/dev/null',
      '-o', 'StrictHostKeyChecking=yes',
      '-o', 'ConnectTimeout=10',
    ];
  }

  function sshKey(user: string, key: LabKey, command: string, extra: string[] = []): Run {
    return run('ssh', [
      ...sshBase(), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', key.path,
      '-p', String(lab.ssh.port), ...extra, `${user}@${lab.ssh.host}`, command,
    ]);
  }

  /** ssh that answers every prompt (password, passphrase) with `secret`, through SSH_ASKPASS */
  function sshAskpass(secret: string, args: string[]): Run {
    const askpass = path.join(tmp, `askpass-${secret}`);
    fs.writeFileSync(askpass, `#!/bin/sh\necho '${secret}'\n`, { mode: 0o700 });
    return run('ssh', [...sshBase(), ...args], { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: 'none' });
  }

  function docker(args: string[]): string {
    return out('docker', args, lab.docker.env);
  }

  describe('sshd on loopback', function () {
    it('serves the host keys that known_hosts lists', function () {
      const scan = out('ssh-keyscan', ['-p', String(lab.ssh.port), '-t', 'ed25519,rsa,ecdsa', lab.ssh.host]);
      const served = new Set(scan.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.split(' ').slice(1).join(' ')));
      const known = fs.readFileSync(lab.ssh.knownHosts, 'utf8');
      for (const [type, key] of Object.entries(lab.ssh.hostKeys)) {
        assert.ok(served.has(key.publicKey), `sshd does not serve the ${type} host key of lab.json`);
        assert.ok(known.includes(`[${lab.ssh.host}]:${lab.ssh.port} ${key.publicKey}`), `known_hosts lacks the ${type} key`);
      }
      const pidfileOwner = fs.readFileSync(`/proc/${lab.ssh.pid}/comm`, 'utf8').trim();
      assert.strictEqual(pidfileOwner, 'sshd');
    });

    for (const keyName of ['ed25519', 'rsaPem', 'ecdsa'] as const) {
      it(`lets nsxkey, nsxnosudo and root in with the ${keyName} key`, function () {
        for (const user of ['nsxkey', 'nsxnosudo', 'root'] as const) {
          const r = sshKey(user, lab.keys[keyName], 'id -u');
          assert.strictEqual(r.status, 0, `${user} with ${keyName}: ${r.stderr}`);
          assert.strictEqual(r.stdout.trim(), String(lab.users[user].uid));
        }
      });
    }

    it('has the RSA key in PEM format and the encrypted key really encrypted', function () {
      assert.match(fs.readFileSync(lab.keys.rsaPem.path, 'utf8'), /^-----BEGIN RSA PRIVATE KEY-----/);
      assert.match(fs.readFileSync(lab.keys.ed25519.path, 'utf8'), /^-----BEGIN OPENSSH PRIVATE KEY-----/);
      const wrong = run('ssh-keygen', ['-y', '-P', 'wrong', '-f', lab.keys.ed25519Encrypted.path]);
      assert.notStrictEqual(wrong.status, 0, 'the encrypted key opens with a wrong passphrase');
      const right = out('ssh-keygen', ['-y', '-P', lab.keys.ed25519Encrypted.passphrase ?? '', '-f', lab.keys.ed25519Encrypted.path]);
      assert.strictEqual(right.split(' ').slice(0, 2).join(' '), lab.keys.ed25519Encrypted.publicKey);
    });

    it('accepts the encrypted key with its passphrase', function () {
      const r = sshAskpass(lab.keys.ed25519Encrypted.passphrase ?? '', [
        '-o', 'IdentitiesOnly=yes', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no',
        '-i', lab.keys.ed25519Encrypted.path, '-p', String(lab.ssh.port), `nsxkey@${lab.ssh.host}`, 'id -un',
      ]);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), 'nsxkey');
    });

    it('verifies against the hashed known_hosts too', function () {
      const hashed = fs.readFileSync(lab.ssh.knownHostsHashed, 'utf8');
      assert.ok(hashed.split('\n').filter(Boolean).every((l) => l.startsWith('|1|')), 'known_hosts.hashed has plain entries');
      const r = run('ssh', [
        ...sshBase(lab.ssh.knownHostsHashed), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', lab.keys.ed25519.path,
        '-p', String(lab.ssh.port), `nsxkey@${lab.ssh.host}`, 'true',
      ]);
      assert.strictEqual(r.status, 0, r.stderr);
    });

    it('refuses a host key that known_hosts does not list', function () {
      const empty = path.join(tmp, 'known_hosts_empty');
      fs.writeFileSync(empty, '');
      const r = run('ssh', [
        ...sshBase(empty), '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', lab.keys.ed25519.path,
        '-p', String(lab.ssh.port), `nsxkey@${lab.ssh.host}`, 'true',
      ]);
      assert.strictEqual(r.status, 255);
      assert.match(r.stderr, /Host key verification failed/);
    });

    it('logs nsxpass in by password and by keyboard-interactive, and not by key', function () {
      const pw = lab.users.nsxpass.password ?? '';
      for (const method of ['password', 'keyboard-interactive']) {
        const r = sshAskpass(pw, [
          '-o', 'PubkeyAuthentication=no', '-o', `PreferredAuthentications=${method}`,
          '-p', String(lab.ssh.port), `nsxpass@${lab.ssh.host}`, 'id -u',
        ]);
        assert.strictEqual(r.status, 0, `${method}: ${r.stderr}`);
        assert.strictEqual(r.stdout.trim(), String(lab.users.nsxpass.uid));
      }
      const bad = sshAskpass('not-the-password', [
        '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password', '-o', 'NumberOfPasswordPrompts=1',
        '-p', String(lab.ssh.port), `nsxpass@${lab.ssh.host}`, 'true',
      ]);
      assert.strictEqual(bad.status, 255, 'a wrong password got in');
      assert.strictEqual(sshKey('nsxpass', lab.keys.ed25519, 'true').status, 255, 'nsxpass got in by key');
    });

    it('refuses root by password', function () {
      const r = sshAskpass('whatever', [
        '-o', 'PubkeyAuthentication=no', '-o', 'PreferredAuthentications=password,keyboard-interactive',
        '-o', 'NumberOfPasswordPrompts=1', '-p', String(lab.ssh.port), `root@${lab.ssh.host}`, 'true',
      ]);
      assert.strictEqual(r.status, 255);
    });
  });

  describe('sudo', function () {
    it('nsxkey: without a password', function () {
      const r = sshKey('nsxkey', lab.keys.ed25519, 'sudo -n id -u');
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), '0');
    });

    it('nsxpass: only with its password', function () {
      const pw = lab.users.nsxpass.password ?? '';
      const cmd = `sudo -n true 2>/dev/null && echo NOPASSWD; echo '${pw}' | sudo -S -p '' id -u`;
      const r = sshAskpass(pw, ['-o', 'PubkeyAuthentication=no', '-p', String(lab.ssh.port), `nsxpass@${lab.ssh.host}`, cmd]);
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(r.stdout.trim(), '0');
    });

    it('nsxnosudo: not at all', function () {
      const r = sshKey('nsxnosudo', lab.keys.ed25519, `echo '${lab.users.nsxnosudo.password}' | sudo -S -p '' id -u`);
      assert.notStrictEqual(r.status, 0);
      assert.notStrictEqual(r.stdout.trim(), '0');
      assert.match(r.stderr, /not in the sudoers file|not allowed/);
    });
  });

  describe('sshd inside nsx_ssh', function () {
    function jump(extra: string[], command: string): Run {
      const auth = ['-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-i', lab.keys.ed25519.path];
      // -J would start the jump ssh without our -o options; a config file reaches both hops.
      const config = path.join(tmp, 'ssh_config_jump');
      fs.writeFileSync(config, [
        `Host lab-jump`, `  HostName ${lab.ssh.host}`, `  Port ${lab.ssh.port}`, `  User nsxkey`,
        `Host *`, `  UserKnownHostsFile ${lab.ssh.knownHosts}`, `  GlobalKnownHostsFile /dev/null`,
        `  StrictHostKeyChecking yes`, `  IdentityFile ${lab.keys.ed25519.path}`, `  IdentitiesOnly yes`, `  BatchMode yes`, '',
      ].join('\n'));
      return run('ssh', [
        '-F', config, ...auth, '-J', 'lab-jump', ...extra, '-p', String(lab.sshInner.port),
        `nsxkey@${lab.sshInner.host}`, command,
      ]);
    }

    it('is reached by ProxyJump and runs in netns nsx_ssh', function () {
      const r = jump([], 'stat -L -c %i /proc/self/ns/net');
      assert.strictEqual(r.status, 0, r.stderr);
      assert.strictEqual(Number(r.stdout.trim()), lab.netns.nsx_ssh.inode);
      assert.strictEqual(nsInode(lab.sshInner.pid, 'net'), lab.netns.nsx_ssh.inode);
    });

    it('listens only inside nsx_ssh', function () {
      const listening = out('ip', ['netns', 'exec', lab.sshInner.netns, 'ss', '-Hltn']);
      assert.match(listening, new RegExp(`${lab.sshInner.host.replace(/\./g, '\\.')}:${lab.sshInner.port}\\b`));
      const host = out('ss', ['-Hltn']);
      assert.doesNotMatch(host, new RegExp(`${lab.sshInner.host.replace(/\./g, '\\.')}:`));
    });
  });

  describe('docker', function () {
    it('runs a private dockerd on the lab socket with the nsxbr0 bridge', function () {
      assert.strictEqual(fs.readFileSync(`/proc/${lab.docker.pid}/comm`, 'utf8').trim(), 'dockerd');
      assert.strictEqual(docker(['info', '--format', '{{.DockerRootDir}} {{.Driver}}']), `${lab.docker.dataRoot} ${lab.docker.storageDriver}`);
      assert.match(out('ip', ['-o', '-4', 'addr', 'show', 'dev', lab.docker.bridge.name]), new RegExp(lab.docker.bridge.address.replace(/\./g, '\\.')));
      assert.strictEqual(run('ip', ['link', 'show', 'docker0']).status, 1, 'docker0 exists: dockerd used its default bridge');
      assert.doesNotMatch(out('iptables-save', []), /DOCKER/, 'dockerd wrote iptables rules');
    });

    it('has the containers lab.json lists, with those host PIDs', function () {
      for (const [name, c] of Object.entries(lab.docker.containers)) {
        const [id, pid, status] = docker(['inspect', '-f', '{{.Id}} {{.State.Pid}} {{.State.Status}}', name]).split(' ');
        assert.strictEqual(id, c.id, name);
        assert.strictEqual(status, c.status, name);
        assert.strictEqual(Number(pid), c.pid ?? 0, name);
      }
      assert.strictEqual(lab.docker.containers['lab-stopped'].status, 'exited');
      assert.strictEqual(lab.docker.containers['lab-stopped'].exitCode, 3);
      assert.strictEqual(docker(['exec', 'lab-c1', 'hostname']), 'lab-c1');
    });

    it('lab-c2 shares lab-c1\'s network namespace and nothing else of it', function () {
      const c1 = lab.docker.containers['lab-c1'].pid!;
      const c2 = lab.docker.containers['lab-c2'].pid!;
      assert.strictEqual(nsInode(c2, 'net'), nsInode(c1, 'net'));
      assert.notStrictEqual(nsInode(c2, 'pid'), nsInode(c1, 'pid'));
      assert.notStrictEqual(nsInode(c1, 'net'), nsInode(process.pid, 'net'));
    });

    it('lab-none has only loopback', function () {
      const links = out('nsenter', ['-t', String(lab.docker.containers['lab-none'].pid), '-n', 'ip', '-o', 'link']);
      assert.deepStrictEqual(links.split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
    });
  });

  describe('podman', function () {
    it('runs lab-p1 with the flags of lab.json, or says why not', function () {
      const p = podmanOf(lab);
      if (!p) {
        assert.ok('skipped' in lab.podman && lab.podman.skipped.length > 0);
      }
      requireLabEngine(this, 'podman', p, JSON.stringify(lab.podman));
      const [pid, status] = out('podman', [...p!.flags, 'inspect', '-f', '{{.State.Pid}} {{.State.Status}}', 'lab-p1']).split(' ');
      assert.strictEqual(status, 'running');
      assert.strictEqual(Number(pid), p!.containers['lab-p1'].pid);
      const links = out('nsenter', ['-t', pid, '-n', 'ip', '-o', 'link']);
      assert.deepStrictEqual(links.split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
      assert.strictEqual(fs.readFileSync(`/proc/${pid}/root/etc/hostname`, 'utf8').trim(), 'lab-p1');
    });
  });

  describe('named network namespaces', function () {
    it('exist with the inodes of lab.json', function () {
      const names = out('ip', ['netns', 'list']).split('\n').map((l) => l.split(' ')[0]);
      for (const [name, ns] of Object.entries(lab.netns)) {
        assert.ok(names.includes(name), `${name} missing from ip netns list`);
        assert.strictEqual(fs.statSync(`/run/netns/${name}`).ino, ns.inode, name);
      }
    });

    it('nsx_a holds its holder process, nsx_b holds none', function () {
      const holder = lab.netns.nsx_a.holderPid!;
      assert.strictEqual(nsInode(holder, 'net'), lab.netns.nsx_a.inode);
      assert.ok(out('ip', ['netns', 'pids', 'nsx_a']).split('\n').includes(String(holder)));
      assert.strictEqual(out('ip', ['netns', 'pids', 'nsx_b']), '');
    });
  });

  describe('veth pairs', function () {
    function nsArgs(netns: string): string[] {
      if (netns === 'host') return [];
      if (netns.startsWith('container:')) {
        return ['nsenter', '-t', String(lab.containerNetnsPid[netns.slice('container:'.length)]), '-n'];
      }
      return ['ip', 'netns', 'exec', netns];
    }
    function inNs(netns: string, cmd: string[]): Run {
      const full = [...nsArgs(netns), ...cmd];
      return run(full[0], full.slice(1));
    }

    for (let i = 0; i < 4; i++) {
      it(`pair ${i + 1}: both ends up, addressed, peers of each other, and pinging`, function () {
        const pair = lab.veths[i];
        for (const [end, other] of [[pair.a, pair.b], [pair.b, pair.a]]) {
          const link = inNs(end.netns, ['ip', '-o', '-d', 'link', 'show', 'dev', end.name]);
          assert.strictEqual(link.status, 0, `${end.name} not in ${end.netns}: ${link.stderr}`);
          assert.match(link.stdout, /veth/);
          assert.match(link.stdout, /state UP/, `${end.name} is not up`);
          const addr = inNs(end.netns, ['ip', '-o', '-4', 'addr', 'show', 'dev', end.name]).stdout;
          assert.ok(addr.includes(`inet ${end.address} `), `${end.name} lacks ${end.address}`);
          // the peer's ifindex, as the kernel reports it, is the other end's ifindex
          const peerIndex = Number(/@if(\d+)/.exec(link.stdout)?.[1]);
          const otherIndex = Number(inNs(other.netns, ['ip', '-o', 'link', 'show', 'dev', other.name]).stdout.split(':')[0]);
          assert.strictEqual(peerIndex, otherIndex, `${end.name}'s peer is not ${other.name}`);
          const ping = inNs(end.netns, ['busybox', 'ping', '-c1', '-W2', other.address.split('/')[0]]);
          assert.strictEqual(ping.status, 0, `${end.netns}:${end.name} cannot ping ${other.address}: ${ping.stdout}${ping.stderr}`);
        }
      });
    }

    it('uses only addresses in 10.200.0.0/16', function () {
      for (const pair of lab.veths) {
        for (const end of [pair.a, pair.b]) assert.match(end.address, /^10\.200\.\d+\.\d+\/\d+$/);
      }
      assert.match(lab.docker.bridge.address, /^10\.200\./);
    });
  });

  describe('nested PID namespaces', function () {
    it('innermost sleep is three PID namespaces deep, as lab.json says', function () {
      const status = fs.readFileSync(`/proc/${lab.nested.innermostPid}/status`, 'utf8');
      const nspid = /^NSpid:\s+(.*)$/m.exec(status)![1].trim().split(/\s+/).map(Number);
      assert.strictEqual(nspid.length, 3);
      assert.deepStrictEqual(nspid, lab.nested.nspid);
      assert.strictEqual(nspid[0], lab.nested.innermostPid);
      assert.notStrictEqual(nsInode(lab.nested.innermostPid, 'pid'), nsInode(process.pid, 'pid'));
      assert.notStrictEqual(nsInode(lab.nested.innermostPid, 'pid'), nsInode(lab.nested.outerPid, 'pid'));
    });
  });
});
