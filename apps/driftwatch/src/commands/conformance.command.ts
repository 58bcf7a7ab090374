import { readFile } from 'node:fs/promises';
import { runConformanceScenario, type ConformanceFailure } from '@driftwatch/policy-engine';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { listFiles } from '@driftwatch/policy-source';

export const usage = `usage: driftwatch conformance <file-or-dir>...

Runs NetworkPolicy conformance scenarios (*.json in the format of the shared conformance corpus; directories are
searched recursively) through the policy engine. Prints one line per failing case (file, case, expected, got,
explanation) and ends with "N passed, M failed". Exits 0 only when nothing failed.`;

const PROGRESS_EVERY_MS = 1000;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, true);
  if (positionals.length === 0) throw new CliError('give at least one scenario file or directory (see driftwatch conformance --help)', 2);
  const files = [...new Set((await Promise.all(positionals.map((p) => listFiles(p, ['.json'], 'conformance scenarios')))).flat())];
  let passed = 0;
  let failed = 0;
  let lastProgress = performance.now();
  for (const [i, file] of files.entries()) {
    const report = await runFile(file);
    passed += report.passed;
    failed += report.failures.length;
    for (const failure of report.failures) io.stdout(`${formatFailure(failure)}\n`);
    if (performance.now() - lastProgress > PROGRESS_EVERY_MS) {
      lastProgress = performance.now();
      io.stderr(`conformance: ${i + 1}/${files.length} files, ${passed + failed} cases\n`);
    }
  }
  io.stdout(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

async function runFile(file: string): Promise<{ passed: number; failures: readonly ConformanceFailure[] }> {
  const text = await readFile(file, 'utf8').catch((error: Error) => {
    throw new CliError(`cannot read ${file}: ${error.message}`, 2);
  });
  let scenario: unknown;
  try {
    scenario = JSON.parse(text);
  } catch (error) {
    return { passed: 0, failures: [{ file, case: 0, connection: '', expected: '', got: 'error', explanation: `not valid JSON: ${(error as Error).message}` }] };
  }
  return runConformanceScenario(scenario, file);
}

/** `file: step 2, case 17 (x/a -> y/b TCP/80): expected allow, got deny: <explanation>`. */
export function formatFailure(failure: ConformanceFailure): string {
  const step = failure.step === undefined ? '' : `step ${failure.step}, `;
  if (failure.case === 0) return `${failure.file}: ${step}${failure.explanation}`;
  return `${failure.file}: ${step}case ${failure.case} (${failure.connection}): expected ${failure.expected}, got ${failure.got}: ${failure.explanation}`;
}
