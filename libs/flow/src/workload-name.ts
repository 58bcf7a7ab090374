/**
 * Workload names derived from pod names, for sources that do not report the owner (Hubble before
 * `workloads`, Calico). Kubernetes names a Deployment's pods `<deployment>-<pod-template-hash>-<suffix>` and
 * other controllers' pods `<owner>-<suffix>`, using a fixed alphabet without vowels; we only recognise those
 * shapes and otherwise return nothing. The result is marked `inferred`.
 */
import type { Workload } from './flow.model.js';

const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function isSafeSegment(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!SAFE_ALPHABET.includes(text.charAt(i))) return false;
  return true;
}

/**
 * Guesses the owning workload of a pod name (or of a Calico aggregated name ending in `-*`):
 * `frontend-7d4d858f75-j76f7` → Deployment `frontend`; `checkoutservice-598d5b586d-*` → Deployment
 * `checkoutservice`; `node-local-dns-88zrp` or `longhorn-manager-*` → `node-local-dns` / `longhorn-manager`
 * with an unknown kind (DaemonSet, Job, ...). `undefined` when the name has neither shape.
 */
export function inferWorkload(podName: string): Workload | undefined {
  let end = podName.length;
  let aggregated = false;
  if (podName.endsWith('-*')) {
    end -= 2;
    aggregated = true;
  } else {
    const dash = podName.lastIndexOf('-');
    if (dash <= 0 || end - dash - 1 !== 5 || !isSafeSegment(podName, dash + 1, end)) return undefined;
    end = dash;
  }
  const dash = podName.lastIndexOf('-', end - 1);
  const hashLength = end - dash - 1;
  if (dash > 0 && hashLength >= 6 && hashLength <= 10 && isSafeSegment(podName, dash + 1, end)) {
    return { name: podName.slice(0, dash), kind: 'Deployment', inferred: true };
  }
  if (end <= 0) return undefined;
  return aggregated || end < podName.length ? { name: podName.slice(0, end), kind: undefined, inferred: true } : undefined;
}
