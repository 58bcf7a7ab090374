import type { LabelSelector, LabelSelectorRequirement, SelectorOperator } from '../model.js';
import { checkLabelKey, checkLabelValue } from './names.js';
import { child, get, type ObjectReader } from './reader.js';

const OPERATORS: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * A label selector as the API server validates it: matchLabels keys and values, and for matchExpressions a valid
 * key, a known operator, values for In/NotIn and none for Exists/DoesNotExist.
 */
export function decodeSelector(reader: ObjectReader, value: unknown, path: string): LabelSelector | undefined {
  const object = reader.object(value, path);
  if (!object) return undefined;
  reader.knownFields(object, path, ['matchLabels', 'matchExpressions']);
  const matchLabels = reader.labels(get(object, 'matchLabels'), child(path, 'matchLabels'));
  const matchExpressions: LabelSelectorRequirement[] = [];
  reader.list(get(object, 'matchExpressions'), child(path, 'matchExpressions')).forEach((raw, i) => {
    const requirement = decodeRequirement(reader, raw, child(child(path, 'matchExpressions'), i));
    if (requirement) matchExpressions.push(requirement);
  });
  return { matchLabels, matchExpressions };
}

function decodeRequirement(reader: ObjectReader, value: unknown, path: string): LabelSelectorRequirement | undefined {
  const object = reader.requiredObject(value, path);
  if (!object) return undefined;
  reader.knownFields(object, path, ['key', 'operator', 'values']);
  const key = reader.requiredString(get(object, 'key'), child(path, 'key'));
  if (key !== undefined) {
    const bad = checkLabelKey(key);
    if (bad) reader.problem(child(path, 'key'), 'invalid_label_key', `label key "${key}" ${bad}`);
  }
  const operatorText = reader.requiredString(get(object, 'operator'), child(path, 'operator'));
  const operator = OPERATORS.find((op) => op === operatorText);
  if (operatorText !== undefined && !operator) {
    reader.problem(child(path, 'operator'), 'invalid_operator', `operator "${operatorText}" is not one of ${OPERATORS.join(', ')}`);
  }
  const valuesPath = child(path, 'values');
  const values: string[] = [];
  reader.list(get(object, 'values'), valuesPath).forEach((raw, i) => {
    const text = reader.string(raw, child(valuesPath, i));
    if (text === undefined) return;
    const bad = checkLabelValue(text);
    if (bad) reader.problem(child(valuesPath, i), 'invalid_label_value', `value "${text}" ${bad}`);
    values.push(text);
  });
  if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
    reader.problem(valuesPath, 'missing_values', `must list at least one value when operator is ${operator}`);
  }
  if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
    reader.problem(valuesPath, 'unexpected_values', `must be empty when operator is ${operator}`);
  }
  if (key === undefined || !operator) return undefined;
  return { key, operator, values };
}
