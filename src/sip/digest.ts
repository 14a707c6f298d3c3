import { randomBytes } from 'node:crypto';
import { DIGEST_ALGORITHMS, digestHash } from '../auth/digest-hash';
import { parseAlgorithm } from '../auth/parse-algorithm';
import { digestResponse } from '../auth/verify-response';

/** A user's credentials for one realm (RFC 3261 §22). */
export interface DigestCredentials {
  readonly username: string;
  readonly password: string;
}

/** A parsed `WWW-Authenticate` / `Proxy-Authenticate` digest challenge (RFC 7616 §3.3). */
export interface DigestChallenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  /** `MD5` (the default), `SHA-256`, `SHA-512-256` or one of their `-sess` variants, as given. */
  readonly algorithm: string;
  /** The qop options offered (`auth`, `auth-int`); empty for an RFC 2069 challenge. */
  readonly qop: readonly string[];
  readonly stale: boolean;
  /** The server asks for the username hashed (RFC 7616 §3.4.4). */
  readonly userhash: boolean;
}

/** The qop answering `challenge`: `auth` over `auth-int`, '' for an RFC 2069 challenge, undefined when it offers neither. */
function qopFor(challenge: DigestChallenge): 'auth' | 'auth-int' | '' | undefined {
  if (challenge.qop.length === 0) return '';
  return challenge.qop.includes('auth') ? 'auth' : challenge.qop.includes('auth-int') ? 'auth-int' : undefined;
}

/**
 * The digest challenge in a `WWW-Authenticate` or `Proxy-Authenticate` value (RFC 3261 §22.4,
 * RFC 7616 §3.3), or undefined when it is not a digest challenge with a realm and a nonce.
 */
export function parseDigestChallenge(value: string): DigestChallenge | undefined {
  const m = /^\s*digest\s+/i.exec(value);
  if (m === null) return undefined;
  const params = new Map<string, string>();
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))\s*(?:,|$)/g;
  re.lastIndex = m[0].length;
  for (let p = re.exec(value); p !== null; p = re.exec(value)) {
    params.set(p[1].toLowerCase(), p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : p[3]);
  }
  const realm = params.get('realm');
  const nonce = params.get('nonce');
  if (realm === undefined || nonce === undefined) return undefined;
  return {
    realm,
    nonce,
    opaque: params.get('opaque'),
    algorithm: params.get('algorithm') ?? 'MD5',
    qop: (params.get('qop') ?? '').split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== ''),
    stale: params.get('stale')?.toLowerCase() === 'true',
    userhash: params.get('userhash')?.toLowerCase() === 'true',
  };
}

/**
 * Of the challenges in one response's `WWW-Authenticate` or `Proxy-Authenticate` values, the one
 * with the strongest algorithm this client answers (RFC 7616 §3.7): SHA-512-256, then SHA-256,
 * then MD5, a `-sess` variant ranking with its base; the first of equals. Undefined when none is
 * answerable.
 */
export function selectDigestChallenge(values: readonly string[]): DigestChallenge | undefined {
  let best: DigestChallenge | undefined;
  let bestRank = -1;
  for (const value of values) {
    const challenge = parseDigestChallenge(value);
    if (challenge === undefined || qopFor(challenge) === undefined) continue;
    const name = parseAlgorithm(challenge.algorithm);
    const rank = name === undefined ? -1 : DIGEST_ALGORITHMS.indexOf(name.algorithm);
    if (rank > bestRank) [best, bestRank] = [challenge, rank];
  }
  return best;
}

/** The request a digest response signs. */
export interface DigestRequest {
  readonly method: string;
  /** The Request-URI, as sent (`digest-uri`). */
  readonly uri: string;
  /** The message body, which qop `auth-int` signs (RFC 7616 §3.4.3); empty by default. */
  readonly body?: Uint8Array | string;
}

/**
 * The `Authorization` / `Proxy-Authorization` value answering `challenge` for `request`
 * (RFC 7616 §3.4, as RFC 3261 §22.4 uses it): qop `auth` when offered, else `auth-int`, else the
 * RFC 2069 form; `nc` is the count of requests sent with this nonce, this one included
 * (RFC 7616 §3.4: 1 for the first); the username is hashed when the challenge asks (§3.4.4).
 * Undefined for an algorithm this client does not know, or a challenge offering neither qop.
 */
export function digestAuthorization(
  challenge: DigestChallenge,
  credentials: DigestCredentials,
  request: DigestRequest,
  cnonce: string = randomBytes(8).toString('hex'),
  nc = 1,
): string | undefined {
  const name = parseAlgorithm(challenge.algorithm);
  const qop = qopFor(challenge);
  if (name === undefined || qop === undefined) return undefined;
  if (!Number.isInteger(nc) || nc < 1 || nc > 0xffffffff) throw new RangeError(`nonce count out of range: ${nc}`);
  const { algorithm } = name;
  const ncValue = nc.toString(16).padStart(8, '0');
  const response = digestResponse({
    algorithm, sess: name.sess, ha1: digestHash(algorithm, `${credentials.username}:${challenge.realm}:${credentials.password}`),
    nonce: challenge.nonce, qop, nc: ncValue, cnonce, method: request.method, uri: request.uri, body: request.body,
  });
  const username = challenge.userhash ? digestHash(algorithm, `${credentials.username}:${challenge.realm}`) : credentials.username;
  const quote = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  let out = `Digest username=${quote(username)}, realm=${quote(challenge.realm)}, nonce=${quote(challenge.nonce)}, uri=${quote(request.uri)}, response="${response}", algorithm=${challenge.algorithm}`;
  if (challenge.opaque !== undefined) out += `, opaque=${quote(challenge.opaque)}`;
  if (qop !== '') out += `, qop=${qop}, nc=${ncValue}, cnonce="${cnonce}"`;
  if (challenge.userhash) out += ', userhash=true';
  return out;
}
