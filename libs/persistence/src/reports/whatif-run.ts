import { WHATIF_TIME_LIMIT_SECONDS, type WhatIfResult } from '@driftwatch/contracts';
import { evaluateWhatIf } from '@driftwatch/flow';
import type { PolicySnapshot } from '@driftwatch/policy-engine';
import type { NamespaceScope } from './record-scope.js';
import { isStatementTimeout } from './report-store.js';
import type { StoredConnectionReader } from './stored-connections.reader.js';

/** What a what-if reads and how long it may take. */
export interface WhatIfQuery {
  readonly from: Date;
  readonly to: Date;
  readonly scope: NamespaceScope;
  /** Reading and evaluating stop after this long (default {@link WHATIF_TIME_LIMIT_SECONDS}). */
  readonly timeLimitMs?: number;
}

/** The candidate a what-if judges with: its compiled snapshot, and its stored number when it has one. */
export interface WhatIfCandidate {
  readonly snapshot: PolicySnapshot;
  readonly revision: number | null;
}

/** A what-if that could not finish within its time limit: the range holds too much; narrow it. */
export class WhatIfTooLargeError extends Error {
  constructor(readonly seconds: number) {
    super(
      `the range holds more records than a what-if evaluates within ${seconds} s; narrow from/to or name fewer namespaces`,
    );
    this.name = 'WhatIfTooLargeError';
  }
}

/**
 * Runs a what-if: the stored connections of the query streamed by `reader` (a cursor, summed in Postgres),
 * judged again against the candidate ({@link evaluateWhatIf}), in the answer's shape. The same for the REST
 * route and `driftwatch whatif`.
 *
 * @throws WhatIfTooLargeError when the time limit passes (in Postgres or while evaluating).
 */
export async function runWhatIf(reader: StoredConnectionReader, candidate: WhatIfCandidate, query: WhatIfQuery): Promise<WhatIfResult> {
  const limitMs = query.timeLimitMs ?? WHATIF_TIME_LIMIT_SECONDS * 1000;
  const started = performance.now();
  const signal = AbortSignal.timeout(limitMs);
  let outcome;
  try {
    outcome = await evaluateWhatIf(candidate.snapshot, reader.stream({ from: query.from, to: query.to, scope: query.scope }), signal);
  } catch (error) {
    if (isStatementTimeout(error) || signal.aborted) throw new WhatIfTooLargeError(Math.round(limitMs / 1000));
    throw error;
  }
  const { transitions, records, flows, unchanged, approximate, becomeUnexpected } = outcome;
  return {
    candidate: { revision: candidate.revision, policies: candidate.snapshot.policies.length },
    from: query.from.toISOString(),
    to: query.to.toISOString(),
    namespaces: query.scope === '*' ? '*' : [...query.scope],
    transitions,
    totals: { records, flows, unchanged, approximate, seconds: Math.round(performance.now() - started) / 1000 },
    becomeUnexpected,
  };
}
