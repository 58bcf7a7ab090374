import type { ServerResponse } from 'node:http';
import { FLOW_EXPORT_COLUMNS, type FlowRecord } from '@driftwatch/contracts';

export type ExportFormat = 'ndjson' | 'csv';

/** A cell that a spreadsheet would run as a formula (or that starts with a control character) gets a leading apostrophe. */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;
/** Either of the two above (most cells are neither: one test instead of two). */
const NEEDS_CARE = /^[=+\-@\t\r]|[",\r\n]/;

/**
 * One CSV cell (RFC 4180): empty for null, `;`-joined lists, quoted when it holds a quote, comma or line break
 * (quotes doubled). Flow data is chosen by whoever deploys a pod, so a text starting with = + - @ (or a tab or
 * carriage return) is prefixed with `'` to keep spreadsheets from evaluating it (CSV formula injection).
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = Array.isArray(value) ? value.join(';') : String(value);
  if (!NEEDS_CARE.test(text)) return text;
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
 * Streams `batches` to `res` as NDJSON or CSV. A batch is asked for only when the previous one is written and the
 * socket has drained ('drain' after `write()` returned false), so memory holds about one batch whatever the size of
 * the export, and a slow client slows the database down: the repository reads its COPY stream only when asked, and
 * PostgreSQL waits on a full socket meanwhile (it keeps producing into the socket buffers while this waits, so
 * nothing is gained by asking for the next batch earlier, and records made early would outlive V8's young
 * generation). When the client goes away first ('close' before the end), the iteration is ended, which ends the
 * database statement. The first batch is read before any header is sent, so a failing query still answers with a
 * proper error status; a failure after that destroys the response (the client sees a cut transfer, never a
 * complete-looking file).
 */
export async function streamExport(res: ServerResponse, batches: AsyncGenerator<FlowRecord[]>, format: ExportFormat): Promise<void> {
  let gone = false;
  let wake: (() => void) | undefined;
  const onClose = () => {
    gone = true;
    wake?.();
  };
  res.on('close', onClose);
  try {
    let next = await batches.next();
    res.statusCode = 200;
    res.setHeader('content-type', EXPORT_CONTENT_TYPES[format]);
    res.setHeader('content-disposition', `attachment; filename="flows.${format}"`);
    res.setHeader('cache-control', 'no-store');
    res.setHeader('x-content-type-options', 'nosniff');
    if (format === 'csv') res.write(CSV_HEADER);
    while (!next.done && !gone) {
      if (!res.write(render(next.value, format))) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          res.once('drain', resolve);
        });
        if (wake) res.off('drain', wake);
        wake = undefined;
      }
      if (gone) break;
      next = await batches.next();
    }
    if (gone) return;
    res.end();
  } catch (error) {
    if (!res.headersSent) throw error;
    res.destroy(error as Error);
  } finally {
    res.off('close', onClose);
    await batches.return(undefined);
  }
}
