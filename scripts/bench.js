#!/usr/bin/env node
// `npm run bench`: how long a refresh takes against the lab over one SSH connection, next to one `lsns`.
// Needs root (lab, namespaces). Brings the lab up when it is not (and down again at the end), compiles
// out/ when missing, grows the host for the scale step and always removes what it made. Writes
// bench/RESULTS.md and prints it. Bounded: ~1-3 minutes.
'use strict';
const { execFileSync, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { stats } = require('../bench/stats');

const root = path.resolve(__dirname, '..');
const labJson = path.join(process.env.NSX_LAB_DIR || '/run/nsx-lab', 'lab.json');
const RUNS = Number(process.env.NSX_BENCH_RUNS || 7);
const SCALE_RUNS = 5;
const SCALE_PROCS = 2000; // extra sleeps, in SCALE_PIDNS PID namespaces
const SCALE_PIDNS = 4;
const SCALE_NETNS = 100; // named netns (bind mounts, no process)
const LSNS = ['lsns', '-J', '-o', 'NS,TYPE,NPROCS,PID,PPID,COMMAND,NSFS'];

function log(m) {
  process.stderr.write(`bench: ${m}\n`);
}

function sh(cmd, args, opts = {}) {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 120_000, stdio: ['pipe', 'pipe', 'pipe'], ...opts });
}

async function timeIt(f) {
  const t = process.hrtime.bigint();
  const v = await f();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, v };
}

async function series(n, f) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    ms.push((await timeIt(f)).ms);
  }
  return stats(ms);
}

// ------------------------------------------------------------------------------------ scale fixtures
// The lab at scale comes from test/lab/labScale.ts (compiled into out/), as the CLI's lab test grows it.
const labScale = () => require(path.join(root, 'out/test/lab/labScale.js'));
let scaleHost;

async function growHost() {
  scaleHost = await labScale().growLab({ processes: SCALE_PROCS, pidns: SCALE_PIDNS, netns: SCALE_NETNS });
}

function shrinkHost() {
  scaleHost?.shrink();
  scaleHost = undefined;
}

// ------------------------------------------------------------------------------------------- main
async function main() {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error('the bench needs root (the lab, namespaces); run it with sudo');
  }
  let broughtUp = false;
  if (!fs.existsSync(labJson)) {
    log('lab is down: bash test/lab/lab.sh up');
    sh('bash', [path.join(root, 'test/lab/lab.sh'), 'up'], { stdio: ['ignore', 'ignore', 'inherit'] });
    broughtUp = true;
  }
  const stop = (sig) => {
    shrinkHost();
    if (broughtUp) {
      spawnSync('bash', [path.join(root, 'test/lab/lab.sh'), 'down'], { stdio: 'inherit', timeout: 120_000 });
    }
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    if (!fs.existsSync(path.join(root, 'out/test/lab/labScale.js')) || process.env.NSX_BENCH_BUILD === '1') {
      log('compiling out/ (tsc -p tsconfig.test.json)');
      sh(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.test.json'], { cwd: root });
    }
    labScale().removeScaleLeftovers(); // a crashed earlier run
    return await bench();
  } finally {
    shrinkHost();
    if (broughtUp) {
      log('lab down');
      spawnSync('bash', [path.join(root, 'test/lab/lab.sh'), 'down'], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 120_000 });
    }
  }
}

async function bench() {
  const { openConnection } = require(path.join(root, 'out/src/host/connect.js'));
  const { discover, DiscoveryCache } = require(path.join(root, 'out/src/discovery/discover.js'));
  const { SnapshotIndex } = require(path.join(root, 'out/src/model/snapshotIndex.js'));
  const lab = JSON.parse(fs.readFileSync(labJson, 'utf8'));
  // nsxkey (passwordless sudo) has a stock login shell; root's shell on a developer machine may run heavy
  // start-up files on every session, which would weigh on every exec alike and hide the differences.
  const user = process.env.NSX_BENCH_USER || 'nsxkey';
  const target = `ssh://${user}@127.0.0.1:${lab.ssh.port}`;
  const conn = await openConnection(target, {
    identities: [lab.keys.ed25519.path],
    knownHosts: [lab.ssh.knownHosts],
    sshConfig: { configPath: '/dev/null', systemConfigPath: null },
    reconnect: false,
  });
  const started = Date.now();
  try {
    const info = await conn.connect();
    const lsns = async () => {
      const r = await conn.exec(LSNS, { privileged: true, timeoutMs: 60_000 });
      if (r.code !== 0) {
        throw new Error(`lsns failed: ${r.stderr}`);
      }
      return r;
    };
    // As the extension refreshes a host: one DiscoveryCache per host, so the podman and ctr CLIs run
    // only when their databases changed; "cold" is the same refresh without a cache (the first one).
    const cache = new DiscoveryCache();
    let treeAt;
    const full = async () => {
      const t0 = process.hrtime.bigint();
      treeAt = undefined;
      const snapshot = await discover(conn, { hostInfo: info, scope: 'full', cache, onTree: () => (treeAt = Number(process.hrtime.bigint() - t0) / 1e6) });
      return snapshot;
    };
    const cold = () => discover(conn, { hostInfo: info, scope: 'full' });
    // A tree-scope refresh passes the same cache back: the paths and engine processes the last probe
    // found root's own are not checked again (docs/snapshot.md).
    const tree = () => discover(conn, { hostInfo: info, scope: 'tree', cache });
    const firstLevel = async () => new SnapshotIndex(await tree());

    log('warm-up');
    await lsns();
    const snap = await full();
    await tree();
    await cold();
    const rows = [];
    log(`${RUNS} runs each: lsns, tree, full, cold full (interleaved)`);
    const ms = { lsns: [], tree: [], full: [], treeInFull: [], cold: [] };
    const hits0 = cache.hits;
    for (let i = 0; i < RUNS; i++) {
      ms.lsns.push((await timeIt(lsns)).ms);
      ms.tree.push((await timeIt(firstLevel)).ms);
      ms.full.push((await timeIt(full)).ms);
      ms.treeInFull.push(treeAt ?? NaN);
      ms.cold.push((await timeIt(cold)).ms);
    }
    const hits = cache.hits - hits0;
    const s = { lsns: stats(ms.lsns), tree: stats(ms.tree), full: stats(ms.full), treeInFull: stats(ms.treeInFull), cold: stats(ms.cold) };
    rows.push(['(a) `lsns -J -o NS,TYPE,NPROCS,PID,PPID,COMMAND,NSFS`, one exec', s.lsns, 1]);
    rows.push(['(c) tree\'s first levels: `discover(conn, {scope: "tree", cache})` + SnapshotIndex', s.tree, s.tree.median / s.lsns.median, 1.5]);
    rows.push(['(c) the same levels inside a full refresh (its `onTree`, same exec)', s.treeInFull, s.treeInFull.median / s.lsns.median]);
    rows.push([`(b) full snapshot, a refresh as the extension does it (engine CLIs reused ${hits} of ${RUNS} times: databases unchanged)`, s.full, s.full.median / s.lsns.median, 3]);
    rows.push(['(b) full snapshot, first refresh (no cache: podman and ctr CLIs run)', s.cold, s.cold.median / s.lsns.median]);

    // (e) What the hardening (docs/security.md: token marks, escaped values, verified engines) costs: the
    // probe as it was before it (bench/baseline/probe-format1.sh, kept for this) and today's, both as
    // one raw exec with the CLI fingerprint passed back (as a refresh does), interleaved in this run.
    const { shScript } = require(path.join(root, 'out/src/host/commandLine.js'));
    const { PROBE_SCRIPT } = require(path.join(root, 'out/src/discovery/probeScript.js'));
    const strip = (t) => t.replace(/^#!.*\n(#.*\n)*/, '');
    const before = strip(fs.readFileSync(path.join(root, 'bench/baseline/probe-format1.sh'), 'utf8'));
    // The hardened probe as it was before its commands got time budgets (issue "a wedged daemon never
    // stalls the view"): what the budgets cost is today's against this, interleaved too.
    const unbounded = strip(fs.readFileSync(path.join(root, 'bench/baseline/probe-unbounded.sh'), 'utf8'));
    const raw = async (script, scope, fp, kp) => {
      const args = ['--us', '\x1f', ...(scope === 'tree' ? ['--scope', 'tree'] : []), ...(fp && scope !== 'tree' ? ['--cli-cache', fp] : []), ...(kp ? ['--known-paths', kp] : [])];
      const r = await conn.exec(shScript(script, args), { privileged: true, timeoutMs: 60_000 });
      if (r.code !== 0 || !/(^@@| )end [\d.]+$/m.test(r.stdout)) {
        throw new Error(`probe failed: ${r.stderr}`);
      }
      return r.stdout;
    };
    const fpOf = (out) => /cli-fingerprint (.*)$/m.exec(out)?.[1];
    const fpBefore = fpOf(await raw(before, 'full'));
    const first = await raw(PROBE_SCRIPT, 'full');
    const fpNow = fpOf(first);
    const fpUnbounded = fpOf(await raw(unbounded, 'full'));
    // What a refresh passes back: the paths and engine processes the last run found root's own.
    const kpNow = / known-paths ?(.*)$/m.exec(first)?.[1].trim();
    const cost = { bt: [], nt: [], bf: [], nf: [], ut: [], uf: [] };
    log(`${RUNS} runs each: the probe before hardening, before the time budgets, and now, tree and full (interleaved)`);
    for (let i = 0; i < RUNS; i++) {
      cost.bt.push((await timeIt(() => raw(before, 'tree'))).ms);
      cost.ut.push((await timeIt(() => raw(unbounded, 'tree', undefined, kpNow))).ms);
      cost.nt.push((await timeIt(() => raw(PROBE_SCRIPT, 'tree', undefined, kpNow))).ms);
      cost.bf.push((await timeIt(() => raw(before, 'full', fpBefore))).ms);
      cost.uf.push((await timeIt(() => raw(unbounded, 'full', fpUnbounded, kpNow))).ms);
      cost.nf.push((await timeIt(() => raw(PROBE_SCRIPT, 'full', fpNow, kpNow))).ms);
    }
    const c = { bt: stats(cost.bt), nt: stats(cost.nt), bf: stats(cost.bf), nf: stats(cost.nf), ut: stats(cost.ut), uf: stats(cost.uf) };
    const costRows = [
      ['tree scope: the probe before hardening (format 1)', c.bt, 1],
      ['tree scope: the hardened probe (format 2)', c.nt, c.nt.median / c.bt.median, 1.1],
      ['full scope: the probe before hardening (format 1)', c.bf, 1],
      ['full scope: the hardened probe (format 2)', c.nf, c.nf.median / c.bf.median, 1.1],
    ];
    const budgetRows = [
      ['tree scope: the probe before the time budgets (bench/baseline/probe-unbounded.sh)', c.ut, 1],
      ['tree scope: with the time budgets', c.nt, c.nt.median / c.ut.median, 1.05],
      ['full scope: the probe before the time budgets', c.uf, 1],
      ['full scope: with the time budgets', c.nf, c.nf.median / c.uf.median, 1.05],
    ];
    if (process.env.NSX_BENCH_ONLY === 'probe-cost') {
      process.stdout.write([...costRows, ...budgetRows].map(([n, st, r]) => `${n}: median ${st.median.toFixed(0)} ms (${st.min.toFixed(0)}–${st.max.toFixed(0)}), × before ${r.toFixed(2)}\n`).join(''));
      return 0;
    }

    log(`scale: +${SCALE_PROCS} processes in ${SCALE_PIDNS} PID namespaces, +${SCALE_NETNS} netns`);
    await growHost();
    let scaled;
    let scaledLsns;
    let scaledFull;
    let big;
    try {
      big = await tree();
      scaledLsns = await series(SCALE_RUNS, lsns);
      scaled = await series(SCALE_RUNS, firstLevel);
      scaledFull = await series(3, full);
      // (e) at scale too: the probe before hardening and today's, raw tree-scope execs, interleaved.
      const kpScale = / known-paths ?(.*)$/m.exec(await raw(PROBE_SCRIPT, 'full'))?.[1].trim();
      const bs = [];
      const ns = [];
      for (let i = 0; i < SCALE_RUNS; i++) {
        bs.push((await timeIt(() => raw(before, 'tree'))).ms);
        ns.push((await timeIt(() => raw(PROBE_SCRIPT, 'tree', undefined, kpScale))).ms);
      }
      const sb = stats(bs);
      const sn = stats(ns);
      costRows.push(['at scale, tree scope: the probe before hardening (format 1)', sb, 1]);
      costRows.push(['at scale, tree scope: the hardened probe (format 2)', sn, sn.median / sb.median]);
    } finally {
      shrinkHost();
    }
    rows.push([`(d) at scale: lsns`, scaledLsns, 1]);
    rows.push([`(d) at scale: refresh → first tree level (tree probe + SnapshotIndex)`, scaled, scaled.median / scaledLsns.median, 1.5]);
    rows.push([`(d) at scale: full refresh (3 runs)`, scaledFull, scaledFull.median / scaledLsns.median, 3]);

    const facts = {
      date: new Date().toISOString(),
      nproc: os.cpus().length,
      kernel: os.release(),
      load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
      node: process.version,
      processes: snap.processes.length,
      namespaces: snap.namespaces.length,
      containers: snap.containers.length,
      netnsWithInterfaces: new Set(snap.interfaces.map((i) => i.ns)).size,
      scaleProcesses: big.processes.length,
      scaleNamespaces: big.namespaces.length,
    };
    const f = (x) => x.toFixed(0);
    const lines = [
      '# Discovery benchmark',
      '',
      `Generated by \`npm run bench\` (scripts/bench.js) on ${facts.date}, over one SSH connection to the lab`,
      `(${target}, privileged through ${user === 'root' ? 'root' : 'sudo -n'}), after a warm-up. Times are wall-clock in the client, per call, in ms.`,
      '',
      '| machine | |',
      '|---|---|',
      `| nproc | ${facts.nproc} |`,
      `| kernel | ${facts.kernel} |`,
      `| load average (1, 5, 15 min) at the end | ${facts.load} |`,
      `| node | ${facts.node} |`,
      `| lab host | ${facts.processes} processes, ${facts.namespaces} namespaces, ${facts.containers} containers, ${facts.netnsWithInterfaces} network namespaces |`,
      `| at scale | ${facts.scaleProcesses} processes, ${facts.scaleNamespaces} namespaces (+${SCALE_PROCS} sleeps in ${SCALE_PIDNS} PID namespaces, +${SCALE_NETNS} netns) |`,
      '',
      '| measurement | runs | median | min–max | × lsns | target |',
      '|---|---|---|---|---|---|',
      ...rows.map(([name, st, ratio, target]) =>
        `| ${name} | ${st.n} | ${f(st.median)} | ${f(st.min)}–${f(st.max)} | ${ratio.toFixed(2)} | ${target ? `≤ ${target}× ${ratio <= target ? 'met' : '**missed**'}` : ''} |`),
      '',
      '### The hardened probe against the probe before it',
      '',
      'The probe as it was before the trust hardening (kept as bench/baseline/probe-format1.sh) and today\'s, each as one raw exec',
      '(no parsing) over the same connection, the CLI fingerprint passed back as a refresh does, interleaved in this run.',
      '',
      '| probe | runs | median | min–max | × before | target |',
      '|---|---|---|---|---|---|',
      ...costRows.map(([name, st, ratio, target]) =>
        `| ${name} | ${st.n} | ${f(st.median)} | ${f(st.min)}–${f(st.max)} | ${ratio.toFixed(2)} | ${target ? `≤ ${target}× ${ratio <= target ? 'met' : '**missed**'}` : ''} |`),
      '',
      '### What the time budgets cost',
      '',
      'The probe just before its commands got time budgets (kept as bench/baseline/probe-unbounded.sh) and today\'s, raw execs, interleaved.',
      '',
      '| probe | runs | median | min–max | × before | target |',
      '|---|---|---|---|---|---|',
      ...budgetRows.map(([name, st, ratio, target]) =>
        `| ${name} | ${st.n} | ${f(st.median)} | ${f(st.min)}–${f(st.max)} | ${ratio.toFixed(2)} | ${target ? `≤ ${target}× ${ratio <= target ? 'met' : '**missed**'}` : ''} |`),
      '',
      `Whole bench: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
      '',
    ];
    if (process.env.NSX_BENCH_ONLY === 'discovery') {
      // A quick look while working on the probe: printed, RESULTS.md left as it is.
      process.stdout.write(lines.join('\n'));
      return 0;
    }
    log('terminal: time to the first byte of an Enter Namespace shell');
    const { benchTerminal } = require(path.join(root, 'bench', 'terminal.js'));
    const terminal = await benchTerminal();
    lines.push(terminal.markdown, '');
    log('transport: exec over OpenSSH (ControlMaster) against ssh2');
    lines.push((await require(path.join(root, 'bench', 'transport.js')).benchTransport()).markdown, '');
    log('pidmap: buildPidMap and the PID map webview at 5,000 processes (headless chromium)');
    lines.push((await require(path.join(root, 'bench', 'pidmap.js')).benchPidMap()).markdown, '');
    log('topology: buildTopology and the topology webview at 200 network namespaces (headless chromium)');
    lines.push((await require(path.join(root, 'bench', 'topology.js')).benchTopology()).markdown, '');
    const md = lines.join('\n');
    const out = path.join(root, 'bench', 'RESULTS.md');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const notes = path.join(root, 'bench', 'NOTES.md');
    fs.writeFileSync(out, md + (fs.existsSync(notes) ? '\n' + fs.readFileSync(notes, 'utf8') : ''));
    process.stdout.write(fs.readFileSync(out, 'utf8'));
    return 0;
  } finally {
    conn.dispose();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    log(`error: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);
