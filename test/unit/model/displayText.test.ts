import * as assert from 'assert';
import * as fc from 'fast-check';
import {
  displayCodeBlock,
  displayLabel,
  displayLines,
  displayLogLine,
  displayMarkdown,
  displayMessage,
  displayText,
} from '../../../src/model/displayText';

/** The reading a person (or this test) gives the escapes: the inverse of displayText. */
function undisplay(shown: string): string {
  return shown.replace(/\\(\\|n|r|t|x[0-9a-f]{2}|u[0-9a-f]{4})/g, (_m, e: string) => {
    switch (e[0]) {
      case '\\':
        return '\\';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    }
  });
}

/** Every character a terminal, a tree row or a log line could act on. */
// eslint-disable-next-line no-control-regex -- control characters are what is looked for
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('displayText', () => {
  it('shows every C0 control escaped, with names for newline, CR and tab', () => {
    assert.strictEqual(displayText('\n'), '\\n');
    assert.strictEqual(displayText('\r'), '\\r');
    assert.strictEqual(displayText('\t'), '\\t');
    assert.strictEqual(displayText('\x1b'), '\\x1b');
    assert.strictEqual(displayText('\x00'), '\\x00');
    assert.strictEqual(displayText('\x07'), '\\x07');
    assert.strictEqual(displayText('\x08'), '\\x08');
    assert.strictEqual(displayText('\x1f'), '\\x1f');
    for (let c = 0; c < 0x20; c++) {
      const shown = displayText(String.fromCharCode(c));
      assert.match(shown, /^\\(n|r|t|x[0-9a-f]{2})$/, `U+${c.toString(16)} shown as ${JSON.stringify(shown)}`);
    }
  });

  it('shows DEL and every C1 control (0x80-0x9F, CSI 0x9B among them) as \\xNN', () => {
    assert.strictEqual(displayText('\x7f'), '\\x7f');
    assert.strictEqual(displayText('\x9b31m'), '\\x9b31m');
    for (let c = 0x80; c <= 0x9f; c++) {
      assert.strictEqual(displayText(String.fromCharCode(c)), `\\x${c.toString(16)}`);
    }
  });

  it('shows bidi overrides, embeddings and isolates (and marks, line separators) as \\uNNNN', () => {
    for (const c of [0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x061c, 0x200e, 0x200f, 0x2028, 0x2029]) {
      assert.strictEqual(displayText(String.fromCharCode(c)), `\\u${c.toString(16).padStart(4, '0')}`);
    }
    assert.strictEqual(displayText('evil\u202etxt.exe'), 'evil\\u202etxt.exe');
  });

  it('escapes the backslash itself, so a literal "\\x1b" and an ESC read differently', () => {
    assert.strictEqual(displayText('\\'), '\\\\');
    assert.strictEqual(displayText('a\\x1b'), 'a\\\\x1b');
    assert.notStrictEqual(displayText('a\\x1b'), displayText('a\x1b'));
    assert.strictEqual(displayText('C:\\n'), 'C:\\\\n');
  });

  it('keeps printable text as it is: letters, CJK, emoji, NBSP, quotes, $', () => {
    const plain = 'lab-c1 ünï 日本語 🙂 \u00a0 "quoted" \'single\' $(id) `x` 10.200.1.1/24 ↔';
    assert.strictEqual(displayText(plain), plain);
  });

  it('shows a name holding ESC and newline on one line, escapes visible', () => {
    const name = 'nsx-evil\x1b[31m\nx';
    assert.strictEqual(displayText(name), 'nsx-evil\\x1b[31m\\nx');
    assert.ok(!UNSAFE.test(displayText(name)));
  });

  it('is unambiguous: every output reads back to exactly its input, and holds no control character', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const shown = displayText(s);
        assert.ok(!UNSAFE.test(shown), `control character left in ${JSON.stringify(shown)}`);
        assert.strictEqual(undisplay(shown), s);
      }),
      { numRuns: 2000, seed: 4242 },
    );
    fc.assert(
      fc.property(fc.array(fc.constantFrom('\\', 'x', '1', 'b', 'n', 'u', '2', '0', 'e', '\x1b', '\n', '\u202e'), { maxLength: 12 }), (parts) => {
        const s = parts.join('');
        assert.strictEqual(undisplay(displayText(s)), s);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('is injective on tricky pairs', () => {
    const pairs: Array<[string, string]> = [
      ['\x1b', '\\x1b'],
      ['\n', '\\n'],
      ['\\\n', '\\\\n'],
      ['\u202e', '\\u202e'],
    ];
    for (const [a, b] of pairs) {
      assert.notStrictEqual(displayText(a), displayText(b), `${JSON.stringify(a)} and ${JSON.stringify(b)} look the same`);
    }
  });
});

describe('displayText helpers', () => {
  it('displayLogLine keeps a single final newline and escapes any other', () => {
    assert.strictEqual(displayLogLine('a\nb\n'), 'a\\nb\n');
    assert.strictEqual(displayLogLine('a\nb'), 'a\\nb');
    assert.strictEqual(displayLogLine('a\n\n'), 'a\\n\n');
    assert.strictEqual(displayLogLine('\x1b[2Jfake [info] line'), '\\x1b[2Jfake [info] line');
  });

  it('displayLines keeps line breaks between lines and escapes each line', () => {
    assert.strictEqual(displayLines('1. ip netns add a\x1b[1m\n2. done\r'), '1. ip netns add a\\x1b[1m\n2. done\\r');
  });

  it('displayMarkdown escapes markdown after the control characters', () => {
    assert.strictEqual(displayMarkdown('**x**'), '\\*\\*x\\*\\*');
    assert.strictEqual(displayMarkdown('[a](command:evil)'), '\\[a\\]\\(command\\:evil\\)');
    assert.strictEqual(displayMarkdown('<img src=x>'), '\\<img src=x\\>');
    assert.strictEqual(displayMarkdown('a\nb\x1b'), 'a\\\\nb\\\\x1b');
    assert.strictEqual(displayMarkdown('$(zap) &amp;'), '\\$\\(zap\\) \\&amp;');
  });

  it('displayCodeBlock uses a fence longer than any backtick run in the text', () => {
    const block = displayCodeBlock('echo ```\nx\x1b', 'sh');
    assert.strictEqual(block, '\n````sh\necho ```\\nx\\x1b\n````\n');
    assert.strictEqual(displayCodeBlock('ls'), '\n```\nls\n```\n');
  });

  it('displayLabel keeps $(icon) syntax from drawing an icon', () => {
    assert.strictEqual(displayLabel('$(alert) evil'), '\\$(alert) evil');
    assert.strictEqual(displayLabel('a\x1b$(x)'), 'a\\x1b\\$(x)');
  });

  it('displayMessage breaks up [text](link) so a notification shows no link', () => {
    assert.strictEqual(displayMessage('[Open](command:workbench.action.terminal.sendSequence)'), '[Open] (command:workbench.action.terminal.sendSequence)');
  });
});
