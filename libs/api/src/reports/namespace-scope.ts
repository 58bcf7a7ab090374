import { ForbiddenException } from '@nestjs/common';
import { printable } from '@driftwatch/common';
import type { Actor } from '../auth/access.js';

/**
 * The namespaces a read covers: those asked for, else every one the key may read. A key scoped to namespaces
 * may only ask for its own: asking for another is 403, naming it.
 */
export function namespaceScope(actor: Actor, requested: readonly string[] | undefined): '*' | readonly string[] {
  if (requested === undefined) return actor.namespaces;
  const allowed = actor.namespaces;
  if (allowed !== '*') {
    const outside = requested.filter((ns) => !allowed.includes(ns));
    if (outside.length > 0) {
      throw new ForbiddenException(`this key may not read namespace${outside.length > 1 ? 's' : ''} ${outside.map((ns) => printable(ns)).join(', ')}`);
    }
  }
  return [...new Set(requested)];
}
