// The compiled test files (*.test.js) under a folder, sorted. Shared by the integration index (inside the
// extension host) and the e2e runner (plain Node), so it imports nothing but fs and path.
import * as fs from 'fs';
import * as path from 'path';

export function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  }).sort();
}
