#!/usr/bin/env node
// Counts the tests of a layer without running them, so a layer skipped as a whole counts each of its
// tests as skipped: loads the layer's compiled test files into a Mocha instance (describe bodies run, no
// it() body does) and counts the tests of every suite. Integration tests import `vscode`, which exists
// only in the extension host: here it is a stand-in that accepts any use at load time.
//   node scripts/countTests.js lab|integration|e2e   -> prints the count
'use strict';
const Module = require('module');
const path = require('path');
const Mocha = require('mocha');

const root = path.resolve(__dirname, '..');
const dirs = { lab: 'out/test/lab', integration: 'out/test/integration', e2e: 'out/test/e2e' };

/** A value that is any object, function or constructor: `vscode.x.y(...)` at load time gives another. */
function standIn() {
  const fn = function () {
    return proxy;
  };
  const proxy = new Proxy(fn, {
    get: (_t, key) => (key === Symbol.toPrimitive ? () => '' : key === 'then' ? undefined : proxy),
    apply: () => proxy,
    construct: () => proxy,
  });
  return proxy;
}

function countLayer(layer) {
  const dir = dirs[layer];
  if (!dir) throw new Error(`unknown layer ${layer}`);
  const vscode = standIn();
  const load = Module._load;
  Module._load = function (request, ...rest) {
    return request === 'vscode' ? vscode : load.call(this, request, ...rest);
  };
  try {
    const { testFiles } = require(path.join(root, 'out/test/integration/testFiles.js'));
    const mocha = new Mocha();
    for (const f of testFiles(path.join(root, dir))) mocha.addFile(f);
    mocha.loadFiles();
    const count = (s) => s.tests.length + s.suites.reduce((n, c) => n + count(c), 0);
    return count(mocha.suite);
  } finally {
    Module._load = load;
  }
}

module.exports = { countLayer };

if (require.main === module) {
  process.stdout.write(`${countLayer(process.argv[2])}\n`);
}
