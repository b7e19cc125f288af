// Two languages: every user-facing manifest string is a %key% that package.nls.json (English) and
// package.nls.zh-cn.json both have, and every runtime string the code passes to vscode.l10n.t has its
// Simplified Chinese in l10n/bundle.l10n.zh-cn.json, with the same placeholders and command links.
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..', '..');
const read = (f: string) => JSON.parse(fs.readFileSync(path.join(root, f), 'utf8'));
const pkg = read('package.json');
const en: Record<string, string> = read('package.nls.json');
const zh: Record<string, string> = read('package.nls.zh-cn.json');
const bundle: Record<string, string> = read('l10n/bundle.l10n.zh-cn.json');

/** The manifest's user-facing strings, with where each is. */
function manifestStrings(): Array<[string, string]> {
  const c = pkg.contributes;
  const out: Array<[string, string]> = [['displayName', pkg.displayName], ['description', pkg.description]];
  c.viewsContainers.activitybar.forEach((a: { title: string }, i: number) => out.push([`activitybar[${i}].title`, a.title]));
  for (const v of c.views.nsExplorer) out.push([`view ${v.id}`, v.name], [`view ${v.id} contextualTitle`, v.contextualTitle]);
  c.viewsWelcome.forEach((w: { contents: string }, i: number) => out.push([`viewsWelcome[${i}]`, w.contents]));
  for (const cmd of c.commands) out.push([`${cmd.command} title`, cmd.title], [`${cmd.command} category`, cmd.category]);
  out.push(['configuration.title', c.configuration.title]);
  for (const [id, p] of Object.entries(c.configuration.properties) as Array<[string, { markdownDescription?: string; description?: string; enumDescriptions?: string[] }]>) {
    out.push([id, p.markdownDescription ?? p.description ?? '']);
    (p.enumDescriptions ?? []).forEach((d, i) => out.push([`${id} enum ${i}`, d]));
  }
  for (const w of c.walkthroughs ?? []) {
    out.push([`walkthrough ${w.id}`, w.title], [`walkthrough ${w.id} description`, w.description]);
    for (const s of w.steps) out.push([`step ${s.id}`, s.title], [`step ${s.id} description`, s.description], [`step ${s.id} altText`, s.media.altText]);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every literal first argument of vscode.l10n.t in src/. */
function runtimeStrings(): string[] {
  const out = new Set<string>();
  for (const f of sourceFiles(path.join(root, 'src'))) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/l10n\.t\(\s*('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")/g)) {
      // A TS string literal of these forms is a JS one: read it as JSON after normalising the quotes.
      const lit = m[1];
      out.add(lit.startsWith("'") ? JSON.parse(`"${lit.slice(1, -1).replace(/\\'/g, "'").replace(/"/g, '\\"')}"`) : JSON.parse(lit));
    }
  }
  return [...out];
}

const placeholders = (s: string) => [...s.matchAll(/\{\d+\}/g)].map((m) => m[0]).sort();
const commandLinks = (s: string) => [...s.matchAll(/\(command:[^)]+\)/g)].map((m) => m[0]).sort();
const CJK = /[\u4e00-\u9fff]/;

describe('two languages: English and Simplified Chinese', () => {
  it('has every user-facing manifest string as a %key% in both package.nls.json and package.nls.zh-cn.json', () => {
    const strings = manifestStrings();
    assert.ok(strings.length > 80, `only ${strings.length} strings found; the scan is broken`);
    for (const [where, s] of strings) {
      const m = /^%([^%]+)%$/.exec(s ?? '');
      assert.ok(m, `${where} is not a %key%: ${JSON.stringify(s)}`);
      assert.ok(en[m[1]] !== undefined, `${where}: ${m[1]} is missing from package.nls.json`);
      assert.ok(zh[m[1]] !== undefined, `${where}: ${m[1]} is missing from package.nls.zh-cn.json`);
    }
    assert.deepStrictEqual(Object.keys(zh).filter((k) => !(k in en)), [], 'keys only in zh-cn');
    assert.deepStrictEqual(Object.keys(en).filter((k) => !(k in zh)), [], 'keys only in English');
  });

  it('translates each manifest string, keeping its command links and code', () => {
    for (const [key, text] of Object.entries(en)) {
      assert.ok(CJK.test(zh[key]), `${key} is not translated: ${zh[key]}`);
      assert.deepStrictEqual(commandLinks(zh[key]), commandLinks(text), `${key}: command links differ`);
      const code = (s: string) => [...s.matchAll(/`[^`]+`/g)].map((x) => x[0]).sort();
      assert.deepStrictEqual(code(zh[key]), code(text), `${key}: inline code differs`);
    }
  });

  it('has every runtime vscode.l10n.t string in the zh-cn bundle, with the same placeholders', () => {
    const strings = runtimeStrings();
    assert.ok(strings.length > 40, `only ${strings.length} l10n.t strings found; the scan is broken`);
    for (const s of strings) {
      assert.ok(bundle[s] !== undefined, `missing from l10n/bundle.l10n.zh-cn.json: ${JSON.stringify(s)}`);
      assert.ok(CJK.test(bundle[s]), `not translated: ${JSON.stringify(s)}`);
      assert.deepStrictEqual(placeholders(bundle[s]), placeholders(s), `placeholders differ for ${JSON.stringify(s)}`);
    }
    assert.deepStrictEqual(Object.keys(bundle).filter((k) => !strings.includes(k)), [], 'bundle entries no code uses');
    assert.strictEqual(pkg.l10n, './l10n');
  });
});
