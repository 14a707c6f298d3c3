import type { LookupTarget } from '../registrar/select-targets';

/**
 * Lookup targets as the groups a forking proxy tries in turn: one group per q value, highest
 * first, tried in parallel within (RFC 3261 §16.6 step 10; OpenSIPS `serialize_branches`).
 * Targets keep their lookup order within a group (most recent first, or fastest first with
 * `sortByLatency`). Contacts without a q (-1) form the last group.
 */
export function qGroups(targets: readonly LookupTarget[]): LookupTarget[][] {
  const byQ = new Map<number, LookupTarget[]>();
  for (const target of targets) {
    const group = byQ.get(target.q);
    if (group === undefined) byQ.set(target.q, [target]);
    else group.push(target);
  }
  return [...byQ.entries()].sort(([a], [b]) => b - a).map(([, group]) => group);
}
