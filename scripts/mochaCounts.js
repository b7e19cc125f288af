// A mocha reporter: the spec reporter's output, plus the counts written as JSON to $NSX_TEST_RESULTS
// so scripts/test.js can total every layer.
'use strict';
const fs = require('fs');
const Mocha = require('mocha');

class CountsReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const failures = [];
    runner.on('fail', (test, err) => failures.push({ title: test.fullTitle(), error: String(err && err.message) }));
    runner.once('end', () => {
      const file = process.env.NSX_TEST_RESULTS;
      if (file) {
        const s = runner.stats || {};
        fs.writeFileSync(file, JSON.stringify({ passed: s.passes || 0, failed: s.failures || 0, pending: s.pending || 0, failures }));
      }
    });
  }
}
module.exports = CountsReporter;
