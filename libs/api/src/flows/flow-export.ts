import type { ServerResponse } from 'node:http';
import { FLOW_EXPORT_COLUMNS, type FlowRecord } from '@driftwatch/contracts';
import type { CopiedRecordBatch } from '@driftwatch/persistence';
import { csvCell } from '../http/csv.js';
import { Utf8Chunks } from '../http/utf8-chunks.js';

export type ExportFormat = 'ndjson' | 'csv';

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

/** A batch of records as NDJSON or CSV, into `out`. */
function render(batch: CopiedRecordBatch, format: ExportFormat, out: Utf8Chunks): void {
  if (format === 'ndjson') {
    batch.eachJson((json) => out.putLine(json));
  } else {
    batch.eachRecord((record) => out.put(csvRow(record)));
  }
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
export async function streamExport(res: ServerResponse, batches: AsyncGenerator<CopiedRecordBatch>, format: ExportFormat): Promise<void> {
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
    const out = new Utf8Chunks((chunk, done) => res.write(chunk, done));
    if (format === 'csv') out.put(CSV_HEADER);
    while (!next.done && !gone) {
      render(next.value, format, out);
      if (!out.flush()) {
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
    out.flush();
    res.end();
  } catch (error) {
    if (!res.headersSent) throw error;
    res.destroy(error as Error);
  } finally {
    res.off('close', onClose);
    await batches.return(undefined);
  }
}
