import { fnv1a } from '../../sip/fnv1a';

/**
 * The ping slot of `aor` among `partitions` partitions (nathelper `natping_partitions`) times
 * `processes` processes sharing the location: {@link fnv1a} of the AOR modulo their product, so an
 * AOR stays in its slot from one interval to the next whatever the order the store lists AORs in,
 * and every binding of an AOR is pinged together. Its process is `slot % processes`, its
 * partition `Math.floor(slot / processes)` (independent of each other).
 */
export function pingSlot(aor: string, partitions: number, processes: number): number {
  const slots = partitions * processes;
  return slots === 1 ? 0 : fnv1a(aor) % slots;
}
