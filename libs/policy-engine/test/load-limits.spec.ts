/** The loader never throws on input: nesting and document counts have limits that become problems. */
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../src/load/load-manifests.js';

const NAMESPACE = '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"deep"}}';

function nestedJson(depth: number): string {
  let json = NAMESPACE;
  for (let i = 0; i < depth; i += 1) json = `{"apiVersion":"v1","kind":"List","items":[${json}]}`;
  return json;
}

describe('load limits', () => {
  it('reads Lists nested up to the limit', () => {
    const loaded = loadManifests([{ name: 'ok.json', text: nestedJson(16) }]);
    expect(loaded.problems).toEqual([]);
    expect(loaded.namespaces.map((n) => n.name)).toEqual(['deep']);
  });

  it.each([
    ['JSON', 'deep.json', nestedJson(2000)],
    ['YAML flow style', 'deep.yaml', nestedJson(2000).replaceAll('"', '')],
  ])('reports 2,000 nested Lists in %s as too_deep instead of overflowing the stack', (_what, name, text) => {
    const loaded = loadManifests([{ name, text }]);
    expect(loaded.problems).toHaveLength(1);
    expect(loaded.problems[0]).toMatchObject({ file: name, document: 1, code: 'too_deep' });
    expect(loaded.namespaces).toEqual([]);
  });

  it('honours a smaller List depth', () => {
    const loaded = loadManifests([{ name: 'a.json', text: nestedJson(3) }], { maxListDepth: 2 });
    expect(loaded.problems).toEqual([
      { file: 'a.json', document: 1, path: 'items[0].items[0]', code: 'too_deep', message: 'List objects nest more than 2 deep; its items are not read' },
    ]);
  });

  it('reads at most maxDocuments documents, over all sources', () => {
    const doc = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata: {name: ${name}}\n`;
    const loaded = loadManifests(
      [
        { name: 'a.yaml', text: `${doc('a')}---\n${doc('b')}` },
        { name: 'b.yaml', text: `${doc('c')}---\n${doc('d')}` },
        { name: 'c.yaml', text: doc('e') },
      ],
      { maxDocuments: 3 },
    );
    expect(loaded.namespaces.map((n) => n.name)).toEqual(['a', 'b', 'c']);
    expect(loaded.problems).toEqual([
      { file: 'b.yaml', document: 2, path: '', code: 'parse_error', message: 'more than 3 documents; this one and the rest are not read' },
    ]);
  });
});
