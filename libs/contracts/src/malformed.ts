/**
 * Why a message was set aside as malformed (`collector_events` rows of kind `malformed` carry it as `code`;
 * `evaluate` names it on stderr). The normalizers return the first group; the collector adds the other two.
 */
import { z } from 'zod';

/** Codes the normalizers of libs/flow return, with what they mean. */
export const NORMALIZE_ERROR_MEANINGS = {
  invalid_json: 'the text is not JSON',
  not_an_object: 'the message, or a part that must be one, is not a JSON object',
  invalid_field: 'a field has the wrong type or an impossible value',
  missing_field: 'a field every flow needs (its time, a Calico key) is missing',
  nul_in_string: 'a string holds a NUL byte, which PostgreSQL text cannot store',
  invalid_ip: 'an address field is not an IPv4 or IPv6 address',
  string_too_long: 'a name or id is longer than the stored limit',
  time_out_of_range: 'a time before 1970 or after 9999, or not a time at all',
} as const;

export type NormalizeErrorCode = keyof typeof NORMALIZE_ERROR_MEANINGS;
export const NORMALIZE_ERROR_CODES = Object.freeze(Object.keys(NORMALIZE_ERROR_MEANINGS)) as readonly NormalizeErrorCode[];

/** Every malformed-message code: the normalizers' plus the collector's own. */
export const MALFORMED_MEANINGS = {
  ...NORMALIZE_ERROR_MEANINGS,
  undecodable_message: 'the bytes are not a message of the expected protobuf type',
  unstorable: 'PostgreSQL refused the row the message became; it was set aside so the rest could be stored',
} as const;

export type MalformedCode = keyof typeof MALFORMED_MEANINGS;
export const MALFORMED_CODES = Object.freeze(Object.keys(MALFORMED_MEANINGS)) as readonly MalformedCode[];
export const malformedCodeSchema = z.enum(MALFORMED_CODES as unknown as [MalformedCode, ...MalformedCode[]]);

/** True for a member of {@link MalformedCode}. */
export function isMalformedCode(value: string): value is MalformedCode {
  return Object.hasOwn(MALFORMED_MEANINGS, value);
}
