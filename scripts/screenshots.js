#!/usr/bin/env node
// Refreshes the pictures in README.md from the end-to-end run, which takes them in a real code-server and
// browser against the lab:
//   node scripts/screenshots.js            runs the e2e layer (root: the lab), then copies
//   node scripts/screenshots.js --no-run   copies what the last e2e run left in test/e2e/screenshots/
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const FROM = path.join(ROOT, 'test', 'e2e', 'screenshots');
const TO = path.join(ROOT, 'docs', 'images');

/** README picture <- the e2e screenshot it is taken from (test/e2e/*.test.ts names them). */
const PICTURES = {
  'hosts-ssh-aliases.png': '19-hosts-view-ssh-aliases.png',
  'tree.png': '02-containers.png',
  'pid-map.png': '08-pidmap-dark.png',
  'connect-preview.png': '11-connect-preview.png',
  'terminal.png': '05-enter-all.png',
};

function main() {
  if (!process.argv.includes('--no-run')) {
    const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'test.js'), '--only', 'e2e'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) {
      console.error('screenshots: the e2e run failed; README pictures left as they were');
      return 1;
    }
  }
  const missing = Object.values(PICTURES).filter((f) => !fs.existsSync(path.join(FROM, f)));
  if (missing.length) {
    console.error(`screenshots: missing from ${FROM}: ${missing.join(', ')} (run the e2e layer with the lab up)`);
    return 1;
  }
  fs.mkdirSync(TO, { recursive: true });
  for (const [to, from] of Object.entries(PICTURES)) {
    fs.copyFileSync(path.join(FROM, from), path.join(TO, to));
    console.log(`screenshots: docs/images/${to} <- test/e2e/screenshots/${from}`);
  }
  return 0;
}

process.exit(main());
