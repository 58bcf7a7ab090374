import { printable } from '@driftwatch/common';
import type { CliIo } from './cli.js';

/** Cumulative flow counts of a running pipeline (its summary). */
export interface FlowCounts {
  readonly allowed: number;
  readonly denied: number;
  readonly unexpected: number;
  /** Counted but never labeled: replies, established packets, events without a verdict. */
  readonly skipped: number;
}

/** What one status line says: flow counts now, and the open alerts (undefined when they could not be counted). */
export interface StatusSample {
  readonly counts: FlowCounts;
  readonly openAlerts: number | undefined;
}

function perSecond(value: number): string {
  if (value === 0) return '0';
  return value >= 10 ? String(Math.round(value)) : value.toFixed(1);
}

/**
 * `open alerts 2 · flows/s 50: allowed 31, denied 1.4, unexpected 0.4, unlabeled 17`: the open alerts, then the rates
 * between two samples `seconds` apart, by label (most important first: a narrow terminal cuts the end).
 */
export function statusLine(before: FlowCounts, now: StatusSample, seconds: number): string {
  const rate = (key: keyof FlowCounts) => Math.max(0, now.counts[key] - before[key]) / Math.max(seconds, 0.001);
  const all = rate('allowed') + rate('denied') + rate('unexpected') + rate('skipped');
  const alerts = now.openAlerts === undefined ? '?' : String(now.openAlerts);
  return `open alerts ${alerts} · flows/s ${perSecond(all)}: allowed ${perSecond(rate('allowed'))}, denied ${perSecond(rate('denied'))}, unexpected ${perSecond(rate('unexpected'))}, unlabeled ${perSecond(rate('skipped'))}`;
}

const CLEAR_LINE = '\r\x1b[2K';

export interface LiveStatusOptions {
  /** Reads the counts and open alerts; never rejects (a failed count is `openAlerts: undefined`). */
  readonly sample: () => Promise<StatusSample>;
  /** How often the line is written (default: every second on a terminal, every 10 s elsewhere). */
  readonly everyMs?: number;
}

/**
 * The one live status line of `serve`. On a terminal it is redrawn in place every second, and every other write
 * (logs included) goes through {@link io}, which clears the line first and redraws it after, so nothing is
 * overwritten or garbled; elsewhere (a log file, a container) it is a plain line every 10 s.
 */
export class LiveStatus {
  /** The sink for everything else the command writes while the line is shown. */
  readonly io: CliIo;
  private line: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(private readonly out: CliIo) {
    const terminal = out.terminal;
    this.io = !terminal
      ? out
      : {
          terminal,
          stdout: (text) => this.around(() => out.stdout(text)),
          stderr: (text) => this.around(() => out.stderr(text)),
        };
  }

  /** Starts writing the line (after the lines written so far). */
  start(options: LiveStatusOptions): void {
    const terminal = this.out.terminal !== undefined;
    const everyMs = options.everyMs ?? (terminal ? 1000 : 10_000);
    let before: FlowCounts | undefined;
    let at = performance.now();
    this.running = true;
    const tick = async (): Promise<void> => {
      const sample = await options.sample();
      const now = performance.now();
      if (!this.running) return;
      if (before !== undefined) this.show(statusLine(before, sample, (now - at) / 1000));
      before = { ...sample.counts };
      at = now;
    };
    void tick();
    this.timer = setInterval(() => void tick(), everyMs);
    this.timer.unref();
  }

  /** Stops; on a terminal the line stays, ended by a newline. */
  stop(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.line !== undefined && this.out.terminal) this.out.stdout('\n');
    this.line = undefined;
  }

  private show(line: string): void {
    const terminal = this.out.terminal;
    if (!terminal) {
      this.out.stdout(`status: ${line}\n`);
      return;
    }
    this.line = printable(line).slice(0, Math.max(20, terminal.columns() - 1));
    this.out.stdout(`${CLEAR_LINE}${this.line}`);
  }

  private around(write: () => void): void {
    if (this.line === undefined) {
      write();
      return;
    }
    this.out.stdout(CLEAR_LINE);
    write();
    this.out.stdout(this.line);
  }
}
