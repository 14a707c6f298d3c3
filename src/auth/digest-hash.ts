import { hash } from 'node:crypto';
import type { DigestAlgorithm } from '../ports/credential-store';

/** The Node hash behind each digest algorithm (RFC 7616 §6.1; SHA-512-256 is FIPS 180-4's SHA-512/256). */
const NODE_HASH: Readonly<Record<DigestAlgorithm, string>> = { 'MD5': 'md5', 'SHA-256': 'sha256', 'SHA-512-256': 'sha512-256' };

/** Every digest algorithm sipreg knows, weakest first. */
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'SHA-256', 'SHA-512-256'];

/** `H(data)` of `algorithm` in lower-case hex (RFC 7616 §3.4.1), with the one-shot hash (no Hash object). */
export function digestHash(algorithm: DigestAlgorithm, data: string | Uint8Array): string {
  return hash(NODE_HASH[algorithm], data, 'hex');
}
