/**
 * OpenSIPS's method bit mask (`parser/msg_parser.h` `METHOD_*`): how usrloc stores a contact's
 * `Allow` (its `methods` column) and how `ul_dump` prints it and `ul_add` takes it.
 * @packageDocumentation
 */

/** The methods by bit, lowest first: `METHOD_INVITE` is 1, `METHOD_CANCEL` 2 … `METHOD_PUBLISH` 8192. */
const METHOD_BITS: readonly string[] = ['INVITE', 'CANCEL', 'ACK', 'BYE', 'INFO', 'OPTIONS', 'UPDATE', 'REGISTER', 'MESSAGE', 'SUBSCRIBE', 'NOTIFY', 'PRACK', 'REFER', 'PUBLISH'];

/** `METHOD_OTHER`: a method OpenSIPS has no bit for. */
const METHOD_OTHER = 1 << METHOD_BITS.length;

/** Every method (OpenSIPS `ALL_METHODS`): a contact whose REGISTER had no `Allow`. */
export const ALL_METHODS = 0xffffffff;

/** The mask of a binding's methods (undefined: every method); names OpenSIPS has no bit for set `METHOD_OTHER`. */
export function methodMask(methods: readonly string[] | undefined): number {
  if (methods === undefined) return ALL_METHODS;
  let mask = 0;
  for (const name of methods) {
    const bit = METHOD_BITS.indexOf(name);
    mask |= bit < 0 ? METHOD_OTHER : 1 << bit;
  }
  return mask;
}

/**
 * The methods of a mask: undefined for {@link ALL_METHODS}, else the names of its bits; null
 * when it has a bit beyond `METHOD_PUBLISH` (no name to store for it) or is not a 32-bit mask.
 */
export function methodsOfMask(mask: number): readonly string[] | undefined | null {
  if (mask === ALL_METHODS) return undefined;
  if (!Number.isInteger(mask) || mask < 0 || mask >= METHOD_OTHER) return null;
  return METHOD_BITS.filter((_, bit) => (mask & (1 << bit)) !== 0);
}
