import { printable } from '@driftwatch/common';
import { formatFinding, loadManifests } from '@driftwatch/policy-engine';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { readPolicyFiles } from '@driftwatch/policy-source';

export const usage = `usage: driftwatch validate --policies <path> [--verbose]

Validates manifests as the Kubernetes API server would (selectors, names, labels, CIDRs, ports, protocols,
policyTypes) and prints each problem as file:doc:path: message (a count follows on stderr). Exits 1 when there
is any problem, else prints a one-line summary. Names and values from the manifests are printed with control
characters escaped (\x1b, ...). Files left out (symbolic link loops, FIFOs and other non-regular files, a file
reached twice) are named on stderr.

  --policies  a manifest file or a directory of them (.yaml, .yml, .json)
  --verbose   also print notes (skipped kinds, defaulted namespaces, CIDRs with host bits set)`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, { policies: { type: 'string' }, verbose: { type: 'boolean', default: false } });
  if (values.policies === undefined || values.policies === '') throw new CliError('--policies is required (see driftwatch validate --help)', 2);
  const { sources, skipped } = await readPolicyFiles(values.policies);
  for (const entry of skipped) io.stderr(`skipped ${printable(entry.path)}: ${printable(entry.reason)}\n`);
  const loaded = loadManifests(sources);
  for (const problem of loaded.problems) io.stdout(`${printable(formatFinding(problem))}\n`);
  if (values.verbose) for (const note of loaded.notes) io.stdout(`${printable(formatFinding(note))} (note)\n`);
  const files = `${sources.length} file${sources.length === 1 ? '' : 's'}`;
  if (loaded.problems.length > 0) {
    io.stderr(`${loaded.problems.length} problem${loaded.problems.length === 1 ? '' : 's'} in ${files}; objects with problems are left out\n`);
    return 1;
  }
  const notes = loaded.notes.length === 0 || values.verbose ? '' : `; ${loaded.notes.length} note(s), --verbose shows them`;
  io.stdout(
    `OK: ${count(loaded.policies.length, 'policy', 'policies')}, ${count(loaded.namespaces.length, 'namespace')}, ${count(loaded.pods.length, 'pod or workload', 'pods and workloads')} in ${files}${notes}\n`,
  );
  return 0;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
