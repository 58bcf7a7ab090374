import { parseAllDocuments } from 'yaml';
import type { Problem } from '../problems.js';

/** A manifest text and the name to report it under (usually its path). */
export interface ManifestSource {
  readonly name: string;
  readonly text: string;
}

/** One parsed document: a file, its 1-based position and its value. */
export interface ParsedDocument {
  readonly file: string;
  readonly document: number;
  readonly value: unknown;
}

/** Bounds on what one load reads; exceeding one is a problem, never a crash. */
export interface ParseLimits {
  /** Documents over all sources (default 50,000); the rest are not read. */
  readonly maxDocuments?: number;
}

export const DEFAULT_MAX_DOCUMENTS = 50_000;

/**
 * Splits texts into documents. `.json` files (and texts that start with `{` or `[`) are read as one JSON
 * document; everything else as multi-document YAML 1.1, which is what kubectl reads (so `yes` is a boolean).
 * A document that does not parse becomes a `parse_error` problem (`too_deep` when it nests beyond what the parser
 * can follow); the other documents still load. More than `maxDocuments` documents is a `parse_error` problem on
 * the first document over the limit, and the rest are left out. Never throws.
 */
export function parseSources(sources: readonly ManifestSource[], limits: ParseLimits = {}): { documents: ParsedDocument[]; problems: Problem[] } {
  const maxDocuments = limits.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
  const documents: ParsedDocument[] = [];
  const problems: Problem[] = [];
  let count = 0;
  for (const { name, text } of sources) {
    if (count > maxDocuments) break;
    const trimmed = text.trimStart();
    if (name.toLowerCase().endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        const value = JSON.parse(text) as unknown;
        count += 1;
        if (count > maxDocuments) problems.push(tooMany(name, 1, maxDocuments));
        else documents.push({ file: name, document: 1, value });
        continue;
      } catch (error) {
        if (name.toLowerCase().endsWith('.json')) {
          problems.push({ file: name, document: 1, path: '', code: 'parse_error', message: `not valid JSON: ${(error as Error).message}` });
          continue;
        }
      }
    }
    let parsed: ReturnType<typeof parseAllDocuments>;
    try {
      parsed = parseAllDocuments(text, { version: '1.1', prettyErrors: true });
    } catch (cause) {
      problems.push(yamlProblem(name, 1, cause));
      continue;
    }
    for (const [i, doc] of (Array.isArray(parsed) ? parsed : [parsed]).entries()) {
      const document = i + 1;
      count += 1;
      if (count > maxDocuments) {
        problems.push(tooMany(name, document, maxDocuments));
        break;
      }
      const error = doc.errors[0];
      if (error) {
        problems.push(yamlProblem(name, document, error));
        continue;
      }
      try {
        const value: unknown = doc.toJS({ maxAliasCount: 100 });
        if (value !== null && value !== undefined) documents.push({ file: name, document, value });
      } catch (cause) {
        problems.push(yamlProblem(name, document, cause));
      }
    }
  }
  return { documents, problems };
}

function tooMany(file: string, document: number, max: number): Problem {
  return { file, document, path: '', code: 'parse_error', message: `more than ${max} documents; this one and the rest are not read` };
}

function yamlProblem(file: string, document: number, cause: unknown): Problem {
  const message = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof RangeError || message.startsWith('Maximum call stack size exceeded')) {
    return { file, document, path: '', code: 'too_deep', message: 'nested too deeply to read' };
  }
  return { file, document, path: '', code: 'parse_error', message: `not valid YAML: ${firstLine(message)}` };
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
