'use strict';
// The benches load the project's compiled modules from out/ (npx tsc -p tsconfig.test.json).
const fs = require('fs');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');

/** require() of out/REL, with a clear message when out/ was not built. */
function compiled(rel) {
  const file = path.join(ROOT, 'out', rel);
  if (!fs.existsSync(file)) {
    throw new Error(`${file} is missing: compile first with \`npx tsc -p tsconfig.test.json\`.`);
  }
  return require(file);
}

module.exports = { compiled };
