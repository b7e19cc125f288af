#!/usr/bin/env node
// Builds and packages the extension: linux-namespace-explorer.vsix, checked for what it must and must not hold.
//   node scripts/package.js [--no-build] [--out FILE]
'use strict';

const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const DEFAULT_VSIX = path.join(ROOT, 'linux-namespace-explorer.vsix');
const MAX_BYTES = 2 * 1024 * 1024;

function run(command, args) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.error?.message ?? result.signal})`);
}

/** Entry names from a zip's central directory (a .vsix is a zip); no dependency needed. */
function zipEntries(file) {
  const buf = fs.readFileSync(file);
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 65557); i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let offset = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let n = 0; n < count; n++) {
    if (buf.readUInt32LE(offset) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLength = buf.readUInt16LE(offset + 28);
    const extraLength = buf.readUInt16LE(offset + 30);
    const commentLength = buf.readUInt16LE(offset + 32);
    names.push(buf.toString('utf8', offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return names;
}

/** Problems with the packaged file, empty when it is fine. */
function checkVsix(file) {
  const problems = [];
  const names = zipEntries(file);
  for (const required of ['extension/package.json', 'extension/dist/extension.js']) {
    if (!names.includes(required)) problems.push(`missing ${required}`);
  }
  if (!names.some((n) => n.startsWith('extension/media/'))) problems.push('no extension/media/ files');
  const modules = names.filter((n) => n.includes('node_modules/'));
  if (modules.length) problems.push(`contains node_modules (${modules.length} files, e.g. ${modules[0]}): dependencies must be bundled by webpack`);
  const stray = names.filter((n) => /^extension\/(src|out|test|webview|scripts|\.vscode-test)\//.test(n) || n.endsWith('.map'));
  if (stray.length) problems.push(`contains files that belong in the repo only: ${stray.slice(0, 5).join(', ')}`);
  const size = fs.statSync(file).size;
  if (size > MAX_BYTES) problems.push(`${(size / 1024 / 1024).toFixed(2)} MB is over the ${MAX_BYTES / 1024 / 1024} MB limit`);
  return { problems, names, size };
}

async function packageExtension({ build = true, out = DEFAULT_VSIX } = {}) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  // `vsce package` always runs the vscode:prepublish script first; when that is the build, building here
  // too would cost a second webpack run (about 40 s on 2 cores).
  const prepublishBuilds = /\bnpm run build\b|\bwebpack\b/.test(manifest.scripts?.['vscode:prepublish'] ?? '');
  fs.rmSync(out, { force: true });
  if (build) {
    if (!prepublishBuilds) run('npm', ['run', 'build']);
    // --no-dependencies: webpack bundles ssh2 & co into dist/, so node_modules stays out of the package.
    // --no-rewrite-relative-links: the repository URL is not a public GitHub/GitLab one, and vsce refuses
    // to package a README with relative links it cannot rewrite.
    run(path.join(ROOT, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--no-rewrite-relative-links', '-o', out]);
  } else {
    // Already built (scripts/test.js builds once for every layer): vsce's own pack() skips the prepublish.
    if (!fs.existsSync(path.join(ROOT, 'dist', 'extension.js'))) throw new Error('dist/extension.js is missing: run "npm run build" first');
    const { pack } = require(path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'out', 'package.js'));
    await pack({ cwd: ROOT, packagePath: out, dependencies: false, rewriteRelativeLinks: false });
  }
  const { problems, names, size } = checkVsix(out);
  console.log(`${path.relative(process.cwd(), out) || out}: ${(size / 1024).toFixed(1)} KiB, ${names.length} entries`);
  if (problems.length) throw new Error(`the package is not right:\n  - ${problems.join('\n  - ')}`);
  return out;
}

module.exports = { packageExtension, checkVsix, zipEntries, DEFAULT_VSIX };

if (require.main === module) {
  const args = process.argv.slice(2);
  const outIndex = args.indexOf('--out');
  packageExtension({ build: !args.includes('--no-build'), out: outIndex >= 0 ? path.resolve(args[outIndex + 1]) : DEFAULT_VSIX }).catch((err) => {
    console.error(`package: ${err instanceof Error ? err.message : err}`);
    process.exit(1);
  });
}
