/**
 * The partition of `aor` among `partitions` (nathelper `natping_partitions`): a 32-bit FNV-1a
 * hash of the AOR modulo the count, so an AOR stays in its partition from one interval to the
 * next whatever the order the store lists AORs in, and every binding of an AOR is pinged together.
 */
export function partitionOf(aor: string, partitions: number): number {
  if (partitions === 1) return 0;
  let h = 0x811c9dc5;
  for (let i = 0; i < aor.length; i++) h = Math.imul(h ^ aor.charCodeAt(i), 0x01000193);
  return (h >>> 0) % partitions;
}
