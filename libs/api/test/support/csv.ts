/**
 * Parses RFC 4180 CSV (CRLF or LF rows, quoted cells with doubled quotes and line breaks inside) into rows of
 * cells. Strict: a quote inside an unquoted cell, or text after a closing quote, throws.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let i = 0;
  let quoted = false;
  let afterQuote = false;
  const endCell = () => {
    row.push(cell);
    cell = '';
    afterQuote = false;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        afterQuote = true;
        i += 1;
      } else {
        cell += c;
        i += 1;
      }
      continue;
    }
    if (c === ',') {
      endCell();
      i += 1;
    } else if (c === '\r' || c === '\n') {
      endCell();
      rows.push(row);
      row = [];
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else if (c === '"') {
      if (cell !== '' || afterQuote) throw new Error(`a quote inside an unquoted cell at ${i}`);
      quoted = true;
      i += 1;
    } else {
      if (afterQuote) throw new Error(`text after a closing quote at ${i}`);
      cell += c;
      i += 1;
    }
  }
  if (quoted) throw new Error('an unterminated quoted cell');
  if (cell !== '' || row.length > 0) {
    endCell();
    rows.push(row);
  }
  return rows;
}
