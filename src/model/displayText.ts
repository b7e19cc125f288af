/**
 * Text from a target host (container, netns, interface and process names, command lines, error text) is
 * chosen by whoever controls that host. Before it reaches a tree item, a quick pick, a terminal title, a
 * message the extension writes into a terminal, or the log, it goes through `displayText`: every character
 * that could move the cursor, start an escape sequence, break a line or reorder the text around it is
 * shown as a visible escape instead. Backslash itself is escaped too, so the result reads back to exactly
 * one original string.
 */

/**
 * What is escaped: C0 controls (U+0000-U+001F), DEL, C1 controls (U+0080-U+009F; U+009B is a one-byte
 * CSI), the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and, because they
 * reorder or break text the same way, the bidi marks (U+061C, U+200E, U+200F) and the Unicode line and
 * paragraph separators (U+2028, U+2029). And the backslash that starts every escape.
 */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\\\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) {
    return named;
  }
  const code = c.charCodeAt(0);
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `s` with every control character shown as an escape: `\n`, `\r`, `\t`, `\\`, `\xNN` (other C0, DEL, C1)
 * and `\uNNNN` (bidi controls, line separators). Everything else is kept as it is.
 */
export function displayText(s: string): string {
  return s.replace(UNSAFE, escapeOne);
}

/** A log line: like `displayText`, but a single final newline (the line's own end) is kept. */
export function displayLogLine(s: string): string {
  return s.endsWith('\n') ? `${displayText(s.slice(0, -1))}\n` : displayText(s);
}

/**
 * Text the extension composed of lines (a preview, a report) that holds host text: each line shown as
 * `displayText` shows it, the extension's own line breaks kept. A line break inside host text still breaks
 * the line, so use this only where the host text cannot hold one or a break does no harm (a dialog).
 */
export function displayLines(s: string): string {
  return s.split('\n').map(displayText).join('\n');
}

/** Markdown syntax characters, escaped with a backslash so host text stays text in a MarkdownString. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>~$&:]/g, '\\$&');
}

/** Host text for a MarkdownString (a tooltip): control characters escaped, then markdown syntax. */
export function displayMarkdown(s: string): string {
  return escapeMarkdown(displayText(s));
}

/**
 * Host text as a fenced code block for a MarkdownString: control characters escaped, and a fence longer
 * than any run of backticks in the text, so the text cannot close the block early.
 */
export function displayCodeBlock(s: string, language = ''): string {
  const text = displayText(s);
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `\n${fence}${language}\n${text}\n${fence}\n`;
}

/**
 * Host text for a quick pick item or an input box title, where `$(name)` would be drawn as an icon: like
 * `displayText`, with `$(` escaped as `\$(` so it shows as written.
 */
export function displayLabel(s: string): string {
  return displayText(s).replace(/\$\(/g, '\\$(');
}

/**
 * Host text for a notification, which turns `[text](target)` into a link (a `command:` target runs a
 * command when clicked): like `displayText`, with `](` broken up so no link can form.
 */
export function displayMessage(s: string): string {
  return displayText(s).replace(/\]\(/g, '] (');
}
