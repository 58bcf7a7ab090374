import type { Readable } from 'node:stream';
import { encodeFlowRecordId, type FlowRecord } from '@driftwatch/contracts';

/**
 * The columns of `flow_records r` an export reads through `COPY … TO STDOUT` (text format), in the order
 * {@link parseCopiedRecord} expects them. Plain columns, no expression but `host()`: PostgreSQL's own output
 * functions are the cheapest way to text (building JSON per row in SQL cost four times as much, measured over a
 * million rows), and the formatting happens in the API process, on the other core. The session must run with
 * `TimeZone=UTC` and `DateStyle=ISO` (see `FlowQueries.open`): the times are read as `2026-12-01 10:00:00.123+00`.
 */
export const COPIED_RECORD_COLUMNS = `r.window_start, r.id, r.window_end, r.first_seen, r.last_seen, r.source, r.cluster,
  r.src_namespace, r.src_workload, host(r.src_ip), r.dst_namespace, r.dst_workload, host(r.dst_ip), r.dst_port, r.protocol,
  r.direction, r.observed, r.drop_reason, r.event, r.label, r.drift_kind, r.policy_revision_id, r.flow_count, r.sample_flow_id, r.issues`;

const FIELDS = 25;
const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };

/** A field of COPY's text format: `\N` is null; backslash escapes undone (octal and hex ones too). */
function field(text: string): string | null {
  if (text === '\\N') return null;
  if (!text.includes('\\')) return text;
  return text.replace(/\\(x[0-9a-fA-F]{1,2}|[0-7]{1,3}|.)/g, (_, code: string) => {
    if (code.length > 1 && code[0] === 'x') return String.fromCharCode(parseInt(code.slice(1), 16));
    if (/^[0-7]+$/.test(code)) return String.fromCharCode(parseInt(code, 8));
    return ESCAPES[code] ?? code;
  });
}

/** The elements of a `text[]` in PostgreSQL's array output (`{a,"b c",NULL}`); elements are never null here. */
export function parseTextArray(text: string): string[] {
  if (text === '{}') return [];
  if (text[0] !== '{' || text[text.length - 1] !== '}') throw new Error(`not an array literal: ${JSON.stringify(text.slice(0, 40))}`);
  const out: string[] = [];
  let i = 1;
  while (i < text.length - 1) {
    let element = '';
    if (text[i] === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\') i += 1;
        element += text[i];
        i += 1;
      }
      i += 1; // closing quote
    } else {
      const end = text.indexOf(',', i);
      const stop = end === -1 ? text.length - 1 : end;
      element = text.slice(i, stop);
      i = stop;
    }
    out.push(element);
    i += 1; // the comma (or the closing brace)
  }
  return out;
}

/** `2026-12-01 10:00:00.1234+00` (COPY, UTC, ISO) checked, and its fraction of a second as 6 digits. */
function fraction(text: string): string {
  if (text.length < 22 || text[10] !== ' ' || text[19] === undefined || !text.endsWith('+00')) {
    throw new Error(`not a time as COPY writes it in UTC: ${JSON.stringify(text)}`);
  }
  return text[19] === '.' ? text.slice(20, text.length - 3).padEnd(6, '0') : '000000';
}

/** The ISO form (milliseconds, `Z`) of a COPY time: `2026-12-01T10:00:00.123Z`. */
function isoOf(text: string): string {
  return `${text.slice(0, 10)}T${text.slice(11, 19)}.${fraction(text).slice(0, 3)}Z`;
}

/**
 * The last time text seen in each of the 4 time columns and its ISO form: records come in window order, so a
 * column repeats its previous value most of the time (every record of a window shares its start and end), and
 * formatting times is most of the work per record.
 */
const lastText = ['', '', '', ''];
const lastIso = ['', '', '', ''];
let lastStartText = '';
let lastStartMicros = '';

function iso(column: number, text: string): string {
  if (lastText[column] === text) return lastIso[column] as string;
  const out = isoOf(text);
  lastText[column] = text;
  lastIso[column] = out;
  return out;
}

/** The window start in microseconds since 1970 (it is part of the record's id). */
function startMicros(text: string): string {
  if (text === lastStartText) return lastStartMicros;
  const ms = Date.parse(`${text.slice(0, 10)}T${text.slice(11, 19)}Z`);
  if (Number.isNaN(ms)) throw new Error(`not a time as COPY writes it in UTC: ${JSON.stringify(text)}`);
  const micros = String(BigInt(ms) * 1000n + BigInt(fraction(text)));
  lastStartText = text;
  lastStartMicros = micros;
  return micros;
}

const recordId = (windowStartMicros: string, id: string) => encodeFlowRecordId({ windowStartMicros, id });

const intOrNull = (text: string | null) => (text === null ? null : Number(text));

/** One line of `COPY (SELECT COPIED_RECORD_COLUMNS …) TO STDOUT` as the API's flow record. */
export function parseCopiedRecord(line: string): FlowRecord {
  const f = line.split('\t');
  if (f.length !== FIELDS) throw new Error(`a COPY line with ${f.length} fields, not ${FIELDS}`);
  const windowStart = f[0] as string;
  return {
    id: recordId(startMicros(windowStart), f[1] as string),
    windowStart: iso(0, windowStart),
    windowEnd: iso(1, f[2] as string),
    source: field(f[5] as string) as string,
    cluster: field(f[6] as string) as string,
    srcNamespace: field(f[7] as string),
    srcWorkload: field(f[8] as string),
    srcIp: field(f[9] as string),
    dstNamespace: field(f[10] as string),
    dstWorkload: field(f[11] as string),
    dstIp: field(f[12] as string),
    dstPort: intOrNull(field(f[13] as string)),
    protocol: field(f[14] as string) as string,
    direction: field(f[15] as string) as string,
    observed: field(f[16] as string) as FlowRecord['observed'],
    dropReason: field(f[17] as string),
    event: field(f[18] as string) as string,
    label: field(f[19] as string) as FlowRecord['label'],
    driftKind: field(f[20] as string) as FlowRecord['driftKind'],
    policyRevisionId: intOrNull(field(f[21] as string)),
    flowCount: Number(f[22]),
    firstSeen: iso(2, f[3] as string),
    lastSeen: iso(3, f[4] as string),
    sampleFlowId: field(f[23] as string),
    issues: (f[24] === '{}' ? [] : parseTextArray(field(f[24] as string) as string)) as FlowRecord['issues'],
  };
}

/** A text field that JSON.stringify writes as it is between quotes: no quote, backslash, control character or surrogate. */
// eslint-disable-next-line no-control-regex -- the characters JSON escapes
const JSON_CARE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** A text column's COPY field as JSON (`\N` is null). */
function jsonText(text: string): string {
  if (text === '\\N') return 'null';
  return JSON_CARE.test(text) ? JSON.stringify(field(text)) : `"${text}"`;
}

/** An integer column's COPY field as JSON, as `Number()` then JSON.stringify would write it. */
function jsonInt(text: string): string {
  if (text === '\\N') return 'null';
  return text.length <= 15 ? text : JSON.stringify(Number(text));
}

/**
 * The JSON text of a COPY line's record: exactly `JSON.stringify(parseCopiedRecord(line))` (the same keys in the
 * same order, the same escapes; a property test holds the two together), made without the object. An NDJSON export
 * spends most of its time per record, and making the object and then serializing it cost twice what this does.
 */
export function copiedRecordJson(line: string): string {
  const f = line.split('\t');
  if (f.length !== FIELDS) throw new Error(`a COPY line with ${f.length} fields, not ${FIELDS}`);
  const windowStart = f[0] as string;
  const issues = f[24] as string;
  return `{"id":"${recordId(startMicros(windowStart), f[1] as string)}","windowStart":"${iso(0, windowStart)}","windowEnd":"${iso(1, f[2] as string)}"`
    + `,"source":${jsonText(f[5] as string)},"cluster":${jsonText(f[6] as string)},"srcNamespace":${jsonText(f[7] as string)}`
    + `,"srcWorkload":${jsonText(f[8] as string)},"srcIp":${jsonText(f[9] as string)},"dstNamespace":${jsonText(f[10] as string)}`
    + `,"dstWorkload":${jsonText(f[11] as string)},"dstIp":${jsonText(f[12] as string)},"dstPort":${jsonInt(f[13] as string)}`
    + `,"protocol":${jsonText(f[14] as string)},"direction":${jsonText(f[15] as string)},"observed":${jsonText(f[16] as string)}`
    + `,"dropReason":${jsonText(f[17] as string)},"event":${jsonText(f[18] as string)},"label":${jsonText(f[19] as string)}`
    + `,"driftKind":${jsonText(f[20] as string)},"policyRevisionId":${jsonInt(f[21] as string)},"flowCount":${jsonInt(f[22] as string)}`
    + `,"firstSeen":"${iso(2, f[3] as string)}","lastSeen":"${iso(3, f[4] as string)}","sampleFlowId":${jsonText(f[23] as string)}`
    + `,"issues":${issues === '{}' ? '[]' : JSON.stringify(parseTextArray(field(issues) as string))}}`;
}

/**
 * A batch of an export: its COPY lines, kept as text and turned into records ({@link records}, {@link eachRecord})
 * or their JSON ({@link eachJson}) only when the consumer asks.
 */
export class CopiedRecordBatch {
  constructor(private readonly lines: readonly string[]) {}

  /** Records in the batch. */
  get size(): number {
    return this.lines.length;
  }

  /** The batch's records. */
  records(): FlowRecord[] {
    return this.lines.map(parseCopiedRecord);
  }

  /** Each record in order, made only when its turn comes (so that it is garbage before the next one is made). */
  eachRecord(each: (record: FlowRecord) => void): void {
    for (const line of this.lines) each(parseCopiedRecord(line));
  }

  /** Each record's JSON text (what JSON.stringify of the record writes), in order. */
  eachJson(each: (json: string) => void): void {
    for (const line of this.lines) each(copiedRecordJson(line));
  }
}

/**
 * The records of a COPY stream in batches of about `batchSize`, read only as fast as the consumer asks: while no
 * batch is asked for, nothing is read, the stream's buffer fills, postgres.js pauses the socket and PostgreSQL
 * waits. Lines are cut on `\n` bytes, so a character split between two chunks is decoded whole. A batch is kept as
 * text until it is complete and cut into lines only then, just before it is handed over, and the consumer makes
 * records or JSON of it while it writes: anything made per record while waiting for the network would outlive V8's
 * young generation and pile up as old garbage (the export's memory grew by 100 MB and more when batches were parsed
 * chunk by chunk).
 */
export async function* copiedRecordBatches(stream: Readable, batchSize: number): AsyncGenerator<CopiedRecordBatch> {
  let rest: Buffer | undefined;
  let texts: string[] = [];
  let lines = 0;
  const parsed = () => {
    const batch: string[] = [];
    for (const text of texts) {
      let start = 0;
      while (start <= text.length) {
        let end = text.indexOf('\n', start);
        if (end === -1) end = text.length;
        batch.push(text.slice(start, end));
        start = end + 1;
      }
    }
    texts = [];
    lines = 0;
    return new CopiedRecordBatch(batch);
  };
  for await (const chunk of readChunks(stream)) {
    const data: Buffer = rest ? Buffer.concat([rest, chunk]) : chunk;
    const last = data.lastIndexOf(10);
    if (last === -1) {
      rest = data;
      continue;
    }
    rest = last === data.length - 1 ? undefined : data.subarray(last + 1);
    for (let i = data.indexOf(10); i !== -1 && i <= last; i = data.indexOf(10, i + 1)) lines += 1;
    texts.push(data.toString('utf8', 0, last));
    if (lines >= batchSize) yield parsed();
  }
  if (rest && rest.length > 0) throw new Error('the COPY stream ended inside a line');
  if (texts.length > 0) yield parsed();
}

/**
 * The chunks of a readable stream, pulled one at a time, without destroying the stream when the consumer stops
 * early (a `for await` over the stream itself would): the caller decides what happens to the rest.
 */
async function* readChunks(stream: Readable): AsyncGenerator<Buffer> {
  let failure: Error | undefined;
  let ended = false;
  let wake: (() => void) | undefined;
  const onReadable = () => wake?.();
  const onEnd = () => {
    ended = true;
    wake?.();
  };
  const onError = (error: Error) => {
    failure = error;
    wake?.();
  };
  stream.on('readable', onReadable);
  stream.once('end', onEnd);
  stream.once('error', onError);
  try {
    for (;;) {
      if (failure) throw failure;
      const chunk = stream.read() as Buffer | null;
      if (chunk !== null) {
        yield chunk;
        continue;
      }
      if (ended || stream.readableEnded) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    stream.off('readable', onReadable);
    stream.off('end', onEnd);
    stream.off('error', onError);
  }
}
