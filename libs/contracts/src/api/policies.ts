/**
 * `/api/v1/policies`: policy revisions over REST: list, one revision with its documents and policies, the diff of
 * two revisions down to the rule, upload, and activation (which switches every running collection).
 */
import { z } from 'zod';
import { isoTime } from './common.js';
import type { RouteContract } from './route-contract.js';

/** Largest YAML body of `POST /api/v1/policies` (one manifest file's limit in a policy directory: 8 MiB). */
export const POLICY_UPLOAD_MAX_BYTES = 8 * 1024 * 1024;
/** Bounds of an upload, the same as a policy directory's (README, Security). */
export const POLICY_UPLOAD_MAX_DOCUMENTS = 10_000;
export const POLICY_UPLOAD_MAX_TOTAL_BYTES = 64 * 1024 * 1024;
/** Content types `POST /api/v1/policies` reads as multi-document YAML text. */
export const POLICY_YAML_CONTENT_TYPES = ['application/yaml', 'text/yaml', 'application/x-yaml'] as const;
/** The document name a YAML body is stored under unless `?name=` says otherwise. */
export const POLICY_UPLOAD_DEFAULT_NAME = 'upload.yaml';

/** A revision number: a positive decimal integer. */
export const policyRevisionId = z.string().regex(/^[1-9]\d{0,8}$/, 'must be a revision number (a positive integer)');

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Texts Postgres can store and the engine can report under: no NUL, no unpaired surrogate. */
const storableText = (what: string) =>
  z
    .string({ error: `must be a text (${what})` })
    .refine((s) => !s.includes('\u0000'), 'must not contain NUL characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode (no unpaired surrogates)');

/** The name a document is reported under (`file` of its problems): printable, at most 512 characters. */
export const documentName = storableText('the document name')
  .min(1, 'must not be empty')
  .max(512, 'must be at most 512 characters')
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f-\u009f]/.test(s), 'must not contain control characters');

/** One manifest text of a revision and the name problems are reported under. */
export const policyDocument = z.strictObject({
  name: documentName,
  text: storableText('YAML or JSON manifests').max(POLICY_UPLOAD_MAX_BYTES, `must be at most ${POLICY_UPLOAD_MAX_BYTES} characters`),
});

/** `POST /api/v1/policies` as JSON. Document names must be unique; the documents are stored sorted by name. */
export const createPolicyRevisionBody = z
  .strictObject({
    documents: z
      .array(policyDocument)
      .min(1, 'must hold at least one document')
      .max(POLICY_UPLOAD_MAX_DOCUMENTS, `must hold at most ${POLICY_UPLOAD_MAX_DOCUMENTS} documents`)
      .superRefine((documents, ctx) => {
        const seen = new Set<string>();
        documents.forEach((d, i) => {
          if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `is used by an earlier document` });
          seen.add(d.name);
        });
        const total = documents.reduce((n, d) => n + d.text.length, 0);
        if (total > POLICY_UPLOAD_MAX_TOTAL_BYTES) ctx.addIssue({ code: 'custom', message: `the texts must be at most ${POLICY_UPLOAD_MAX_TOTAL_BYTES} characters together` });
      }),
    activate: z.boolean({ error: 'must be true or false' }).default(false).meta({ description: 'put the revision in force at once (admin only)' }),
  })
  .meta({ description: 'Manifests as JSON. Or send the YAML itself with Content-Type application/yaml (query `name`, `activate`).' });

const booleanText = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true');

/** `POST /api/v1/policies` query, read only for a YAML body (a JSON body carries `activate` itself). */
export const createPolicyRevisionQuery = z.strictObject({
  name: documentName.optional().meta({ description: `the name the YAML body is stored and reported under (default ${POLICY_UPLOAD_DEFAULT_NAME})` }),
  activate: booleanText.optional().meta({ description: 'true puts the revision in force at once (admin only)' }),
});

/** `GET /api/v1/policies` query: newest first, keyset pagination. */
export const policyListQuery = z.strictObject({
  limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 200').max(200, 'must be from 1 to 200').default(50),
  cursor: policyRevisionId.optional().meta({ description: 'the `nextCursor` of the previous page' }),
});

export const policyRevisionParams = z.strictObject({ rev: policyRevisionId });
export const policyDiffParams = z.strictObject({ rev: policyRevisionId, other: policyRevisionId });

/** One problem of a manifest: which file (document name), which document in it (1-based), which field, and why. */
export const policyProblem = z.strictObject({
  file: z.string(),
  document: z.number().int(),
  path: z.string().meta({ description: 'the field (`spec.ingress[0].ports[1].port`); empty for the document as a whole' }),
  code: z.string().meta({ description: 'a stable code of the policy engine (`invalid_cidr`, `missing_field`, ...)' }),
  message: z.string(),
});

/** A revision as lists show it. */
export const policyRevisionSummary = z.strictObject({
  id: z.number().int().meta({ description: 'the revision number' }),
  contentHash: z.string().meta({ description: 'sha256 over every document name and text' }),
  gitCommit: z.string().nullable().meta({ description: 'HEAD of the checkout the policies were read from; null for uploads' }),
  sourceKind: z.enum(['directory', 'file', 'upload']),
  sourcePath: z.string().nullable().meta({ description: 'the POLICY_DIR (or --policies) path; null for uploads' }),
  createdAt: isoTime,
  activatedAt: isoTime.nullable().meta({ description: 'when it was last put in force; null if never' }),
  active: z.boolean().meta({ description: 'the revision in force (the one activated last)' }),
  policyCount: z.number().int(),
  problemCount: z.number().int(),
});

export const policyRevisionList = z.strictObject({
  revisions: z.array(policyRevisionSummary),
  nextCursor: z.string().nullable().meta({ description: 'pass as `cursor` for the next page; null on the last' }),
});

const labelSelector = z.strictObject({
  matchLabels: z.record(z.string(), z.string()),
  matchExpressions: z.array(z.strictObject({ key: z.string(), operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: z.array(z.string()) })),
});
const peer = z.strictObject({
  podSelector: labelSelector.optional(),
  namespaceSelector: labelSelector.optional(),
  ipBlock: z.strictObject({ cidr: z.string(), except: z.array(z.string()) }).optional(),
});
const port = z.strictObject({
  protocol: z.enum(['TCP', 'UDP', 'SCTP']),
  port: z.union([z.number().int(), z.string()]).optional(),
  endPort: z.number().int().optional(),
});
/** A rule as the engine reads it: `peers` are the entries of `from` (ingress) or `to` (egress); empty lists mean all. */
export const policyRule = z.strictObject({ peers: z.array(peer), ports: z.array(port) });
const origin = z.strictObject({ file: z.string(), document: z.number().int() });
const policyTypes = z.array(z.enum(['Ingress', 'Egress']));

/** A NetworkPolicy after loading and defaulting (policyTypes filled in, absent lists empty, protocol TCP by default). */
export const networkPolicy = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  podSelector: labelSelector,
  policyTypes,
  ingress: z.array(policyRule),
  egress: z.array(policyRule),
  origin: origin.optional(),
});

/** What a revision declares, one entry per NetworkPolicy, sorted by namespace and name. */
export const declaredPolicy = z.strictObject({
  namespace: z.string(),
  name: z.string(),
  directions: z.array(z.enum(['ingress', 'egress'])).meta({ description: 'the directions it isolates (from policyTypes)' }),
  podSelector: labelSelector,
  ingressRules: z.number().int(),
  egressRules: z.number().int(),
  origin,
});

export const policyRevisionDetail = z.strictObject({
  revision: policyRevisionSummary,
  documents: z.array(z.strictObject({ name: z.string(), text: z.string() })),
  problems: z.array(policyProblem).meta({ description: 'objects left out of the revision, as recorded when it was made' }),
  policies: z.array(declaredPolicy),
});

const ruleChange = z.strictObject({
  change: z.enum(['added', 'removed', 'changed']),
  beforeIndex: z.number().int().nullable().meta({ description: 'index in spec.ingress / spec.egress of `rev`; null when added' }),
  afterIndex: z.number().int().nullable().meta({ description: 'index in `other`; null when removed' }),
  before: policyRule.nullable(),
  after: policyRule.nullable(),
});
const inventoryChanges = z.strictObject({ added: z.array(z.string()), removed: z.array(z.string()), changed: z.array(z.string()) });

/** `GET /api/v1/policies/{rev}/diff/{other}`: what going from `rev` to `other` changes. */
export const policyRevisionDiff = z.strictObject({
  from: policyRevisionSummary,
  to: policyRevisionSummary,
  policies: z.strictObject({
    added: z.array(networkPolicy),
    removed: z.array(networkPolicy),
    changed: z.array(
      z.strictObject({
        namespace: z.string(),
        name: z.string(),
        podSelector: z.strictObject({ before: labelSelector, after: labelSelector }).optional(),
        policyTypes: z.strictObject({ before: policyTypes, after: policyTypes }).optional(),
        ingress: z.array(ruleChange),
        egress: z.array(ruleChange),
      }),
    ),
    unchanged: z.number().int(),
  }),
  namespaces: inventoryChanges,
  pods: inventoryChanges.meta({ description: 'pods and workloads as `Kind namespace/name`' }),
});

/** `POST /api/v1/policies`: the revision made (201) or the existing one with the same content hash (200). */
export const policyRevisionCreated = z.strictObject({
  revision: policyRevisionSummary,
  created: z.boolean().meta({ description: 'false when a revision with the same content hash existed (status 200)' }),
  activated: z.boolean().meta({ description: 'true when this request put it in force' }),
  problems: z.array(policyProblem).meta({ description: 'objects left out (the revision holds the rest)' }),
});

/** `POST /api/v1/policies/{rev}/activate`. */
export const policyActivation = z.strictObject({
  revision: policyRevisionSummary,
  previousRevisionId: z.number().int().nullable().meta({ description: 'the revision in force before; null if none was' }),
  changed: z.boolean().meta({ description: 'false when it was already in force (nothing recorded)' }),
  note: z.string().meta({ description: 'how long it stays in force' }),
});

/** 422: documents (or a revision) that leave no valid NetworkPolicy. */
export const policyUnprocessable = z.strictObject({
  statusCode: z.literal(422),
  error: z.literal('Unprocessable Entity'),
  message: z.string(),
  problems: z.array(policyProblem),
});

/** What the activation answer and the README say about how long an activation holds. */
export const ACTIVATION_NOTE =
  'in force for every collecting process (serve with sources, collect) until the next activation, restart or SIGHUP: a collector that starts or reloads puts its POLICY_DIR revision back in force';

export const policiesRoutes: RouteContract[] = [
  {
    method: 'get',
    path: '/api/v1/policies',
    summary: 'List policy revisions',
    description: 'Newest first. Any key, whatever its namespace scope: revisions are cluster-wide configuration, not traffic.',
    tag: 'policies',
    access: 'viewer',
    query: policyListQuery,
    responses: { 200: { description: 'a page of revisions', schema: policyRevisionList } },
  },
  {
    method: 'get',
    path: '/api/v1/policies/{rev}',
    summary: 'Get a policy revision',
    description: 'Its documents, the problems recorded when it was made, and the NetworkPolicies it declares.',
    tag: 'policies',
    access: 'viewer',
    params: policyRevisionParams,
    responses: { 200: { description: 'the revision', schema: policyRevisionDetail } },
  },
  {
    method: 'get',
    path: '/api/v1/policies/{rev}/diff/{other}',
    summary: 'Compare two policy revisions',
    description: 'Compares the parsed objects (not the text): policies added, removed and changed, down to the rule index.',
    tag: 'policies',
    access: 'viewer',
    params: policyDiffParams,
    responses: { 200: { description: 'what going from `rev` to `other` changes', schema: policyRevisionDiff } },
  },
  {
    method: 'post',
    path: '/api/v1/policies',
    summary: 'Upload a policy revision',
    description:
      'Makes a revision of the documents (operator); `activate: true` also puts it in force (admin). Objects with problems are left out and the problems stored; 422 when no valid NetworkPolicy remains. A YAML body is limited to 8 MiB.',
    tag: 'policies',
    access: 'operator',
    query: createPolicyRevisionQuery,
    body: createPolicyRevisionBody,
    bodyContentTypes: POLICY_YAML_CONTENT_TYPES,
    responses: {
      200: { description: 'a revision with the same content hash existed: that one', schema: policyRevisionCreated },
      201: { description: 'the new revision', schema: policyRevisionCreated },
      422: { description: 'no valid NetworkPolicy remains', schema: policyUnprocessable },
    },
  },
  {
    method: 'post',
    path: '/api/v1/policies/{rev}/activate',
    summary: 'Activate a policy revision',
    description: `Puts the revision in force (admin); every running collection switches to it. ${ACTIVATION_NOTE}.`,
    tag: 'policies',
    access: 'admin',
    params: policyRevisionParams,
    responses: {
      200: { description: 'the revision in force', schema: policyActivation },
      422: { description: 'the revision holds no valid NetworkPolicy', schema: policyUnprocessable },
    },
  },
];
