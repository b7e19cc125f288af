#!/usr/bin/env node
// `npm test`: builds, installs what the layers need when missing, then runs unit, lab, integration and e2e
// in that order and prints one closing line over all of them: "N passed, N failed, N skipped".
// Usage: node scripts/test.js [--only unit|lab|integration|e2e]... [--keep-lab]
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { countLayer } = require('./countTests');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const only = args.flatMap((a, i) => (a === '--only' ? [args[i + 1]] : []));
const want = (layer) => only.length === 0 || only.includes(layer);
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-test-'));
const totals = { passed: 0, failed: 0, skipped: 0, retried: 0 };
const summary = [];
let labUp = false;

function log(msg) {
  process.stdout.write(`\n=== ${msg}\n`);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', ...opts, env: { ...process.env, ...(opts.env || {}) } });
  return r.status === null ? 1 : r.status;
}

/** A layer skipped as a whole: each of its tests counts as skipped (counted from the built test files). */
function skip(layer, reason) {
  let n;
  try {
    n = countLayer(layer);
  } catch (err) {
    n = 1;
    reason += ` (its tests could not be counted: ${err instanceof Error ? err.message : err})`;
  }
  totals.skipped += n;
  summary.push(`${layer} layer skipped (${n} tests): ${reason}`);
  log(`${layer}: ${n} tests skipped: ${reason}`);
}

/** Run one layer whose runner writes {passed, failed, pending} to $NSX_TEST_RESULTS. */
function layer(name, cmd, argv, env = {}) {
  const file = path.join(resultsDir, `${name}.json`);
  log(`${name} tests`);
  const status = run(cmd, argv, { env: { ...env, NSX_TEST_RESULTS: file } });
  let r;
  try {
    r = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    r = { passed: 0, failed: 1, pending: 0, crashed: true };
  }
  if (status !== 0 && r.failed === 0) {
    r.failed = 1;
    r.crashed = true;
  }
  totals.passed += r.passed;
  totals.failed += r.failed;
  totals.skipped += r.pending || 0;
  const retried = r.retried && r.retried.length ? `, ${r.retried.length} of them after a retry` : '';
  summary.push(`${name} layer (${r.passed} passed${retried}, ${r.failed} failed${r.pending ? `, ${r.pending} skipped` : ''})${r.crashed ? ` runner exited ${status}` : ''}`);
  totals.retried += r.retried ? r.retried.length : 0;
  // The closing lines name each failure, so the end of a long log says what failed and why.
  for (const f of r.failures || []) {
    summary.push(`  ✗ ${f.title}: ${String(f.error).split('\n')[0].slice(0, 400)}`);
  }
}

function labDown() {
  if (labUp) {
    labUp = false;
    log('lab down');
    run('bash', ['test/lab/lab.sh', 'down']);
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    labDown();
    process.exit(130);
  });
}

function main() {
  log('build');
  if (run('npm', ['run', '--silent', 'build']) !== 0 || run('npm', ['run', '--silent', 'build:tests']) !== 0) {
    totals.failed += 1;
    summary.push('build: failed');
    return;
  }
  const mocha = path.join(root, 'node_modules', '.bin', 'mocha');
  const reporter = ['--reporter', path.join(root, 'scripts', 'mochaCounts.js')];

  const needLab = want('lab') || want('integration') || want('e2e');
  // Every package any layer uses is installed before the first layer runs (a unit test runs the probe
  // under busybox and each awk): a fresh machine passes as this one does.
  let depStatus = 0;
  if (isRoot) {
    log('installing the packages the tests use, when missing');
    depStatus = run('bash', ['scripts/install-deps.sh', needLab ? 'all' : 'unit']);
    if (depStatus !== 0 && process.env.CI === 'true') {
      totals.failed += 1;
      summary.push(`packages: scripts/install-deps.sh exited ${depStatus}`);
    }
  }

  if (want('unit')) {
    layer('unit', mocha, ['--config', 'test/unit/.mocharc.json', ...reporter]);
  }

  let labReason;
  if (needLab) {
    if (!isRoot) {
      labReason = 'the lab needs root (namespaces, sshd, dockerd)';
    } else {
      const dep = depStatus;
      if (dep === 2) {
        labReason = 'apt is not available to install the lab packages';
      } else if (dep !== 0) {
        labReason = 'some lab packages could not be installed (see above)';
      } else {
        log('lab up');
        labUp = true;
        if (run('bash', ['test/lab/lab.sh', 'up']) !== 0) {
          totals.failed += 1;
          summary.push('lab: "lab.sh up" failed');
          labReason = 'the lab did not come up';
        }
      }
    }
  }

  if (want('lab')) {
    if (labReason) {
      skip('lab', labReason);
    } else {
      layer('lab', mocha, ['--timeout', '120000', 'out/test/lab/**/*.test.js', ...reporter], { NSX_LAB_REQUIRED: '1' });
    }
  }

  const uiReason = labReason;
  if (want('integration') || want('e2e')) {
    if (!uiReason) {
      log('code-server (installed into .vscode-test when missing)');
      if (run('node', ['scripts/codeServer.js', 'install']) !== 0) {
        totals.failed += 1;
        summary.push('code-server: install failed');
        labDown();
        return;
      }
    }
  }
  if (want('integration')) {
    if (uiReason) {
      skip('integration', uiReason);
    } else {
      layer('integration', 'node', ['out/test/integration/runCodeServer.js'], { NSX_LAB_REQUIRED: '1' });
    }
  }
  if (want('e2e')) {
    if (uiReason) {
      skip('e2e', uiReason);
    } else if (run('node', ['scripts/package.js', '--no-build']) !== 0) {
      totals.failed += 1;
      summary.push('e2e: packaging the .vsix failed');
    } else {
      layer('e2e', 'node', ['out/test/e2e/run.js'], { NSX_LAB_REQUIRED: '1' });
    }
  }
  if (!args.includes('--keep-lab')) {
    labDown();
  }
}

try {
  main();
} finally {
  if (!args.includes('--keep-lab')) {
    labDown();
  }
  fs.rmSync(resultsDir, { recursive: true, force: true });
  process.stdout.write('\n' + summary.map((s) => `  ${s}`).join('\n') + '\n');
  process.stdout.write(`${totals.passed} passed${totals.retried ? `, ${totals.retried} of them after a retry` : ''}, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ''}\n`);
  process.exitCode = totals.failed > 0 ? 1 : 0;
}
