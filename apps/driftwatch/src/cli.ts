import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Where a command writes. Tests pass their own sinks; the executable passes process.stdout/stderr. */
export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Set when stdout is a terminal (a line can be redrawn in place); its width in columns. */
  readonly terminal?: { readonly columns: () => number };
}

/** One subcommand of `driftwatch`. `run` resolves to the process exit code. */
export interface CommandModule {
  readonly usage: string;
  run(args: readonly string[], io: CliIo): Promise<number>;
}

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  /** Loaded on demand so that `driftwatch conformance` never pays for NestJS, gRPC or Postgres. */
  readonly load: () => Promise<CommandModule>;
}

/**
 * A failure the user can act on: printed as one line (`driftwatch <command>: <message>`), never as a stack trace.
 * exitCode 2 means bad usage or input; 1 means the work itself failed.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** node:util parseArgs with strict checking whose errors become a one-line CliError (exit 2). */
export function parseCommandArgs<T extends NonNullable<ParseArgsConfig['options']>>(
  args: readonly string[],
  options: T,
  allowPositionals = false,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals, strict: true });
  } catch (error) {
    throw new CliError((error as Error).message.replace(/\. To specify a positional argument.*$/s, ''), 2);
  }
}

/** Parses a whole number option, naming the flag when it is not one. */
export function parseIntegerOption(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`--${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`, 2);
  }
  return n;
}
