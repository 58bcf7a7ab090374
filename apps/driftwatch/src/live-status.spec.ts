import { describe, expect, it } from 'vitest';
import type { CliIo } from './cli.js';
import { LiveStatus, statusLine, type FlowCounts, type StatusSample } from './live-status.js';

const zero: FlowCounts = { allowed: 0, denied: 0, unexpected: 0, skipped: 0 };

function recorder(columns?: number) {
  const writes: string[] = [];
  const io: CliIo = {
    stdout: (text) => writes.push(`out:${text}`),
    stderr: (text) => writes.push(`err:${text}`),
    ...(columns === undefined ? {} : { terminal: { columns: () => columns } }),
  };
  return { io, writes };
}

/** A sample source whose counts grow by `step` each call; resolves `ticks` after each call. */
function growing(step: FlowCounts, openAlerts: number | undefined) {
  const counts = { ...zero };
  let calls = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    sample: async (): Promise<StatusSample> => {
      for (const key of Object.keys(counts) as (keyof FlowCounts)[]) counts[key] += step[key];
      calls += 1;
      for (const w of waiters.filter((x) => calls >= x.n)) w.resolve();
      return { counts, openAlerts };
    },
    after: (n: number) => new Promise<void>((resolve) => (calls >= n ? resolve() : waiters.push({ n, resolve }))),
  };
}

describe('statusLine', () => {
  it.each([
    [{ allowed: 310, denied: 14, unexpected: 4, skipped: 170 }, 10, 2, 'open alerts 2 · flows/s 50: allowed 31, denied 1.4, unexpected 0.4, unlabeled 17'],
    [zero, 1, 0, 'open alerts 0 · flows/s 0: allowed 0, denied 0, unexpected 0, unlabeled 0'],
    [{ allowed: 5, denied: 0, unexpected: 1, skipped: 0 }, 2, undefined, 'open alerts ? · flows/s 3.0: allowed 2.5, denied 0, unexpected 0.5, unlabeled 0'],
  ])('%j over %s s with %s open alerts', (now, seconds, openAlerts, line) => {
    expect(statusLine(zero, { counts: now, openAlerts }, seconds)).toBe(line);
  });

  it('never shows a negative rate when counts go back (a restarted pipeline)', () => {
    expect(statusLine({ allowed: 10, denied: 0, unexpected: 0, skipped: 0 }, { counts: zero, openAlerts: 0 }, 1)).toContain('allowed 0,');
  });
});

describe('LiveStatus', () => {
  it('elsewhere than a terminal: a plain line each interval, other writes untouched', async () => {
    const { io, writes } = recorder();
    const status = new LiveStatus(io);
    expect(status.io).toBe(io);
    const source = growing({ allowed: 1, denied: 0, unexpected: 1, skipped: 0 }, 3);
    status.start({ sample: source.sample, everyMs: 20 });
    await source.after(3);
    status.stop();
    const lines = writes.filter((w) => w.startsWith('out:status: '));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines[0]).toMatch(/^out:status: open alerts 3 · flows\/s \S+: allowed \S+, denied 0, unexpected \S+, unlabeled 0\n$/);
    expect(writes.some((w) => w.includes('\x1b'))).toBe(false);
  });

  it('on a terminal: redrawn in place, cut to the width, and every other write clears it first and redraws it after', async () => {
    const { io, writes } = recorder(40);
    const status = new LiveStatus(io);
    status.io.stderr('before\n');
    expect(writes).toEqual(['err:before\n']);
    const source = growing({ allowed: 2, denied: 1, unexpected: 0, skipped: 0 }, 1);
    status.start({ sample: source.sample, everyMs: 20 });
    await source.after(3);
    const drawn = writes.filter((w) => w.startsWith('out:\r\x1b[2Kopen alerts'));
    expect(drawn.length).toBeGreaterThanOrEqual(1);
    expect(drawn.every((w) => w.length - 'out:\r\x1b[2K'.length === 39)).toBe(true);
    writes.length = 0;
    status.io.stderr('a log line\n');
    expect(writes[0]).toBe('out:\r\x1b[2K');
    expect(writes[1]).toBe('err:a log line\n');
    expect(writes[2]).toMatch(/^out:open alerts 1 · flows\/s/);
    status.stop();
    expect(writes.at(-1)).toBe('out:\n');
    writes.length = 0;
    status.io.stdout('after\n');
    expect(writes).toEqual(['out:after\n']);
  });
});
