import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * Just enough of kustomize to test the manifests without it: which objects a kustomization declares (its
 * resources and components, recursively), which files its configMapGenerators read, and its patches (listed, not
 * applied). `kubectl kustomize` renders the real thing; the deploy test compares the two when kubectl is there.
 */

/** A Kubernetes object as written in a manifest, with the file it came from. */
export interface ManifestObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface Located<T> {
  readonly file: string;
  readonly value: T;
}

export interface PatchTarget {
  readonly kind?: string;
  readonly name?: string;
}

export interface ResolvedKustomization {
  readonly objects: readonly Located<ManifestObject>[];
  /** ConfigMap name → the files its generator reads (merged across bases and components). */
  readonly generatedConfigMaps: ReadonlyMap<string, readonly string[]>;
  readonly patches: readonly { readonly dir: string; readonly target: PatchTarget }[];
}

export const KUSTOMIZATION_KINDS = ['Kustomization', 'Component'] as const;

/** Every YAML document of a file; a YAML error throws, naming the file. */
export function readYamlDocuments(file: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  return documents.map((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${file}: document ${index + 1}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

/** Every `.yaml`/`.yml` file below `root`, sorted. */
export function yamlFilesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.ya?ml$/.test(entry.name)) found.push(full);
    }
  };
  walk(root);
  return found.sort();
}

interface KustomizationFile {
  readonly kind?: string;
  readonly resources?: readonly string[];
  readonly components?: readonly string[];
  readonly configMapGenerator?: readonly { readonly name: string; readonly behavior?: string; readonly files?: readonly string[] }[];
  readonly patches?: readonly { readonly target?: PatchTarget; readonly patch?: string; readonly path?: string }[];
}

function readKustomization(dir: string, expectedKind: (typeof KUSTOMIZATION_KINDS)[number]): KustomizationFile {
  const file = join(dir, 'kustomization.yaml');
  if (!existsSync(file)) throw new Error(`${dir} has no kustomization.yaml`);
  const [doc] = readYamlDocuments(file) as KustomizationFile[];
  if (doc?.kind !== expectedKind) throw new Error(`${file}: kind ${String(doc?.kind)}, expected ${expectedKind}`);
  return doc;
}

function isObject(value: unknown): value is ManifestObject {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

interface State {
  readonly objects: Located<ManifestObject>[];
  readonly generated: Map<string, string[]>;
  readonly patches: { dir: string; target: PatchTarget }[];
}

/**
 * Resolves the kustomization in `dir` (kind Kustomization, or Component for components). Missing files throw, and so
 * does a generator that merges into a ConfigMap nothing generated (a component resolved alone may: its parent
 * generates it).
 */
export function resolveKustomization(dir: string, kind: (typeof KUSTOMIZATION_KINDS)[number] = 'Kustomization'): ResolvedKustomization {
  const state: State = { objects: [], generated: new Map(), patches: [] };
  resolveInto(dir, kind, state, kind === 'Component');
  return { objects: state.objects, generatedConfigMaps: state.generated, patches: state.patches };
}

function resolveInto(dir: string, kind: (typeof KUSTOMIZATION_KINDS)[number], state: State, alone: boolean): void {
  const k = readKustomization(dir, kind);
  const at = join(dir, 'kustomization.yaml');
  for (const entry of k.resources ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${at}: resource ${entry} does not exist`);
    if (statSync(path).isDirectory()) resolveInto(path, 'Kustomization', state, false);
    else for (const value of readYamlDocuments(path)) if (isObject(value)) state.objects.push({ file: path, value });
  }
  // Components apply to what the resources built, after them.
  for (const entry of k.components ?? []) {
    const path = resolve(dir, entry);
    if (!existsSync(path)) throw new Error(`${at}: component ${entry} does not exist`);
    resolveInto(path, 'Component', state, false);
  }
  for (const generator of k.configMapGenerator ?? []) {
    const files = (generator.files ?? []).map((f) => resolve(dir, f));
    for (const file of files) if (!existsSync(file)) throw new Error(`${at}: configMapGenerator ${generator.name} file ${relative(dir, file)} does not exist`);
    const before = state.generated.get(generator.name);
    if (generator.behavior === 'merge' && before === undefined && !alone) throw new Error(`${at}: merges into ${generator.name}, which nothing generated before`);
    state.generated.set(generator.name, [...(before ?? []), ...files]);
  }
  for (const patch of k.patches ?? []) {
    if (!patch.target) throw new Error(`${at}: a patch without a target`);
    state.patches.push({ dir, target: patch.target });
  }
}
