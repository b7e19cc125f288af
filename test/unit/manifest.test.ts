import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import type { ContainerInfo, NamespaceInfo, Snapshot } from '../../src/model/snapshot';
import { SnapshotIndex } from '../../src/model/snapshotIndex';
import { netnsKind } from '../../src/views/netnsKind';

const root = path.resolve(__dirname, '..', '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const nls: Record<string, string> = JSON.parse(fs.readFileSync(path.join(root, 'package.nls.json'), 'utf8'));
/** A manifest string as VS Code shows it in English: `%key%` looked up in package.nls.json. */
const en = (s: string): string => s.replace(/^%([^%]+)%$/, (_, key: string) => nls[key] ?? `<missing ${key}>`);

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
      assert.strictEqual(en(c.category), 'Namespaces', c.command);
    }
  });

  it('activates on the view and commands only, never on *', () => {
    assert.ok(!pkg.activationEvents.includes('*'));
    assert.ok(pkg.activationEvents.every((e: string) => /^(onView|onCommand|onWebviewPanel):nsExplorer\./.test(e)), pkg.activationEvents.join());
    assert.deepStrictEqual(pkg.extensionKind, ['ui', 'workspace']);
    assert.strictEqual(en(pkg.contributes.viewsContainers.activitybar[0].title), 'Namespaces');
    assert.ok(fs.existsSync(path.join(root, pkg.contributes.viewsContainers.activitybar[0].icon)));
  });

  it('menus name only declared commands', () => {
    for (const [menu, items] of Object.entries(pkg.contributes.menus) as Array<[string, Array<{ command: string }>]>) {
      for (const item of items) {
        assert.ok(declared.includes(item.command), `${menu} names ${item.command}, which is not declared`);
      }
    }
  });

  it('shows each item menu by a viewItem regular expression that compiles', () => {
    // Which tree items really carry each menu is checked on the lab's real tree (test/integration/tree.test.ts).
    for (const m of pkg.contributes.menus['view/item/context'] as Array<{ when: string; command: string }>) {
      assert.ok(viewItemRegex(m.when), `${m.command}: no viewItem =~ /…/ in "${m.when}"`);
    }
  });
});

describe('Hosts tree: network namespace kinds', () => {
  const HOST = 4026531840;
  const NAMED = 4026532300;
  const BOTH = 4026532400; // a named netns a container also joined: named wins
  const CONTAINER = 4026532500;
  const OTHER = 4026532600;
  const netns = (inode: number, initial = false): NamespaceInfo => ({ type: 'net', inode, holders: [], pids: [], nsfsPaths: [], initial });
  const container = (name: string, net: number): ContainerInfo => ({
    engine: 'docker', id: name, name, image: 'alpine', state: 'running', pid: 100, ns: { net }, sharedWithHost: [],
  });
  const snapshot: Snapshot = {
    schemaVersion: 1,
    host: { hostname: 'lab', kernel: '6.1', uid: 0, privileged: true, probeMs: 5, takenAt: 1700000000000, warnings: [] },
    processes: [],
    namespaces: [netns(HOST, true), netns(NAMED), netns(BOTH), netns(CONTAINER), netns(OTHER)],
    containers: [container('web', CONTAINER), container('joined', BOTH)],
    netns: [{ name: 'blue', path: '/run/netns/blue', inode: NAMED }, { name: 'red', path: '/run/netns/red', inode: BOTH }],
    interfaces: [],
  };
  const index = new SnapshotIndex(snapshot);

  it('classifies the host\'s, named, container and other netns, the first that applies winning', () => {
    assert.strictEqual(netnsKind(index, HOST), 'hostns');
    assert.strictEqual(netnsKind(index, NAMED), 'named');
    assert.strictEqual(netnsKind(index, BOTH), 'named');
    assert.strictEqual(netnsKind(index, CONTAINER), 'container');
    assert.strictEqual(netnsKind(index, OTHER), 'other');
  });
});
