#!/usr/bin/env node
// `npm run fixtures`: captures the unit tests' probe fixtures (test/unit/discovery/fixtures/*.probe.txt and
// truth.json) from the current probe on the lab host. As root: installs the lab's packages when missing,
// builds the tests, brings the lab up (unless it is up already) and always takes down what it brought up.
// Run it after every change to src/discovery/probe.sh: test/unit/discovery/fixtures.test.ts fails until then.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const run = (cmd, argv) => {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  return r.status === null ? 1 : r.status;
};

if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
  console.error('fixtures: needs root: the probe runs as root on the lab host (sudo npm run fixtures).');
  process.exit(2);
}
if (run('bash', ['scripts/install-deps.sh', 'lab']) !== 0) {
  console.error('fixtures: the lab packages could not be installed');
  process.exit(1);
}
if (run('npm', ['run', '--silent', 'build:tests']) !== 0) {
  process.exit(1);
}
const capture = ['node', 'out/test/lab/captureFixtures.js'];
const labUp = fs.existsSync(path.join(process.env.NSX_LAB_DIR || '/run/nsx-lab', 'lab.json'));
process.exit(labUp ? run(capture[0], capture.slice(1)) : run('bash', ['test/lab/lab.sh', 'run', '--', ...capture]));
