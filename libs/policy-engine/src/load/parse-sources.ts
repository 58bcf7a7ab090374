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

/**
 * Splits texts into documents. `.json` files (and texts that start with `{` or `[`) are read as one JSON
 * document; everything else as multi-document YAML 1.1, which is what kubectl reads (so `yes` is a boolean).
 * A document that does not parse becomes a `parse_error` problem; the other documents still load.
 */
export function parseSources(sources: readonly ManifestSource[]): { documents: ParsedDocument[]; problems: Problem[] } {
  const documents: ParsedDocument[] = [];
  const problems: Problem[] = [];
  for (const { name, text } of sources) {
    const trimmed = text.trimStart();
    if (name.toLowerCase().endsWith('.json') || trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        documents.push({ file: name, document: 1, value: JSON.parse(text) as unknown });
        continue;
      } catch (error) {
        if (name.toLowerCase().endsWith('.json')) {
          problems.push({ file: name, document: 1, path: '', code: 'parse_error', message: `not valid JSON: ${(error as Error).message}` });
          continue;
        }
      }
    }
    parseAllDocuments(text, { version: '1.1', prettyErrors: true }).forEach((doc, i) => {
      const document = i + 1;
      const error = doc.errors[0];
      if (error) {
        problems.push({ file: name, document, path: '', code: 'parse_error', message: `not valid YAML: ${firstLine(error.message)}` });
        return;
      }
      try {
        const value: unknown = doc.toJS({ maxAliasCount: 100 });
        if (value !== null && value !== undefined) documents.push({ file: name, document, value });
      } catch (cause) {
        problems.push({ file: name, document, path: '', code: 'parse_error', message: `not valid YAML: ${firstLine((cause as Error).message)}` });
      }
    });
  }
  return { documents, problems };
}

function firstLine(message: string): string {
  return message.split('\n', 1)[0] ?? message;
}
