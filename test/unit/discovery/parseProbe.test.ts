import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import { ProbeStreamParser, parseProbeOutput, unescapeMountField, unescapeStatusName } from '../../../src/discovery/parseProbe';
import { Snapshot } from '../../../src/model/snapshot';
import type { TruthFile } from '../../lab/captureFixtures';
import { REPO_ROOT } from './probeScriptSource';
import { mark, probeText } from './probeFormat';

const FIXTURES = path.join(REPO_ROOT, 'test/unit/discovery/fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

/** The lines of one section of real probe output, and a copy of the text with that section's lines edited. */
function editSection(text: string, name: string, edit: (line: string) => string | undefined): string {
  const lines = text.split('\n');
  const at = lines.indexOf(mark(name));
  assert.ok(at >= 0, `@@${name} in the fixture`);
  for (let i = at + 1; i < lines.length && !lines[i].startsWith('@@'); i++) {
    const e = edit(lines[i]);
    lines[i] = e === undefined ? '\0drop' : e;
  }
  return lines.filter((l) => l !== '\0drop').join('\n');
}

// odd.probe.txt and its truth: real output of the current probe (npm run fixtures), edited below to
// make what a live capture cannot time: a process that exits between two reads of /proc.
describe('parseProbe: processes that change while the probe reads them (odd.probe.txt, edited)', () => {
  const text = fixture('odd.probe.txt');
  const truth = (JSON.parse(fixture('truth.json')) as TruthFile).captures['odd.probe.txt'];
  const victim = truth.processes.find((p) => p.uid === 65534)!;

  it('drops a PID that vanished before its status was read', () => {
    const before = parseProbeOutput(text);
    assert.ok(before.processes.some((p) => p.pid === victim.pid));
    const gone = parseProbeOutput(editSection(text, 'procs', (l) => (l.startsWith(`${victim.pid}\t`) ? undefined : l)));
    assert.ok(!gone.processes.some((p) => p.pid === victim.pid));
    assert.ok(!gone.namespaces.some((n) => n.pids.includes(victim.pid)), 'and from every namespace');
    assert.strictEqual(gone.processes.length, before.processes.length - 1);
  });

  it('keeps a process whose namespace links were unreadable, without namespaces, and says so', () => {
    const s = parseProbeOutput(editSection(text, 'nsp', (l) => (l.startsWith(`${victim.pid} `) ? `${victim.pid} - - - - - - - -` : l)));
    const p = s.processes.find((x) => x.pid === victim.pid);
    assert.ok(p);
    assert.deepStrictEqual(p.ns, {});
    assert.ok(s.host.warnings.some((w) => /unreadable namespace/.test(w)), s.host.warnings.join(' | '));
  });
});

describe('ProbeStreamParser', () => {
  it('gives the same snapshot whether fed whole or in odd-sized chunks split inside UTF-8', () => {
    const host = (JSON.parse(fixture('truth.json')) as TruthFile).captures['odd.probe.txt'].hostname;
    const text = fixture('odd.probe.txt').replace(`hostname=${host}`, 'hostname=ödd høst');
    const whole = parseProbeOutput(text, { takenAt: 5 });
    const parser = new ProbeStreamParser();
    const buf = Buffer.from(text);
    for (let i = 0; i < buf.length; i += 7) {
      parser.feed(buf.subarray(i, i + 7));
    }
    assert.deepStrictEqual(parser.finish({ takenAt: 5 }), whole);
    assert.strictEqual(whole.host.hostname, 'ödd høst');
  });

  it('stops at the byte bound and warns', () => {
    const parser = new ProbeStreamParser(2000);
    parser.feed(fixture('odd.probe.txt'));
    const s = parser.finish();
    assert.ok(parser.truncated);
    assert.ok(s.host.warnings.some((w) => /exceeded 2000 bytes/.test(w)));
  });

  it('reports an empty stream as a probe that did not run', () => {
    const s = parseProbeOutput('');
    assert.ok(s.host.warnings.some((w) => /did not run/.test(w)));
    assert.deepStrictEqual(s.processes, []);
  });

  it('unescapes kernel escapes', () => {
    assert.strictEqual(unescapeStatusName('a\\nb\\\\c'), 'a\nb\\c');
    assert.strictEqual(unescapeMountField('/run/netns/a\\040b\\012c'), '/run/netns/a b\nc');
  });
});

describe('parseProbe: engines on the lab host (lab.probe.txt, captured with lab.sh up)', () => {
  const text = fixture('lab.probe.txt');
  const s = parseProbeOutput(text);
  const names = (x: Snapshot) => x.containers.map((c) => `${c.engine}/${c.name}`).sort();

  it('finds podman containers of a custom store named by conmon, and ctr containers by namespace', () => {
    const p = s.containers.find((c) => c.name === 'lab-p1')!;
    assert.strictEqual(p.engineNamespace, '/var/lib/nsx-lab-podman/storage');
    assert.ok(p.pid && p.ns.pid);
    const c = s.containers.find((x) => x.name === 'lab-ctr1')!;
    assert.strictEqual(c.engineNamespace, 'nsx-lab');
    assert.ok(c.pid && c.ns.net);
  });

  it('shows a docker container once when containerd lists it again in namespace moby', () => {
    const c1 = s.containers.find((c) => c.name === 'lab-c1')!;
    const sock = '/run/nsx-lab/docker-exec/containerd/containerd.sock';
    const moby = probeText([
      `@@ctr-containers ${sock} moby`,
      'CONTAINER    IMAGE    RUNTIME',
      `${c1.id}    -    io.containerd.runc.v2`,
      '',
    ].join('\n'));
    const at = text.indexOf(mark('end'));
    const s2 = parseProbeOutput(text.slice(0, at) + moby + text.slice(at));
    assert.deepStrictEqual(names(s2), names(s));
  });
});
