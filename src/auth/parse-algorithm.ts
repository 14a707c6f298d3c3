import type { DigestAlgorithm } from '../ports/credential-store';
import { DIGEST_ALGORITHMS } from './digest-hash';

/** An `algorithm` parameter's value read (RFC 7616 §3.3): the hash, and whether it is the `-sess` variant (§3.4.2). */
export interface AlgorithmName {
  readonly algorithm: DigestAlgorithm;
  readonly sess: boolean;
}

const NAMES: readonly { readonly name: string; readonly value: AlgorithmName }[] = DIGEST_ALGORITHMS.flatMap((algorithm) => [
  { name: algorithm, value: Object.freeze({ algorithm, sess: false }) },
  { name: `${algorithm}-SESS`, value: Object.freeze({ algorithm, sess: true }) },
]);

/** True when `s` is `upper` with any letter case (ASCII), without building a string. */
function equalsUpper(s: string, upper: string): boolean {
  if (s.length !== upper.length) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 0x61 && c <= 0x7a ? c - 0x20 : c) !== upper.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The digest algorithm an `algorithm` parameter names, case-insensitively (RFC 7616 §3.3, §6.1:
 * `MD5`, `SHA-256`, `SHA-512-256` and their `-sess` variants); undefined for any other.
 */
export function parseAlgorithm(name: string): AlgorithmName | undefined {
  for (let i = 0; i < NAMES.length; i++) if (equalsUpper(name, NAMES[i].name)) return NAMES[i].value;
  return undefined;
}
