import type { Logger } from '@driftwatch/common';
import { FlowClassifier, type Classification, type Flow, type FlowObserver } from '@driftwatch/flow';
import type { PolicySnapshot } from '@driftwatch/policy-engine';

/** The policy revision flows are classified against; `id` is its number in the database (null offline). */
export interface ActiveRevision {
  readonly snapshot: PolicySnapshot;
  readonly id: number | null;
}

/** The counters `collect` and `evaluate` print when they end. */
export interface PipelineSummary {
  /** Every flow received (duplicates included). */
  flows: number;
  allowed: number;
  denied: number;
  unexpected: number;
  /** Replies and other events that are not connection attempts: counted, never labeled. */
  skipped: number;
  /** Events the source reported lost (Hubble `lost_events`). */
  lost: number;
  /** Flows already seen (resumed streams, Felix resends), dropped. */
  duplicates: number;
  /** Messages that could not be normalized, and rows Postgres refused (`unstorable`): logged and skipped. */
  malformed: number;
}

/**
 * Classify and count: judges each distinct flow against the active revision, counts its label, and hands it at
 * once (before any aggregation or write) to `onFlow` and to every {@link FlowObserver}. An observer that throws
 * is logged once and otherwise ignored: it never breaks ingest.
 */
export class ClassifyStage {
  private revision: ActiveRevision;
  private classifier: FlowClassifier;
  private readonly observers: FlowObserver[];
  private readonly failed = new Set<FlowObserver>();

  constructor(
    revision: ActiveRevision,
    private readonly summary: PipelineSummary,
    private readonly logger: Logger,
    observers: readonly FlowObserver[],
    private readonly onFlow: ((flow: Flow, classification: Classification) => void) | undefined,
  ) {
    this.revision = revision;
    this.classifier = new FlowClassifier(revision.snapshot);
    this.observers = [...observers];
  }

  get active(): ActiveRevision {
    return this.revision;
  }

  addObserver(observer: FlowObserver): void {
    this.observers.push(observer);
  }

  /** Switches to `revision` and tells the observers; flows from now on are judged against it. */
  setRevision(revision: ActiveRevision): void {
    this.revision = revision;
    this.classifier = new FlowClassifier(revision.snapshot);
    for (const observer of this.observers) {
      try {
        observer.revisionChanged?.(revision.id, revision.snapshot);
      } catch (error) {
        this.observerFailed(observer, error);
      }
    }
  }

  /** Classifies and counts one distinct flow, and shows it to `onFlow` and the observers. */
  classify(flow: Flow): Classification {
    const classification = this.classifier.classify(flow);
    const label = classification.label;
    if (label === undefined) this.summary.skipped += 1;
    else this.summary[label] += 1;
    this.onFlow?.(flow, classification);
    const observers = this.observers;
    for (let i = 0; i < observers.length; i++) {
      const observer = observers[i] as FlowObserver;
      try {
        observer.observe(flow, classification, this.revision.id);
      } catch (error) {
        this.observerFailed(observer, error);
      }
    }
    return classification;
  }

  private observerFailed(observer: FlowObserver, error: unknown): void {
    if (this.failed.has(observer)) return;
    this.failed.add(observer);
    const name = observer.constructor?.name && observer.constructor.name !== 'Object' ? observer.constructor.name : 'a flow observer';
    this.logger.error(`${name} failed (${(error as Error)?.message ?? String(error)}); ingest goes on, further failures of it are not logged`);
  }
}
