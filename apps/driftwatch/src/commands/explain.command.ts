import { isIP } from 'node:net';
import { printable } from '@driftwatch/common';
import {
  compileRevision,
  explainDecision,
  loadManifests,
  renderExplanation,
  type Endpoint,
  type PolicySnapshot,
  type Protocol,
} from '@driftwatch/policy-engine';
import { CliError, parseCommandArgs, parseIntegerOption, type CliIo } from '../cli.js';
import { readPolicyFiles } from '@driftwatch/policy-source';

export const usage = `usage: driftwatch explain --policies <path> --from <ns/pod|ip> --to <ns/pod|ip> --port <n|name> [--protocol TCP] [--json]

Says whether the declared policies allow one connection, and why: both halves (the source's egress, the
destination's ingress), the policies that isolate each side and the rule that admits it.

  --policies  a manifest file or a directory of them (.yaml, .yml, .json): NetworkPolicies, and the Namespaces,
              Pods and workloads (Deployment, StatefulSet, ...) that endpoints are looked up in
  --from/--to namespace/name of a Pod or workload in --policies, or an IP address (a Pod's IP, or an external peer)
  --port      a port number, or a named port of the destination pod
  --protocol  TCP (default), UDP or SCTP
  --json      print {notes, decision, explanation} as JSON instead of text

An IP that no Pod in --policies carries (status.podIP) is an external peer: only ipBlock rules match it, even if
the real cluster runs a pod with that address. The answer then starts with a note saying so.

Exit status: 0 when it answered (whether the connection is allowed or denied), 2 for bad input (a flag, a path
that cannot be read, an endpoint or named port that is not in --policies), 1 for any other failure.`;

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(args, {
    policies: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    port: { type: 'string' },
    protocol: { type: 'string', default: 'TCP' },
    json: { type: 'boolean', default: false },
  });
  const required = (flag: 'policies' | 'from' | 'to' | 'port'): string => {
    const value = values[flag];
    if (value === undefined || value === '') throw new CliError(`--${flag} is required (see driftwatch explain --help)`, 2);
    return value;
  };
  const policiesPath = required('policies');
  const from = required('from');
  const to = required('to');
  const portText = required('port');
  const protocol = PROTOCOLS.find((p) => p === values.protocol.toUpperCase());
  if (!protocol) throw new CliError(`--protocol must be TCP, UDP or SCTP, got ${JSON.stringify(values.protocol)}`, 2);

  const { sources, skipped } = await readPolicyFiles(policiesPath);
  for (const entry of skipped) io.stderr(`skipped ${printable(entry.path)}: ${printable(entry.reason)}\n`);
  const loaded = loadManifests(sources);
  if (loaded.problems.length > 0) {
    io.stderr(
      `warning: ${loaded.problems.length} problem(s) in ${printable(policiesPath)}; the objects with problems are left out ` +
        `(see driftwatch validate --policies ${printable(policiesPath)})\n`,
    );
  }
  const snapshot = compileRevision(loaded);
  const source = resolveEndpoint(snapshot, from, '--from', policiesPath);
  const destination = resolveEndpoint(snapshot, to, '--to', policiesPath);
  const port = resolvePort(portText, destination, protocol, to);
  const decision = snapshot.evaluate(source, destination, port, protocol);
  const notes = [
    ...(source.kind === 'external' ? [externalNote('--from', from, policiesPath)] : []),
    ...(destination.kind === 'external' ? [externalNote('--to', to, policiesPath)] : []),
  ];
  if (values.json) {
    io.stdout(`${JSON.stringify({ notes, decision, explanation: explainDecision(decision) }, null, 2)}\n`);
  } else {
    const lines = [...notes.map((note) => `note: ${note}`), ...(notes.length > 0 ? [''] : [])];
    lines.push(renderExplanation(decision, 'detailed'), '', renderExplanation(decision));
    io.stdout(`${lines.map((line) => printable(line, true)).join('\n')}\n`);
  }
  return 0;
}

function externalNote(flag: string, ip: string, policiesPath: string): string {
  return `${flag} ${ip} matches no Pod in ${policiesPath}, so it is treated as an external peer (only ipBlock rules apply to it)`;
}

/** `namespace/name` of a Pod or workload in the revision, or an IP (a known Pod's IP, else an external peer). */
function resolveEndpoint(snapshot: PolicySnapshot, text: string, flag: string, policiesPath: string): Endpoint {
  if (isIP(text) !== 0) {
    const pod = snapshot.podByIp(text);
    return (pod && snapshot.endpoint(pod.namespace, pod.name, 'Pod')) ?? { kind: 'external', ip: text };
  }
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1 || text.indexOf('/', slash + 1) !== -1) {
    throw new CliError(`${flag} must be namespace/name or an IP address, got ${JSON.stringify(text)}`, 2);
  }
  const endpoint = snapshot.endpoint(text.slice(0, slash), text.slice(slash + 1));
  if (!endpoint) {
    throw new CliError(`${flag} ${text}: no Pod or workload of that name in ${policiesPath}`, 2);
  }
  return endpoint;
}

function resolvePort(text: string, destination: Endpoint, protocol: Protocol, to: string): number {
  if (/^[0-9]+$/.test(text)) return parseIntegerOption('port', text, 1, 65535) as number;
  const named = destination.kind === 'pod' ? (destination.namedPorts ?? []) : [];
  const port = named.find((p) => p.name === text && p.protocol === protocol);
  if (!port) {
    const known = named.map((p) => `${p.name} (${p.protocol} ${p.port})`).join(', ') || 'none';
    throw new CliError(`--port ${text}: ${to} has no ${protocol} port named "${text}" (its named ports: ${known})`, 2);
  }
  return port.port;
}
