import type { DigestAlgorithm } from '../ports/credential-store';
import { DIGEST_ALGORITHMS, digestHash } from './digest-hash';

/**
 * `HA1 = H(username ":" realm ":" password)` for every algorithm (RFC 7616 §3.4.2): what a
 * credential store keeps instead of the password (the OpenSIPS `ha1`, `ha1_sha256` and
 * `ha1_sha512t256` columns, which `opensips-cli -x user add` fills the same way).
 */
export function computeHa1s(username: string, realm: string, password: string): Record<DigestAlgorithm, string> {
  const out = {} as Record<DigestAlgorithm, string>;
  for (const algorithm of DIGEST_ALGORITHMS) out[algorithm] = digestHash(algorithm, `${username}:${realm}:${password}`);
  return out;
}
