import { printable } from './printable.js';

/** Level names of JSON lines (pino's) as text lines show them (the `LOG_LEVEL` names). */
const TEXT_LEVEL: Readonly<Record<string, string>> = {
  fatal: 'FATAL',
  error: 'ERROR',
  warn: 'WARN',
  info: 'LOG',
  debug: 'DEBUG',
  trace: 'VERBOSE',
};

/** Keys a text line shows in its own place rather than as `key=value`. */
const PLACED = new Set(['time', 'level', 'msg', 'context', 'stack', 'notice']);

function shown(value: unknown): string {
  const text = printable(typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
  return text === '' || /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

/**
 * One JSON log line as a line for a person: `<time> <LEVEL> [<context>] <message> key=value …`, then the stack
 * of an error, if any, indented on the lines below. Everything taken from the line is escaped with
 * {@link printable}. Without `stamp`, and for a notice (`"notice":true`), the time and level are left out (the
 * CLI's own messages).
 */
export function formatTextLine(json: string, stamp = true): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return `${printable(json.replace(/\n$/, ''))}\n`;
  }
  const level = TEXT_LEVEL[String(record['level'])] ?? String(record['level']).toUpperCase();
  const context = record['context'] === undefined ? '' : `[${printable(String(record['context']))}] `;
  const fields = Object.entries(record)
    .filter(([key, value]) => !PLACED.has(key) && value !== undefined && value !== null)
    .map(([key, value]) => ` ${printable(key)}=${shown(value)}`)
    .join('');
  const head = stamp && record['notice'] !== true ? `${String(record['time'])} ${level.padEnd(5)} ` : '';
  const stack = typeof record['stack'] === 'string' ? record['stack'].split('\n').slice(1).map((line) => `    ${printable(line.trim())}\n`).join('') : '';
  return `${head}${context}${printable(String(record['msg'] ?? ''))}${fields}\n${stack}`;
}
