/** A cell that a spreadsheet would run as a formula (or that starts with a control character) gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
/** Either of the two above (most cells are neither: one test instead of two). */
const NEEDS_CARE = /^[=+\-@\t\r]|[",\r\n]/;

/**
 * One CSV cell (RFC 4180): empty for null, `;`-joined lists, quoted when it holds a quote, comma or line break
 * (quotes doubled). Exported data is chosen by whoever deploys a pod or writes a policy, so a text starting with
 * = + - @ (or a tab or carriage return) is prefixed with `'` to keep spreadsheets from evaluating it (CSV formula
 * injection).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = Array.isArray(value) ? value.join(';') : String(value);
  if (!NEEDS_CARE.test(text)) return text;
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Rows of cells as CSV text, each row CRLF-terminated. */
export function csvRows(rows: readonly (readonly unknown[])[]): string {
  let text = '';
  for (const row of rows) text += `${row.map(csvCell).join(',')}\r\n`;
  return text;
}
