import { FlowPipeline } from '@driftwatch/collector';
import { createLogger, printable } from '@driftwatch/common';
import type { Classification, Flow, FlowEndpoint } from '@driftwatch/flow';
import { renderExplanation } from '@driftwatch/policy-engine';
import { CliError, parseCommandArgs, type CliIo } from '../cli.js';
import { loadDeclaredPolicies } from '@driftwatch/policy-source';
import { DEFAULT_MAX_LINE_BYTES, readFlowInput } from '../flow-input.js';
import { summaryLine } from '../summary-line.js';

const MAX_LINE_MIB = DEFAULT_MAX_LINE_BYTES / (1024 * 1024);

export const usage = `usage: driftwatch evaluate --policies <path> --flows <file|-> [--allow-invalid]

Classifies recorded flows against declared policies, offline (no database): Hubble JSON lines
(\`hubble observe -o json\`), Calico Goldmane protojson or Calico Enterprise flow-log JSON.
Prints one JSON line per flow:
  {"uuid","time","src","dst","port","protocol","direction","observed","dropReason","label","drift","issues","explanation"}
then the summary line {"flows","allowed","denied","unexpected","skipped","lost","seconds","duplicates","malformed"}.
label is null for replies and other events that are not connection attempts (they are counted as skipped).
Flows are de-duplicated by id, as a collector drops replayed flows: a flow whose id was already seen is not
printed again, only counted in "duplicates".

  --policies       a manifest file or a directory of them; any problem in them (see driftwatch validate) stops
                   the command with exit 2 before a flow is read: a typo must not turn into drift
  --allow-invalid  go on without the objects that have problems, listing each one dropped on stderr
  --flows          a file, or - for stdin; one line may hold at most ${MAX_LINE_MIB} MiB

Exit status: 3 if any flow is unexpected (a CI gate), 2 for bad input (policies with problems, malformed flow
lines, a line over the limit), else 0. Output stops quietly when its reader closes (\`| head\`).`;

function name(endpoint: FlowEndpoint): string | null {
  if (endpoint.kind === 'pod' && endpoint.namespace !== undefined) {
    return `${endpoint.namespace}/${endpoint.workload?.name ?? endpoint.podName ?? endpoint.reportedName ?? '?'}`;
  }
  return endpoint.ip ?? endpoint.reportedName ?? (endpoint.kind === 'unknown' ? null : endpoint.kind);
}

function line(flow: Flow, verdict: Classification): string {
  const explanation = verdict.declared
    ? renderExplanation(verdict.declared)
    : verdict.label === undefined
      ? `${flow.event}: counted, not classified`
      : `${verdict.label} by the observed verdict alone (${flow.protocol ?? 'unknown protocol'} is not covered by NetworkPolicy)`;
  return JSON.stringify({
    uuid: flow.id,
    time: flow.timeText ?? new Date(flow.time).toISOString(),
    src: name(flow.src),
    dst: name(flow.dst),
    port: flow.dstPort ?? null,
    protocol: flow.protocol ?? null,
    direction: flow.direction,
    observed: flow.verdict,
    dropReason: flow.dropReason ?? null,
    label: verdict.label ?? null,
    drift: verdict.drift ?? null,
    issues: verdict.issues,
    explanation,
  });
}

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    policies: { type: 'string' },
    flows: { type: 'string' },
    'allow-invalid': { type: 'boolean', default: false },
  });
  if (!values.policies) throw new CliError(`--policies is required\n${usage}`, 2);
  if (!values.flows) throw new CliError(`--flows is required (a file, or - for stdin)\n${usage}`, 2);
  const started = performance.now();
  const logger = createLogger({ write: io.stderr, stamp: false });
  const declared = await loadDeclaredPolicies(values.policies, { logger, allowInvalid: values['allow-invalid'] });
  let out = '';
  const pipeline = new FlowPipeline(
    { snapshot: declared.snapshot, id: null },
    {
      onFlow: (flow, verdict) => {
        out += `${line(flow, verdict)}\n`;
        if (out.length > 64_000) {
          io.stdout(out);
          out = '';
        }
      },
    },
  );
  for await (const input of readFlowInput(values.flows)) {
    if (input.result.kind === 'error') io.stderr(`${printable(input.where)}: ${printable(input.result.error.message)}\n`);
    await pipeline.accept('file', input.result);
  }
  await pipeline.close();
  const s = pipeline.summary;
  io.stdout(out);
  io.stdout(summaryLine(s, started));
  return s.unexpected > 0 ? 3 : s.malformed > 0 ? 2 : 0;
}
