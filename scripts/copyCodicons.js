#!/usr/bin/env node
// Copies the codicon font and stylesheet into media/codicons/, which webviews load through
// asWebviewUri: node_modules is not packaged into the .vsix. Run before packaging (the build hooks it in).
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const from = path.join(root, 'node_modules', '@vscode', 'codicons', 'dist');
const to = path.join(root, 'media', 'codicons');
fs.mkdirSync(to, { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) {
  fs.copyFileSync(path.join(from, file), path.join(to, file));
}
console.log(`codicons copied to ${path.relative(root, to)}`);
