#!/usr/bin/env node
// Try the extension by hand: builds and packages it, then opens it in desktop VS Code when `code` is on
// PATH, or else in code-server on 127.0.0.1 (no internet needed).
//   node scripts/demo.js [--lab] [--port N]
// --lab first brings up the test lab (bash test/lab/lab.sh up) and takes it down on exit.
// Ctrl-C stops everything this script started.
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { packageExtension, DEFAULT_VSIX } = require('./package');

const ROOT = path.resolve(__dirname, '..');
const LAB = path.join(ROOT, 'test', 'lab', 'lab.sh');

const args = process.argv.slice(2);
const withLab = args.includes('--lab');
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? Number(args[portIndex + 1]) : undefined;

const cleanups = [];
let cleaning;
function cleanup() {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      try {
        await step();
      } catch (err) {
        console.error(`demo: cleanup: ${err instanceof Error ? err.message : err}`);
      }
    }
  })();
  return cleaning;
}
function exitAfterCleanup(code) {
  cleanup().then(() => process.exit(code));
}
process.on('SIGINT', () => { console.log('\ndemo: stopping…'); exitAfterCleanup(0); });
process.on('SIGTERM', () => exitAfterCleanup(0));

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Runs a child in its own process group, so Ctrl-C cleanup can stop all of it. */
function spawnGroup(command, argv, options) {
  const child = spawn(command, argv, { stdio: 'inherit', detached: true, ...options });
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  });
  return child;
}

async function main() {
  const env = {};
  const settings = {};
  if (withLab) {
    if (!fs.existsSync(LAB)) throw new Error('test/lab/lab.sh is missing');
    cleanups.push(async () => {
      console.log('demo: bash test/lab/lab.sh down');
      spawnSync('bash', [LAB, 'down'], { cwd: ROOT, stdio: 'inherit' });
    });
    console.log('demo: bash test/lab/lab.sh up');
    const up = spawnSync('bash', [LAB, 'up'], { cwd: ROOT, stdio: 'inherit' });
    if (up.status !== 0) throw new Error(`lab.sh up failed (${up.status ?? up.signal})`);
    env.NSX_LAB_DIR = process.env.NSX_LAB_DIR ?? '/run/nsx-lab';
    // Connect to Host offers the lab's aliases: its ssh config (lab, lab-inner through ProxyJump) and the
    // aliases as saved hosts.
    const lab = JSON.parse(fs.readFileSync(path.join(env.NSX_LAB_DIR, 'lab.json'), 'utf8'));
    settings['nsExplorer.sshConfigFile'] = lab.clientConfig;
    settings['nsExplorer.hosts'] = ['lab', 'lab-inner'];
  }

  await packageExtension({ build: true, out: DEFAULT_VSIX });

  if (onPath('code') && !process.env.NSX_DEMO_CODE_SERVER) {
    console.log('\ndemo: desktop VS Code found: code --extensionDevelopmentPath=' + ROOT);
    if (withLab) {
      // Desktop VS Code keeps the user's own settings: say what to set rather than change them.
      console.log(`demo: to reach the lab, set "nsExplorer.sshConfigFile": "${settings['nsExplorer.sshConfigFile']}" and pick "lab" in Connect to Host…`);
    }
    const child = spawnGroup('code', ['--new-window', '--wait', `--extensionDevelopmentPath=${ROOT}`, ROOT], {
      env: { ...process.env, ...env },
    });
    child.on('exit', () => exitAfterCleanup(0));
    return;
  }

  const { startCodeServer } = require('./codeServer');
  const server = await startCodeServer({ port, installVsix: DEFAULT_VSIX, env, settings, keepHome: true, workspace: ROOT });
  cleanups.push(() => server.stop());
  const url = `${server.url}/?folder=${encodeURIComponent(server.workspace)}`;
  const bar = '='.repeat(Math.min(100, url.length + 4));
  console.log(`\n${bar}\n  ${url}\n${bar}`);
  console.log('Open it in a browser on this machine (for a remote machine: ssh -L PORT:127.0.0.1:PORT).');
  console.log('The extension is in the activity bar as "Namespaces".' + (withLab ? ` Lab: ${env.NSX_LAB_DIR}/lab.json` : ''));
  if (withLab) {
    console.log(`Connect to Host… offers "lab" (the lab's sshd) and "lab-inner" (an sshd inside netns nsx_ssh, via ProxyJump lab),`);
    console.log(`from ${settings['nsExplorer.sshConfigFile']} (setting nsExplorer.sshConfigFile). Pick "lab" to see its containers.`);
  }
  console.log(`code-server log: ${server.logFile}\nCtrl-C stops it${withLab ? ' and takes the lab down' : ''}.`);
  // Stay alive until Ctrl-C (signal handlers above do the cleanup).
  setInterval(() => undefined, 1 << 30);
}

main().catch((err) => {
  console.error(`demo: ${err instanceof Error ? err.message : err}`);
  exitAfterCleanup(1);
});
