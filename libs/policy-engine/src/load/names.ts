/**
 * Name and label syntax as the Kubernetes API server validates it (apimachinery `validation` package rules).
 * Each check returns undefined when valid, or the reason it is not.
 */

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const IANA_SVC_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A namespace name: lower-case alphanumerics and '-', starting and ending alphanumeric, at most 63 characters. */
export function checkDnsLabel(value: string): string | undefined {
  if (value.length > 63) return 'must be at most 63 characters';
  if (!DNS1123_LABEL.test(value)) {
    return "must consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character";
  }
  return undefined;
}

/** An object name (policy, pod, workload): DNS-1123 labels joined by '.', at most 253 characters. */
export function checkDnsSubdomain(value: string): string | undefined {
  if (value.length > 253) return 'must be at most 253 characters';
  if (!DNS1123_SUBDOMAIN.test(value)) {
    return "must consist of lower case alphanumeric characters, '-' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}

/** A label key: an optional DNS subdomain prefix and '/', then a name of at most 63 characters. */
export function checkLabelKey(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash === -1 ? undefined : key.slice(0, slash);
  const name = slash === -1 ? key : key.slice(slash + 1);
  if (prefix !== undefined) {
    if (prefix.length === 0) return 'has an empty prefix before "/"';
    const bad = checkDnsSubdomain(prefix);
    if (bad) return `has a prefix that ${bad}`;
  }
  if (name.length === 0) return 'has an empty name';
  if (name.length > 63) return 'has a name longer than 63 characters';
  if (!QUALIFIED_NAME.test(name)) {
    return "must consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character (an optional DNS prefix and '/' may come first)";
  }
  return undefined;
}

/** A label value: empty, or at most 63 alphanumerics, '-', '_' or '.', starting and ending alphanumeric. */
export function checkLabelValue(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63) return 'must be at most 63 characters';
  if (!QUALIFIED_NAME.test(value)) {
    return "must be empty or consist of alphanumeric characters, '-', '_' or '.', and start and end with an alphanumeric character";
  }
  return undefined;
}

/** A container port name (IANA_SVC_NAME): at most 15 lower-case alphanumerics or '-', with a letter, no '--'. */
export function checkPortName(value: string): string | undefined {
  if (value.length === 0 || value.length > 15) return 'must be 1 to 15 characters';
  if (!IANA_SVC_NAME.test(value)) return "must consist of lower case alphanumeric characters or '-', and start and end with an alphanumeric character";
  if (value.includes('--')) return "must not contain consecutive hyphens";
  if (!/[a-z]/.test(value)) return 'must contain at least one letter';
  return undefined;
}
