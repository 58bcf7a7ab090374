/**
 * Format detection for flow files whose source is not declared (`driftwatch evaluate --flows <file>`):
 * Hubble JSON lines, Goldmane protojson, or Calico Enterprise flow-log lines.
 */
import { isRec } from './field-reader.js';
import type { FlowSourceKind } from './flow.model.js';
import { normalizeCalicoEnterpriseRecord } from './calico-enterprise.normalizer.js';
import { normalizeGoldmaneFlow, type CalicoNormalizeOptions } from './goldmane.normalizer.js';
import { normalizeHubbleResponse, type HubbleNormalizer } from './hubble-response.normalizer.js';
import { normalizeJsonText, type HubbleNormalizeResult } from './normalize-result.js';

/**
 * Which source format a parsed JSON object is in: Goldmane when it (or its `flow`) has a `Key`; Calico
 * Enterprise when it has `start_time` and `reporter` or `source_type` at the top; Hubble otherwise.
 * `undefined` for a non-object.
 */
export function detectFlowFormat(value: unknown): FlowSourceKind | undefined {
  if (!isRec(value)) return undefined;
  if (value['Key'] !== undefined) return 'goldmane';
  const inner = value['flow'];
  if (isRec(inner) && inner['Key'] !== undefined) return 'goldmane';
  if (value['start_time'] !== undefined && (value['reporter'] !== undefined || value['source_type'] !== undefined)) {
    return 'calico-enterprise';
  }
  return 'hubble';
}

/**
 * Normalizes one JSON line of any supported format (see {@link detectFlowFormat}). Hubble lines go through
 * `hubble` when given (a normalizer with a label cache), else through the uncached function.
 */
export function normalizeFlowJsonLine(
  line: string,
  options: CalicoNormalizeOptions & { readonly hubble?: HubbleNormalizer } = {},
): HubbleNormalizeResult {
  return normalizeJsonText(line, (parsed) => {
    switch (detectFlowFormat(parsed)) {
      case 'goldmane':
        return normalizeGoldmaneFlow(parsed, options);
      case 'calico-enterprise':
        return normalizeCalicoEnterpriseRecord(parsed, options);
      default:
        return options.hubble ? options.hubble.response(parsed) : normalizeHubbleResponse(parsed, options);
    }
  });
}
