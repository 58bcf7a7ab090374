import 'reflect-metadata';
import { printable } from '@driftwatch/common';
import { CliError, type CliIo } from './cli.js';
import { commands } from './commands/index.js';
import { version } from './version.js';

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  ...(process.stdout.isTTY ? { terminal: { columns: () => process.stdout.columns || 80 } } : {}),
};

/**
 * A reader that closed stdout early (`driftwatch evaluate … | head`) ends the command quietly with status 0, as
 * a filter that has nothing left to say; any other write error on stdout ends it with one line and status 1.
 */
function endQuietlyWhenStdoutCloses(): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') process.exit(0);
    process.stderr.write(`driftwatch: cannot write to stdout: ${error.code ?? error.message}\n`);
    process.exit(1);
  });
}

/** Each line of a message escaped for the terminal (messages quote paths, names and values from input). */
function safe(message: string): string {
  return message
    .split('\n')
    .map((line) => printable(line))
    .join('\n');
}

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `driftwatch ${version}: checks live Kubernetes traffic against the NetworkPolicies declared in Git`,
    '',
    'usage: driftwatch <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `driftwatch <command> --help` for the options of one command.',
    '',
  ].join('\n');
}

/** Runs the CLI and resolves to the exit code. Errors the user can act on are printed as one line. */
export async function main(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (io === processIo) endQuietlyWhenStdoutCloses();
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    io.stdout(`${version}\n`);
    return 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (!entry) {
    io.stderr(`driftwatch: unknown command ${printable(JSON.stringify(name))}; run \`driftwatch --help\` for the list\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(command.usage.endsWith('\n') ? command.usage : `${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    // Loaded here, not at the top: `driftwatch --help` and `--version` need none of the policy code.
    const { PolicyInputError } = await import('@driftwatch/policy-source');
    if (error instanceof CliError || error instanceof PolicyInputError) {
      io.stderr(`driftwatch ${name}: ${safe(error.message)}\n`);
      return error.exitCode;
    }
    // Not a failure we foresaw: still one line first, then where it happened, for the bug report.
    const e = error instanceof Error ? error : new Error(String(error));
    io.stderr(`driftwatch ${name}: unexpected error: ${safe(e.message)}\n${safe(e.stack?.split('\n').slice(1).join('\n') ?? '')}\n`);
    return 1;
  }
}
