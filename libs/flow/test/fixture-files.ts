/** Reads the copied sample files in ./fixtures (never shared/), and reshapes JSON samples as gRPC-decoded objects. */
import { readFileSync } from 'node:fs';

/** The text of a fixture file. */
export function fixtureText(relative: string): string {
  return readFileSync(new URL(`./fixtures/${relative}`, import.meta.url), 'utf8');
}

/** The non-blank lines of a JSON-lines fixture. */
export function fixtureLines(relative: string): string[] {
  return fixtureText(relative).split('\n').filter((line) => line.trim() !== '');
}

/** One line of a JSON-lines fixture (0-based), parsed. */
export function fixtureLine(relative: string, index: number): Record<string, unknown> {
  const line = fixtureLines(relative)[index];
  if (line === undefined) throw new Error(`${relative} has no line ${index}`);
  return JSON.parse(line) as Record<string, unknown>;
}

function timestamp(text: string): { seconds: string; nanos: number } {
  const [whole, fraction = ''] = text.replace('Z', '').split('.');
  const seconds = Math.floor(Date.parse(`${whole}Z`) / 1000);
  return { seconds: String(seconds), nanos: Number(fraction.padEnd(9, '0').slice(0, 9)) };
}

/**
 * Reshapes a Hubble JSON response into what @grpc/proto-loader decodes with
 * `{keepCase, longs: String, enums: String, defaults: false, oneofs: true}`: Timestamps as `{seconds, nanos}`,
 * BoolValue as `{value}` (value omitted when false), and the virtual oneof keys.
 */
export function asGrpcDecoded(response: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(response);
  if (typeof copy['time'] === 'string') copy['time'] = timestamp(copy['time']);
  const flow = copy['flow'] as Record<string, unknown> | undefined;
  if (flow !== undefined) {
    copy['response_types'] = 'flow';
    if (typeof flow['time'] === 'string') flow['time'] = timestamp(flow['time']);
    if (typeof flow['is_reply'] === 'boolean') flow['is_reply'] = flow['is_reply'] ? { value: true } : {};
    const l4 = flow['l4'] as Record<string, unknown> | undefined;
    if (l4 !== undefined) l4['protocol'] = Object.keys(l4)[0];
  }
  if (copy['lost_events'] !== undefined) copy['response_types'] = 'lost_events';
  if (copy['node_status'] !== undefined) copy['response_types'] = 'node_status';
  return copy;
}
