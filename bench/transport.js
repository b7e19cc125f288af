// The OpenSSH transport against ssh2 on the same host: the cost of one exec on an open connection (a
// session over the ControlMaster, with a local `ssh` process per command, against a channel on ssh2's
// connection), plain and privileged (sudo -n), and the time to connect. Runs against the lab
// (nsxkey@127.0.0.1:2222) with the compiled modules under out/ (npx tsc -p tsconfig.test.json).
// Called by scripts/bench.js; `node bench/transport.js` prints the markdown alone.
'use strict';
const { compiled } = require('./compiled');

const fs = require('fs');
const os = require('os');
const path = require('path');
const { stats } = require('./stats');

const RUNS = 21;
const CONNECT_RUNS = 5;

function nowMs() {
  return Number(process.hrtime.bigint()) / 1e6;
}

async function benchTransport() {
  const { openConnection } = compiled('src/host/connect.js');
  const labJson = path.join(process.env.NSX_LAB_DIR || '/run/nsx-lab', 'lab.json');
  const lab = JSON.parse(fs.readFileSync(labJson, 'utf8'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-bench-transport-'));
  const config = path.join(dir, 'config');
  fs.writeFileSync(
    config,
    `Host lab\n  HostName 127.0.0.1\n  Port ${lab.ssh.port}\n  User nsxkey\n  IdentityFile ${lab.keys.ed25519.path}\n  IdentitiesOnly yes\n` +
      `  UserKnownHostsFile ${lab.ssh.knownHosts}\n  StrictHostKeyChecking yes\n`,
  );
  const open = (transport) => openConnection('lab', { sshConfig: { configPath: config, systemConfigPath: null }, transport, reconnect: false });
  const conns = {};
  const ms = { ssh2: { plain: [], sudo: [], connect: [] }, openssh: { plain: [], sudo: [], connect: [] } };
  try {
    for (const t of ['ssh2', 'openssh']) {
      conns[t] = await open(t);
      await conns[t].connect();
      await conns[t].exec(['true']);
    }
    // Interleaved, so load on the shared machine weighs on both alike.
    for (let i = 0; i < RUNS; i++) {
      for (const t of ['ssh2', 'openssh']) {
        for (const [kind, privileged] of [['plain', false], ['sudo', true]]) {
          const t0 = nowMs();
          const r = await conns[t].exec(['true'], { privileged, timeoutMs: 30_000 });
          if (r.code !== 0) throw new Error(`${t}: true exited ${r.code}: ${r.stderr}`);
          ms[t][kind].push(nowMs() - t0);
        }
      }
    }
    for (let i = 0; i < CONNECT_RUNS; i++) {
      for (const t of ['ssh2', 'openssh']) {
        const c = await open(t);
        const t0 = nowMs();
        await c.connect();
        ms[t].connect.push(nowMs() - t0);
        c.dispose();
      }
    }
  } finally {
    for (const c of Object.values(conns)) c.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const s = {};
  for (const t of ['ssh2', 'openssh']) s[t] = { plain: stats(ms[t].plain), sudo: stats(ms[t].sudo), connect: stats(ms[t].connect) };
  const f = (x) => x.toFixed(1);
  const row = (what, kind) =>
    `| ${what} | ${f(s.ssh2[kind].median)} (${f(s.ssh2[kind].min)}–${f(s.ssh2[kind].max)}) | ${f(s.openssh[kind].median)} (${f(s.openssh[kind].min)}–${f(s.openssh[kind].max)}) | ${f(s.openssh[kind].median - s.ssh2[kind].median)} | ${s.ssh2[kind].n} |`;
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  const markdown = [
    '### Transports: OpenSSH (ControlMaster) against ssh2',
    '',
    `nsxkey@${lab.ssh.host}:${lab.ssh.port}, one open connection per transport, \`true\` run through each (the orphan guard included), interleaved; load average ${load} on ${os.cpus().length} CPUs. Milliseconds, median (min–max).`,
    '',
    '| measurement | ssh2 | OpenSSH | OpenSSH − ssh2 (medians) | runs |',
    '|---|---:|---:|---:|---:|',
    row('exec `true`', 'plain'),
    row('exec `true` privileged (sudo -n)', 'sudo'),
    row('connect (login, privilege decided)', 'connect'),
    '',
    'Each OpenSSH exec starts a local `ssh` mux client that hands the session to the master; ssh2 opens a channel in-process.',
    '',
  ].join('\n');
  return { markdown, stats: s };
}

module.exports = { benchTransport };

if (require.main === module) {
  benchTransport().then(
    (r) => {
      process.stdout.write(r.markdown);
      process.exit(0);
    },
    (e) => {
      process.stderr.write(`bench/transport.js: ${e.stack || e.message}\n`);
      process.exit(1);
    },
  );
}
