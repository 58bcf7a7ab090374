import type { PolicySnapshot } from '@driftwatch/policy-engine';
import type { Classification } from './classify.js';
import type { Flow } from './flow.model.js';

/**
 * The seam where a consumer (the drift detector, live counters) sees every classified flow the moment it is
 * classified, before aggregation and before anything is written. Implementations live in feature libs; the app
 * attaches them to the pipeline, so features never import each other.
 *
 * Contract: `observe` is called synchronously on the ingest path, once per distinct (deduplicated) flow, in the
 * order flows are accepted. It must not throw, must not block, and must keep its own memory bounded; anything
 * slow (database writes, network) is queued by the observer and done off this call.
 */
export interface FlowObserver {
  observe(flow: Flow, classification: Classification, revisionId: number | null): void;
  /** The active policy revision changed (reload, activation); flows after this call are judged against it. */
  revisionChanged?(revisionId: number | null, snapshot: PolicySnapshot): void;
}
