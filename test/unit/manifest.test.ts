import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { allContextValues } from '../../src/views/treeNodes';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    return d.isDirectory() ? sourceFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Command ids registered in the source: registerCommand('…') and the commands' reg('…') and cmd('…') helpers. */
function registeredCommands(): Set<string> {
  const ids = new Set<string>();
  for (const f of sourceFiles(path.join(root, 'src'))) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:registerCommand|\breg|\bcmd)\(\s*'(nsExplorer\.[A-Za-z]+)'/g)) {
      ids.add(m[1]);
    }
  }
  return ids;
}

/** The regex inside a when clause `viewItem =~ /…/`. */
function viewItemRegex(when: string): RegExp | undefined {
  const m = /viewItem =~ \/(.*?)\/(?:\s|$)/.exec(when);
  return m ? new RegExp(m[1]) : undefined;
}

describe('package.json manifest', () => {
  const declared: string[] = pkg.contributes.commands.map((c: { command: string }) => c.command);

  it('declares every registered command and registers every declared one', () => {
    const registered = registeredCommands();
    assert.ok(registered.size > 10, `found only ${registered.size} registrations; the scan is broken`);
    assert.deepStrictEqual(declared.filter((c) => !registered.has(c)), [], 'declared in package.json but never registered');
    assert.deepStrictEqual([...registered].filter((c) => !declared.includes(c)), [], 'registered but missing from package.json');
  });

  it('names commands nsExplorer.<verb><Noun> in the category "Namespaces"', () => {
    for (const c of pkg.contributes.commands) {
      assert.match(c.command, /^nsExplorer\.[a-z]+[A-Z][A-Za-z]*$/, c.command);
      assert.strictEqual(c.category, 'Namespaces', c.command);
    }
  });

  it('activates on the view and commands only, never on *', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(pkg.activationEvents.every((e: string) => /^(onView|onCommand|onWebviewPanel):nsExplorer\./.test(e)), pkg.activationEvents.join());
    assert.deepStrictEqual(pkg.extensionKind, ['ui', 'workspace']);
    assert.strictEqual(pkg.contributes.viewsContainers.activitybar[0].title, 'Namespaces');
    assert.ok(fs.existsSync(path.join(root, pkg.contributes.viewsContainers.activitybar[0].icon)));
  });

  it('menus name only declared commands', () => {
    for (const [menu, items] of Object.entries(pkg.contributes.menus) as Array<[string, Array<{ command: string }>]>) {
      for (const item of items) {
        assert.ok(declared.includes(item.command), `${menu} names ${item.command}, which is not declared`);
      }
    }
  });

  it('every item menu matches some contextValue the tree builds, and every contextValue has a menu', () => {
    const values = allContextValues();
    const regexes = pkg.contributes.menus['view/item/context'].map((m: { when: string }) => ({ when: m.when, re: viewItemRegex(m.when) }));
    for (const { when, re } of regexes) {
      assert.ok(re, `no viewItem regex in ${when}`);
      assert.ok(values.some((v) => re.test(v)), `menu "${when}" matches no contextValue the tree can produce`);
    }
    for (const v of values) {
      assert.ok(regexes.some((r: { re: RegExp }) => r.re.test(v)), `contextValue ${v} has no menu`);
    }
  });
});
