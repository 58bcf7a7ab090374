import { describe, expect, inject, it } from 'vitest';
import { runCli, startServe } from './run-cli.js';
import { until } from './observability-kit.js';

const databaseUrl = inject('databaseUrl');

type LogRecord = Record<string, unknown> & { level: string; time: string; msg: string };

/** Every line of `text` parsed as JSON; fails naming the first line that is not a JSON object. */
function jsonLines(text: string): LogRecord[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
      expect(record, line).toMatchObject({ level: expect.any(String), time: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/), msg: expect.any(String) });
      return record as LogRecord;
    });
}

/** The lines of a serve's output that are logs (its stdout lines are the command's own: URL, key, sources). */
const logsOf = (output: string) => jsonLines(output.split('\n').filter((line) => line.startsWith('{')).join('\n'));

// LOG_FORMAT '' is unset: the automatic format, JSON here since the child's stderr is a pipe. Each test runs its
// own process: side by side.
describe.concurrent('logs of the CLI when stderr is not a terminal', () => {
  it('are JSON lines, apart from the command\'s own output on stdout', async ({ expect }) => {
    const run = await runCli(['migrate'], { DATABASE_URL: databaseUrl, LOG_FORMAT: '' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^database is up to date \(\d+ ms\)\n$/);
    const records = jsonLines(run.stderr);
    expect(records).toEqual([expect.objectContaining({ level: 'info', notice: true, msg: expect.stringMatching(/^database: DATABASE_URL postgres@/) })]);
  });

  it('give every HTTP line the request id, echoed in the response header, and follow LOG_LEVEL', async ({ expect }) => {
    const serve = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'debug', LOG_FORMAT: '' }, 60_000);
    try {
      const response = await fetch(`${serve.url}/api/v1/alerts`, { headers: { 'x-request-id': 'logs-e2e-1' } });
      expect(response.status).toBe(401);
      expect(response.headers.get('x-request-id')).toBe('logs-e2e-1');
      const probe = await fetch(`${serve.url}/api/v1/health`);
      const probeId = probe.headers.get('x-request-id') as string;
      expect(probeId).toMatch(/^[0-9a-f-]{36}$/);
      const http = await until('both HTTP lines', () => {
        const lines = logsOf(serve.output()).filter((r) => r['context'] === 'HTTP');
        return lines.length >= 2 ? lines : undefined;
      });
      expect(http).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ level: 'info', reqId: 'logs-e2e-1', msg: 'GET /api/v1/alerts', status: 401, ms: expect.any(Number) }),
          expect.objectContaining({ level: 'debug', reqId: probeId, msg: 'GET /api/v1/health', status: 200 }),
        ]),
      );
      expect(http.every((r) => typeof r['reqId'] === 'string' && r['reqId'] !== '')).toBe(true);
      expect(logsOf(serve.output()).some((r) => r.level === 'info' && r['context'] === 'NestApplication')).toBe(true);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
    const records = logsOf(serve.output());
    expect(records.at(-1)).toMatchObject({ level: 'info', notice: true, msg: expect.stringMatching(/^stopped in \d+ ms$/) });
  }, 90_000);

  it('at LOG_LEVEL=warn, write nothing below warn but the notices (database, stopping)', async ({ expect }) => {
    const serve = await startServe({ DATABASE_URL: databaseUrl, PORT: '0', LOG_LEVEL: 'warn', LOG_FORMAT: '' }, 60_000);
    await fetch(`${serve.url}/api/v1/alerts`);
    expect(await serve.stop()).toBe(0);
    const records = logsOf(serve.output());
    const below = records.filter((r) => !['warn', 'error', 'fatal'].includes(r.level) && r['notice'] !== true);
    expect(below).toEqual([]);
    expect(records.filter((r) => r['notice'] === true).map((r) => r.msg)).toEqual([
      expect.stringMatching(/^database: /),
      expect.stringMatching(/^stopping \(SIGTERM\)/),
      expect.stringMatching(/^stopped in /),
    ]);
  }, 90_000);
});
