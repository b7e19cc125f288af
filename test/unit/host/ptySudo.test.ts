// The terminal's sudo password path: PtySudoGate on synthetic output, then the real ptyCommandLine under a
// real sh on a real pty (util-linux `script`), with a fake sudo on PATH that asks for a password or not.
import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ptyCommandLine, PtySudoGate, ptySudoMarkers, quoteArg } from '../../../src/host/commandLine';
import { needTool } from '../../support/needTool';

const PASSWORD = 'pw-Secret-42';
const markers = ptySudoMarkers('0123456789abcdef');

interface Recorded {
  gate: PtySudoGate;
  remote: string[];
  shown: () => string;
  gaveUp: string[];
}

function recordGate(maxHeld?: number): Recorded {
  const remote: string[] = [];
  const user: Buffer[] = [];
  const gaveUp: string[] = [];
  const gate = new PtySudoGate(markers, PASSWORD, { toRemote: (d) => remote.push(d.toString()), toUser: (d) => user.push(d) }, {
    promptText: '[sudo] password for alice: ',
    maxHeld,
    onGiveUp: (why) => gaveUp.push(why),
  });
  return { gate, remote, shown: () => Buffer.concat(user).toString(), gaveUp };
}

describe('ptySudoMarkers and ptyCommandLine', () => {
  it('never carries the printed markers in the command line, only their %% forms', () => {
    const line = ptyCommandLine(['nsenter', '-t', '1', '-a'], { kind: 'sudo-password' }, markers);
    assert.ok(!line.includes(markers.prompt), line);
    assert.ok(!line.includes(markers.ready), line);
    assert.ok(line.includes(markers.prompt.replace('%', '%%')));
    assert.match(line, /sudo -k -S -p /);
    assert.ok(!line.includes(PASSWORD));
  });

  it('refuses markers it did not make, and has sudo ask the user itself without markers', () => {
    assert.throws(() => ptyCommandLine(['sh'], { kind: 'sudo-password' }, { prompt: "x'; id; '", ready: 'y' }), /ptySudoMarkers/);
    assert.throws(() => ptySudoMarkers('xyz'), /hex/);
    assert.match(ptyCommandLine(['sh'], { kind: 'sudo-password' }), /^exec sudo -k -- sh -c '.*' nsx-term-guard sh$/s);
  });
});

describe('PtySudoGate', () => {
  it('writes the password only at sudo\'s prompt, once, and shows neither marker', () => {
    const r = recordGate();
    r.gate.input('ls\n');
    r.gate.output(Buffer.from(`lecture\r\n${markers.prompt}`));
    assert.deepStrictEqual(r.remote, [`${PASSWORD}\n`], 'the password follows the prompt; typed input waits');
    r.gate.output(Buffer.from(`\r\n${markers.ready}# `));
    assert.deepStrictEqual(r.remote, [`${PASSWORD}\n`, 'ls\n']);
    assert.strictEqual(r.shown(), 'lecture\r\n\r\n# ');
    assert.strictEqual(r.gate.state, 'open');
    assert.ok(r.gate.passwordWritten);
  });

  it('never writes the password when sudo asks for none (NOPASSWD, cached credentials)', () => {
    const r = recordGate();
    r.gate.input('echo typed\n');
    r.gate.output(Buffer.from(`${markers.ready}root@c1:/# `));
    r.gate.output(Buffer.from(markers.prompt));
    assert.deepStrictEqual(r.remote, ['echo typed\n']);
    assert.ok(!r.gate.passwordWritten);
    assert.strictEqual(r.shown(), `root@c1:/# ${markers.prompt}`, 'once open, output passes unchanged');
  });

  it('finds markers split into single bytes', () => {
    const r = recordGate();
    for (const b of Buffer.from(`a${markers.prompt}b${markers.ready}c`)) {
      r.gate.output(Buffer.from([b]));
    }
    assert.deepStrictEqual(r.remote, [`${PASSWORD}\n`]);
    assert.strictEqual(r.shown(), 'abc');
  });

  it('does not take a traced command line (the %% form) for the prompt', () => {
    const r = recordGate();
    r.gate.output(Buffer.from(`+ exec sudo -k -S -p ${markers.prompt.replace('%', '%%')} -- sh -c ... ${markers.ready.replace('%', '%%')}\n`));
    assert.deepStrictEqual(r.remote, []);
    assert.strictEqual(r.gate.state, 'waiting');
  });

  it('hands a second prompt to the user and never sends the password twice', () => {
    const r = recordGate();
    r.gate.output(Buffer.from(markers.prompt));
    r.gate.input('typed early\n');
    r.gate.output(Buffer.from(`\r\nSorry, try again.\r\n${markers.prompt}`));
    assert.strictEqual(r.gate.state, 'manual');
    assert.deepStrictEqual(r.remote, [`${PASSWORD}\n`], 'input typed before is for the target, not for sudo');
    assert.match(r.shown(), /Sorry, try again\.\r\n\[sudo\] password for alice: $/);
    r.gate.input('right\n');
    assert.deepStrictEqual(r.remote, [`${PASSWORD}\n`, 'right\n']);
    r.gate.output(Buffer.from(`\r\n${markers.ready.slice(0, 5)}`));
    r.gate.output(Buffer.from(`${markers.ready.slice(5)}# `));
    assert.strictEqual(r.gate.state, 'open');
    assert.deepStrictEqual(r.remote, [`${PASSWORD}\n`, 'right\n', 'typed early\n']);
    assert.ok(!r.shown().includes('nsx-'), r.shown());
    assert.deepStrictEqual(r.gaveUp, ['sudo asked for the password again']);
  });

  it('after giving up (timeout, too much output) never writes the password, even if the prompt comes late', () => {
    const r = recordGate(16);
    r.gate.input('x\n');
    r.gate.output(Buffer.from('a long banner with no marker'));
    assert.strictEqual(r.gate.state, 'manual');
    assert.deepStrictEqual(r.remote, []);
    r.gate.output(Buffer.from(markers.prompt));
    assert.deepStrictEqual(r.remote, []);
    r.gate.output(Buffer.from(markers.ready));
    assert.deepStrictEqual(r.remote, ['x\n'], 'held input goes to the target once sudo is done');
    assert.match(r.shown(), /banner with no marker\[sudo\] password for alice: $/);
    const t = recordGate();
    t.gate.giveUp('sudo did not answer within 20 s');
    t.gate.output(Buffer.from(markers.prompt));
    assert.deepStrictEqual(t.remote, []);
    assert.deepStrictEqual(t.gaveUp, ['sudo did not answer within 20 s']);
  });
});

/** A stand-in for sudo: parses `-k -S -p PROMPT --`, then asks (FAKE_SUDO=ask) or not, then runs the rest. */
const FAKE_SUDO = `#!/bin/sh
prompt=
while [ $# -gt 0 ]; do
  case "$1" in
    -k|-S) shift ;;
    -p) prompt=$2; shift 2 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ "$FAKE_SUDO" = ask ]; then
  shown=$(printf '%s' "$prompt" | sed 's/%%/%/g')
  tries=0
  while :; do
    printf '%s' "$shown" >&2
    IFS= read -r pw || exit 1
    [ "$pw" = "$FAKE_SUDO_PASSWORD" ] && break
    tries=$((tries + 1))
    [ $tries -ge 3 ] && { echo 'sudo: 3 incorrect password attempts' >&2; exit 1; }
    echo 'Sorry, try again.' >&2
  done
  echo 'FAKE-SUDO-ACCEPTED' >&2
fi
exec "$@"
`;

/** What reaches the target: the first line it reads from the terminal, and nothing else. */
const TARGET = ['sh', '-c', 'IFS= read -r line; printf "TARGET-GOT<%s>\\n" "$line"'];

interface PtyRun {
  output: string;
  remote: string[];
  code: number | null;
}

/** Runs the terminal command line under `script` (a real pty) through a PtySudoGate, typing `typed` at once. */
async function runOnPty(dir: string, env: Record<string, string>, typed: string, opts: { trace?: boolean; answerManually?: string } = {}): Promise<PtyRun> {
  const line = ptyCommandLine(TARGET, { kind: 'sudo-password' }, markers);
  const shellLine = opts.trace ? `sh -x -c ${quoteArg(line)}` : line;
  const child: ChildProcess = spawn('script', ['-qefc', shellLine, '/dev/null'], {
    env: { ...process.env, ...env, SHELL: '/bin/sh', PATH: `${dir}:${process.env.PATH}` },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const remote: string[] = [];
  const shown: Buffer[] = [];
  const gate = new PtySudoGate(markers, PASSWORD, {
    toRemote: (d) => {
      remote.push(d.toString());
      child.stdin!.write(d);
    },
    toUser: (d) => shown.push(d),
  });
  let answered = false;
  child.stdout!.on('data', (d: Buffer) => {
    gate.output(d);
    if (opts.answerManually && !answered && gate.state === 'manual') {
      answered = true;
      gate.input(opts.answerManually);
    }
  });
  gate.input(typed);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  shown.push(gate.end());
  return { output: Buffer.concat(shown).toString(), remote, code };
}

describe('the terminal sudo path on a real pty (fake sudo)', function () {
  this.timeout(30_000);
  let dir: string;

  before(function () {
    needTool(this, ['script', '--version'], 'bsdutils');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nsx-fake-sudo-'));
    fs.writeFileSync(path.join(dir, 'sudo'), FAKE_SUDO, { mode: 0o755 });
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('sudo that asks nothing (NOPASSWD / cached since connect): the password never reaches the target or the screen', async () => {
    const r = await runOnPty(dir, { FAKE_SUDO: 'nopasswd' }, 'typed-by-user\n');
    assert.match(r.output, /TARGET-GOT<typed-by-user>/, r.output);
    assert.ok(!r.output.includes(PASSWORD), `the password shows: ${JSON.stringify(r.output)}`);
    assert.ok(!r.remote.some((w) => w.includes(PASSWORD)), 'the password was written to the terminal');
    assert.ok(!r.output.includes('nsx-'), `a marker shows: ${JSON.stringify(r.output)}`);
    assert.strictEqual(r.code, 0);
  });

  it('the same under a login shell that traces what it runs (set -x)', async () => {
    const r = await runOnPty(dir, { FAKE_SUDO: 'nopasswd' }, 'typed-by-user\n', { trace: true });
    assert.match(r.output, /TARGET-GOT<typed-by-user>/, r.output);
    assert.ok(!r.remote.some((w) => w.includes(PASSWORD)), `the password was written: ${JSON.stringify(r.output)}`);
  });

  it('sudo that asks: the password goes to sudo alone, is not echoed, and typed input reaches the target', async () => {
    const r = await runOnPty(dir, { FAKE_SUDO: 'ask', FAKE_SUDO_PASSWORD: PASSWORD }, 'typed-by-user\n');
    assert.match(r.output, /FAKE-SUDO-ACCEPTED/, r.output);
    assert.match(r.output, /TARGET-GOT<typed-by-user>/, r.output);
    assert.ok(!r.output.includes(PASSWORD), `the password was echoed: ${JSON.stringify(r.output)}`);
    assert.deepStrictEqual(r.remote.filter((w) => w.includes(PASSWORD)), [`${PASSWORD}\n`]);
    assert.ok(!r.output.includes('nsx-'), `a marker shows: ${JSON.stringify(r.output)}`);
  });

  it('sudo that refuses the password: asked again, the user answers; the password is not sent twice', async () => {
    const r = await runOnPty(dir, { FAKE_SUDO: 'ask', FAKE_SUDO_PASSWORD: 'the-new-one' }, 'typed-by-user\n', { answerManually: 'the-new-one\n' });
    assert.match(r.output, /Sorry, try again/, r.output);
    assert.match(r.output, /\[sudo\] password: /, r.output);
    assert.strictEqual(r.remote.filter((w) => w.includes(PASSWORD)).length, 1);
    assert.ok(!r.output.includes(PASSWORD), r.output);
    assert.match(r.output, /TARGET-GOT<typed-by-user>/, r.output);
  });
});
