import type { DigestAlgorithm } from '../ports/credential-store';
import type { RegError } from '../errors/reg-error';
import { regError } from '../errors/reg-error';
import type { AuthKind } from './authenticator';
import type { DigestQop } from './digest-auth-options';

/** `realm` as a quoted-string (RFC 3261 §25.1: `"` and `\` escaped). */
function quoted(s: string): string {
  return s.includes('"') || s.includes('\\') ? `"${s.replace(/(["\\])/g, '\\$1')}"` : `"${s}"`;
}

/**
 * Builds digest challenges (RFC 3261 §22.1, §22.4; RFC 7616 §3.3): one `WWW-Authenticate` or
 * `Proxy-Authenticate` value per algorithm, in the given order (strongest first: RFC 8760 §2.4,
 * RFC 7616 §3.7), each with the realm, the nonce, `algorithm`, the offered `qop`,
 * `stale=true` when asked and `userhash=true` when offered (§3.4.4).
 */
export class DigestChallenger {
  /** The part of each value after the nonce, one per algorithm: the same for every challenge. */
  readonly #tails: readonly string[];

  constructor(algorithms: readonly DigestAlgorithm[], qop: readonly DigestQop[], userhash: boolean) {
    const tail = `${qop.length > 0 ? `, qop="${qop.join(',')}"` : ''}${userhash ? ', userhash=true' : ''}`;
    this.#tails = algorithms.map((algorithm) => `, algorithm=${algorithm}${tail}`);
  }

  /**
   * The refusal carrying the challenges: `auth-required` (401 with `WWW-Authenticate`) for
   * `www`, `proxy-auth-required` (407 with `Proxy-Authenticate`) for `proxy`.
   * @param stale - the credentials were right but the nonce expired or was replayed (RFC 7616 §3.3).
   */
  challenge(kind: AuthKind, realm: string, nonce: string, stale: boolean): RegError {
    const name = kind === 'www' ? 'WWW-Authenticate' : 'Proxy-Authenticate';
    const head = `Digest realm=${quoted(realm)}, nonce="${nonce}"`;
    const end = stale ? ', stale=true' : '';
    const headers = this.#tails.map((tail): readonly [string, string] => [name, head + tail + end]);
    return regError(kind === 'www' ? 'auth-required' : 'proxy-auth-required', headers);
  }
}
