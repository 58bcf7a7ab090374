import type { ServerResponse } from 'node:http';
import { FLOW_EXPORT_COLUMNS, type FlowRecord } from '@driftwatch/contracts';

export type ExportFormat = 'ndjson' | 'csv';

/** A cell that a spreadsheet would run as a formula (or that starts with a control character) gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV cell (RFC 4180): empty for null, `;`-joined lists, quoted when it holds a quote, comma or line break
 * (quotes doubled). Flow data is chosen by whoever deploys a pod, so a text starting with = + - @ (or a tab or
 * carriage return) is prefixed with `'` to keep spreadsheets from evaluating it (CSV formula injection).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = Array.isArray(value) ? value.join(';') : String(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV header row (the record's fields in contract order), CRLF-terminated. */
export const CSV_HEADER = `${FLOW_EXPORT_COLUMNS.join(',')}\r\n`;

/** One record as a CSV row, CRLF-terminated. */
export function csvRow(record: FlowRecord): string {
  let line = '';
  for (let i = 0; i < FLOW_EXPORT_COLUMNS.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(record[FLOW_EXPORT_COLUMNS[i] as keyof FlowRecord]);
  }
  return `${line}\r\n`;
}

export const EXPORT_CONTENT_TYPES: Readonly<Record<ExportFormat, string>> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** A batch of records as NDJSON or CSV text. */
function render(batch: readonly FlowRecord[], format: ExportFormat): string {
  let text = '';
  if (format === 'ndjson') for (const record of batch) text += `${JSON.stringify(record)}\n`;
  else for (const record of batch) text += csvRow(record);
  return text;
}

/**
 * Streams `batches` to `res` as NDJSON or CSV. The next batch is asked for as soon as one is
 * written, so the database works while the socket drains, but never more than one ahead: when `write()` returns
 * false the loop waits for 'drain' before taking that next batch, so memory holds about two batches whatever the
 * size of the export, and a slow client slows the database cursor down. When the client goes away first ('close'
 * before the end), the iteration is ended, which closes the database cursor. The first batch is read before any
 * header is sent, so a failing query still answers with a proper error status; a failure after that destroys the
 * response (the client sees a cut transfer, never a complete-looking file).
 */
export async function streamExport(res: ServerResponse, batches: AsyncGenerator<FlowRecord[]>, format: ExportFormat): Promise<void> {
  let gone = false;
  let wake: (() => void) | undefined;
  const onClose = () => {
    gone = true;
    wake?.();
  };
  res.on('close', onClose);
  let pending: Promise<IteratorResult<FlowRecord[]>> | undefined;
  try {
    let next = await batches.next();
    res.statusCode = 200;
    res.setHeader('content-type', EXPORT_CONTENT_TYPES[format]);
    res.setHeader('content-disposition', `attachment; filename="flows.${format}"`);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (format === 'csv') res.write(CSV_HEADER);
    while (!next.done && !gone) {
      pending = batches.next();
      if (!res.write(render(next.value, format))) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once('drain', resolve);
        });
        if (wake) res.off('drain', wake);
        wake = undefined;
      }
      if (gone) break;
      next = await pending;
      pending = undefined;
    }
    if (gone) return;
    res.end();
  } catch (error) {
    if (!res.headersSent) throw error;
    res.destroy(error as Error);
  } finally {
    res.off('close', onClose);
    // a batch asked for before the client left settles first; then the cursor closes
    await pending?.catch(() => undefined);
    await batches.return(undefined);
  }
}
