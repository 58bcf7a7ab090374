/**
 * Text that came from input (flow fields, pod names, labels, YAML, database errors quoting them) made safe for a
 * terminal or a log line: C0 and C1 control characters (ESC, BEL, CR, NUL, …), DEL, and the Unicode line and
 * bidirectional-override separators are written as `\xNN` / `\u{NNNN}` escapes, so nothing read can move the
 * cursor, clear the screen, recolour the output, forge a second log line or reorder what is shown.
 * Printable text, including non-ASCII letters, passes unchanged. `keepNewlines` keeps `\n` (for multi-line
 * messages the program itself composed).
 */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(UNSAFE, (ch) => {
    if (keepNewlines && ch === '\n') return ch;
    const code = ch.codePointAt(0) as number;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

// C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates, BOM.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;
