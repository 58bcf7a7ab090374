import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { systemPath } from '@driftwatch/config';

const bin = join(import.meta.dirname, '..', 'bin', 'driftwatch.js');

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a child: PATH only (the developer's own variables never leak in), DEMO=off (the built-in demo
 * source would add its flows and alerts to every test's; a test of the demo passes `demo: true`), readable log
 * lines (LOG_FORMAT=text) so that assertions read messages as a person does (a piped stderr would otherwise get
 * JSON lines; see logs.e2e.spec.ts, which sets LOG_FORMAT itself), then `env`, which overrides all of them.
 */
export function childEnv(env: Record<string, string>, demo = false): Record<string, string> {
  return { PATH: systemPath(), LOG_FORMAT: 'text', ...(demo ? {} : { DEMO: 'off' }), ...env };
}

/** Runs the real `driftwatch` executable in a child process with `env` (see childEnv), and resolves when it exits. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 20_000, stdin?: string): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: childEnv(env) });
    child.stdin.end(stdin ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`driftwatch ${args.join(' ')} did not exit within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts a long-running `driftwatch <args>` (e.g. `collect` without `--until-idle`) with `env` (see childEnv) and
 * returns at once: its output so far, and `stop`, which sends SIGTERM and resolves with the exit code and output.
 */
export function startCli(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [bin, ...args], { env: childEnv(env) });
  child.stdin.end();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // 'close', not 'exit': the output is complete only once the child's pipes are closed
  const exited = new Promise<CliRun>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  return {
    output: () => `${stdout}${stderr}`,
    exited,
    stop: (): Promise<CliRun> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/**
 * Retention for `serve` in tests, unless a test sets its own: keep 10 years. Tests share a database and write
 * flows of fixed past dates (the example capture is from March 2026); a serve's retention pass at start must
 * not delete another test's rows.
 */
const KEEP_EVERYTHING = { FLOW_RETENTION_DAYS: '3650', EVIDENCE_RETENTION_DAYS: '3650' };

/**
 * Starts `driftwatch serve` and resolves once it prints its URL, with a function that stops it (SIGTERM) and
 * resolves to its exit code. `options.demo` leaves DEMO unset (its default, on), as a plain `npm start`.
 */
export function startServe(env: Record<string, string>, timeoutMs = 15_000, options: { demo?: boolean } = {}) {
  return new Promise<{ url: string; output: () => string; signal: (name: NodeJS.Signals) => void; stop: () => Promise<number | null> }>((resolve, reject) => {
    const child = spawn(process.execPath, [bin, 'serve'], { env: childEnv({ ...KEEP_EVERYTHING, ...env }, options.demo) });
    let output = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`serve printed no URL within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (d: string) => {
      output += d;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({
          url: match[1],
          output: () => output,
          signal: (name) => child.kill(name),
          stop: () => {
            child.kill('SIGTERM');
            return exited;
          },
        });
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${output}`));
    });
  });
}
