// One installer at a time per folder: a lock directory (mkdir is atomic) holding the owner's PID. A second
// installer waits until the first is done, then finds its work complete; a lock whose owner is gone (a
// killed install) is taken over. Used by scripts/codeServer.js, so two test runs or demos started at once
// never write into the same .vscode-test/ together.
'use strict';

const fs = require('fs');
const path = require('path');

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Runs fn() holding the lock `<dir>/.install.lock`; waits at most `waitMs` for another holder, telling
 * `log` once who it waits for. Returns fn's result.
 */
function withInstallLock(dir, fn, { waitMs = 20 * 60_000, log = () => undefined, pollMs = 500 } = {}) {
  fs.mkdirSync(dir, { recursive: true });
  const lock = path.join(dir, '.install.lock');
  const owner = path.join(lock, 'pid');
  const deadline = Date.now() + waitMs;
  let told = false;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      fs.writeFileSync(owner, `${process.pid}\n`);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const pid = Number((() => {
        try {
          return fs.readFileSync(owner, 'utf8').trim();
        } catch {
          return '';
        }
      })());
      // No PID yet: the owner is between mkdir and write; give it a moment before calling it stale.
      if (pid > 0 && !alive(pid)) {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`${lock} is held by process ${pid || '?'} for longer than ${Math.round(waitMs / 1000)} s; remove it if no install runs`);
      }
      if (!told) {
        log(`another install (process ${pid || '?'}) is writing ${dir}: waiting for it`);
        told = true;
      }
      sleepMs(pollMs);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

module.exports = { withInstallLock };
