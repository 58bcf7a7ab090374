import type { LabelSelector, SelectorOperator } from '../model.js';

const OPERATOR_CODES: Readonly<Record<SelectorOperator, number>> = { In: 0, NotIn: 1, Exists: 2, DoesNotExist: 3 };

interface CompiledRequirement {
  readonly key: string;
  readonly op: number;
  readonly values: ReadonlySet<string>;
}

/** A label selector compiled once per revision and shared by every rule that uses the same selector. */
export interface CompiledSelector {
  /** Index in the revision's selector table (for per-identity memos). */
  readonly id: number;
  readonly matchKeys: readonly string[];
  readonly matchValues: readonly string[];
  readonly requirements: readonly CompiledRequirement[];
}

/**
 * Label selector semantics: every matchLabels pair must be present; `In` needs the key with one of the values,
 * `NotIn` matches when the key is absent or its value is not listed, `Exists`/`DoesNotExist` test the key.
 * An empty selector matches every label set.
 */
export function matchSelector(selector: CompiledSelector, labels: ReadonlyMap<string, string>): boolean {
  const keys = selector.matchKeys;
  for (let i = 0; i < keys.length; i++) {
    if (labels.get(keys[i] as string) !== selector.matchValues[i]) return false;
  }
  for (const { key, op, values } of selector.requirements) {
    const value = labels.get(key);
    switch (op) {
      case 0:
        if (value === undefined || !values.has(value)) return false;
        break;
      case 1:
        if (value !== undefined && values.has(value)) return false;
        break;
      case 2:
        if (value === undefined) return false;
        break;
      default:
        if (value !== undefined) return false;
    }
  }
  return true;
}

/** Interns selectors by their canonical form, so each distinct selector is compiled and memoized once. */
export class SelectorTable {
  private readonly byKey = new Map<string, CompiledSelector>();

  get size(): number {
    return this.byKey.size;
  }

  intern(selector: LabelSelector): CompiledSelector {
    const labels = Object.entries(selector.matchLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const requirements = selector.matchExpressions
      .map((r) => ({ key: r.key, op: OPERATOR_CODES[r.operator], values: [...new Set(r.values)].sort() }))
      .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.op - b.op || compareLists(a.values, b.values)));
    const key = JSON.stringify([labels, requirements.map((r) => [r.key, r.op, r.values])]);
    let compiled = this.byKey.get(key);
    if (!compiled) {
      compiled = {
        id: this.byKey.size,
        matchKeys: labels.map(([k]) => k),
        matchValues: labels.map(([, v]) => v),
        requirements: requirements.map((r) => ({ key: r.key, op: r.op, values: new Set(r.values) })),
      };
      this.byKey.set(key, compiled);
    }
    return compiled;
  }
}

function compareLists(a: readonly string[], b: readonly string[]): number {
  const x = a.join('\u0000');
  const y = b.join('\u0000');
  return x < y ? -1 : x > y ? 1 : 0;
}
