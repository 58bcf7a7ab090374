/**
 * What-if: judge the stored flow records of a time range again, against a candidate policy revision, and say
 * which connections would change label. `POST /api/v1/whatif` and `driftwatch whatif` answer the same shape.
 */
import { z } from 'zod';
import { flowLabelSchema } from '../vocabulary.js';
import { errorBody, isoDateTimeInput, isoTime, namespaceName } from './common.js';
import type { RouteContract } from './route-contract.js';

/** The longest range a what-if or a compliance report reads. */
export const MAX_RANGE_DAYS = 31;
/** Samples kept per transition: the connections with the most flows. */
export const WHATIF_SAMPLES_PER_TRANSITION = 10;
/** How long a what-if may read and evaluate before it gives up (the range is then too large: narrow it). */
export const WHATIF_TIME_LIMIT_SECONDS = 60;
/** Documents and bytes a candidate given inline may hold. */
export const CANDIDATE_LIMITS = { documents: 1000, documentBytes: 4 * 1024 * 1024, nameLength: 1024 } as const;

/**
 * Checks a time range `[from, to)`: `to` after `from`, at most {@link MAX_RANGE_DAYS} days (for `superRefine`).
 * Records are in a range when their window starts in it.
 */
export function checkTimeRange(value: { readonly from: Date; readonly to: Date }, ctx: z.RefinementCtx): void {
  // zod runs refinements of an object whose fields already failed: only a range of two dates is checked.
  if (!(value.from instanceof Date) || !(value.to instanceof Date)) return;
  const span = value.to.getTime() - value.from.getTime();
  if (span <= 0) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
  else if (span > MAX_RANGE_DAYS * 86_400_000) ctx.addIssue({ code: 'custom', path: ['to'], message: `the range is too large: at most ${MAX_RANGE_DAYS} days after from` });
}

/** One manifest text of a candidate given inline (YAML or JSON, several documents allowed). */
export const candidateDocumentSchema = z
  .object({
    name: z.string({ error: 'must be a text' }).min(1, 'must not be empty').max(CANDIDATE_LIMITS.nameLength, `must be at most ${CANDIDATE_LIMITS.nameLength} characters`),
    text: z.string({ error: 'must be a text' }).max(CANDIDATE_LIMITS.documentBytes, `must be at most ${CANDIDATE_LIMITS.documentBytes} characters`),
  })
  .strict();

/** The revision to judge with: a stored policy revision by number, or manifests given inline. */
export const whatIfCandidateSchema = z.union(
  [
    z.object({ revision: z.number({ error: 'must be a revision number' }).int('must be a whole number').min(1, 'must be a revision number (1 or more)') }).strict(),
    z.object({ documents: z.array(candidateDocumentSchema).min(1, 'must hold at least one document').max(CANDIDATE_LIMITS.documents, `must hold at most ${CANDIDATE_LIMITS.documents} documents`) }).strict(),
  ],
  { error: 'must be {"revision": <number>} or {"documents": [{"name", "text"}, ...]}' },
);

/** `POST /api/v1/whatif` body. */
export const whatIfRequestSchema = z
  .object({
    candidate: whatIfCandidateSchema,
    from: isoDateTimeInput,
    to: isoDateTimeInput,
    /** Only records with one of these namespaces on either side (default: every namespace the key may read). */
    namespaces: z.array(namespaceName).min(1, 'must name at least one namespace').max(100, 'must name at most 100 namespaces').optional(),
  })
  .strict()
  .superRefine(checkTimeRange);
export type WhatIfRequest = z.output<typeof whatIfRequestSchema>;

/** One side of a connection as records keep it: a pod by namespace and workload, anything else by its address. */
export const connectionEndSchema = z.object({
  namespace: z.string().nullable(),
  workload: z.string().nullable(),
  ip: z.string().nullable(),
});
export type ConnectionEnd = z.infer<typeof connectionEndSchema>;

/** A connection that changes label, with the flows of the range it stands for. */
export const whatIfSampleSchema = z.object({
  src: connectionEndSchema,
  dst: connectionEndSchema,
  port: z.number().int().nullable(),
  protocol: z.string(),
  flows: z.number().int(),
});
export type WhatIfSample = z.infer<typeof whatIfSampleSchema>;

/** Records whose label would go from `from` (as stored) to `to` (under the candidate). */
export const whatIfTransitionSchema = z.object({
  from: flowLabelSchema,
  to: flowLabelSchema,
  records: z.number().int(),
  flows: z.number().int(),
  /** At most {@link WHATIF_SAMPLES_PER_TRANSITION}, the connections with the most flows first. */
  samples: z.array(whatIfSampleSchema),
});
export type WhatIfTransition = z.infer<typeof whatIfTransitionSchema>;

export const whatIfTotalsSchema = z.object({
  /** Labeled connection records of the range (in scope) that were judged again. */
  records: z.number().int(),
  flows: z.number().int(),
  /** Records whose label stays the same. */
  unchanged: z.number().int(),
  /**
   * Records judged with less than the pipeline knew: written before endpoint identities were kept (their labels
   * are taken from the candidate's inventory), or needing a pod address records do not keep (an ipBlock rule).
   */
  approximate: z.number().int(),
  seconds: z.number(),
});

/** The answer of a what-if. */
export const whatIfResultSchema = z.object({
  candidate: z.object({
    /** The stored revision judged with, or null for documents given inline. */
    revision: z.number().int().nullable(),
    policies: z.number().int(),
  }),
  from: isoTime,
  to: isoTime,
  /** The namespaces read (either side), or `*` for all. */
  namespaces: z.union([z.array(z.string()), z.literal('*')]),
  /** One per (stored label → candidate label) pair that changed, most records first. */
  transitions: z.array(whatIfTransitionSchema),
  totals: whatIfTotalsSchema,
  /** Records that are allowed or denied now and would be unexpected: what the CLI gate fails on. */
  becomeUnexpected: z.number().int(),
});
export type WhatIfResult = z.infer<typeof whatIfResultSchema>;

export const whatifRoutes: readonly RouteContract[] = [
  {
    method: 'post',
    path: '/api/v1/whatif',
    summary: 'Judge stored flows again against a candidate revision',
    description:
      'Streams the labeled connection records whose window starts in [from, to) (with a namespace of the key, or of ' +
      '`namespaces`, on either side) through the policy engine with the candidate compiled once, and returns each ' +
      '(stored label → candidate label) pair that changes, with record and flow counts and the biggest connections. ' +
      `At most ${MAX_RANGE_DAYS} days; a range that takes more than ${WHATIF_TIME_LIMIT_SECONDS} s to evaluate is refused (400). ` +
      'A candidate with problems is refused (400, the problems listed). 403 when `namespaces` names one the key may not read; ' +
      '404 for an unknown revision.',
    tag: 'whatif',
    access: 'viewer',
    body: whatIfRequestSchema,
    responses: {
      200: { description: 'the transitions and totals', schema: whatIfResultSchema },
      403: { description: 'a namespace outside the key\'s scope', schema: errorBody },
      404: { description: 'no such revision', schema: errorBody },
    },
  },
];
