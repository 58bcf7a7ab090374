import type { Labels } from '../model.js';
import { checkDnsLabel, checkDnsSubdomain } from './names.js';
import { child, get, type JsonObject, type ObjectReader } from './reader.js';

export interface Metadata {
  readonly name: string;
  /** `default` when a namespaced object leaves it out (noted); empty for cluster-scoped objects. */
  readonly namespace: string;
  readonly labels: Labels;
}

/**
 * `metadata` of an object: a valid name (namespaces: DNS label; everything else: DNS subdomain), a valid
 * namespace for namespaced kinds, and valid labels.
 */
export function decodeMetadata(reader: ObjectReader, object: JsonObject, namespaced: boolean): Metadata | undefined {
  const meta = reader.requiredObject(get(object, 'metadata'), 'metadata');
  if (!meta) return undefined;
  const name = reader.requiredString(get(meta, 'name'), 'metadata.name');
  if (name !== undefined) {
    const bad = namespaced ? checkDnsSubdomain(name) : checkDnsLabel(name);
    if (bad) reader.problem('metadata.name', 'invalid_name', `name "${name}" ${bad}`);
  }
  let namespace = '';
  if (namespaced) {
    const given = reader.string(get(meta, 'namespace'), 'metadata.namespace');
    if (given === undefined || given === '') {
      namespace = 'default';
      reader.note('metadata.namespace', 'namespace_defaulted', `no namespace given for "${name ?? ''}"; assuming "default"`);
    } else {
      namespace = given;
      const bad = checkDnsLabel(given);
      if (bad) reader.problem('metadata.namespace', 'invalid_name', `namespace "${given}" ${bad}`);
    }
  }
  const labels = reader.labels(get(meta, 'labels'), child('metadata', 'labels'));
  return name === undefined ? undefined : { name, namespace, labels };
}
