/** Why an object of a manifest was rejected. Stable: tools and tests match on these. */
export type ProblemCode =
  | 'parse_error'
  | 'invalid_document'
  | 'missing_field'
  | 'invalid_type'
  | 'unknown_field'
  | 'invalid_name'
  | 'invalid_label_key'
  | 'invalid_label_value'
  | 'invalid_operator'
  | 'missing_values'
  | 'unexpected_values'
  | 'invalid_cidr'
  | 'except_not_in_cidr'
  | 'invalid_port'
  | 'invalid_port_name'
  | 'invalid_end_port'
  | 'end_port_without_numeric_port'
  | 'invalid_protocol'
  | 'invalid_policy_type'
  | 'empty_peer'
  | 'multiple_peer_types'
  | 'invalid_ip'
  | 'duplicate_object'
  | 'too_deep';

/** Something worth knowing about an input that was still accepted (or deliberately ignored). */
export type NoteCode = 'skipped_kind' | 'unsupported_api_version' | 'namespace_defaulted' | 'non_canonical_cidr';

/**
 * One finding about the manifests: which file, which document (1-based), which field (`spec.ingress[0].ports[1].port`,
 * empty for the document as a whole), a stable code and a message a person can act on.
 */
export interface Finding<C extends string> {
  readonly file: string;
  readonly document: number;
  readonly path: string;
  readonly code: C;
  readonly message: string;
}

/** A reason an object was rejected; the rest of the revision still loads. */
export type Problem = Finding<ProblemCode>;

/** Information about an accepted or skipped object. */
export type Note = Finding<NoteCode>;

/** `file:doc:path: message`, the one-line form the CLI prints (the path is left out when empty). */
export function formatFinding(finding: Finding<string>): string {
  const where = finding.path === '' ? `${finding.file}:${finding.document}` : `${finding.file}:${finding.document}:${finding.path}`;
  return `${where}: ${finding.message}`;
}
