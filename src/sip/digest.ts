import { createHash, randomBytes } from 'node:crypto';

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
  /** `MD5` (the default), `MD5-sess`, `SHA-256` or `SHA-256-sess`, as given. */
  readonly algorithm: string;
  /** The qop options offered (`auth`, `auth-int`); empty for an RFC 2069 challenge. */
  readonly qop: readonly string[];
  readonly stale: boolean;
}

/** Algorithms this client answers, by their name upper-cased, with the hash they use. */
const HASHES: Readonly<Record<string, string>> = { 'MD5': 'md5', 'MD5-SESS': 'md5', 'SHA-256': 'sha256', 'SHA-256-SESS': 'sha256' };

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
  };
}

/** The request a digest response signs. */
export interface DigestRequest {
  readonly method: string;
  /** The Request-URI, as sent (`digest-uri`). */
  readonly uri: string;
}

/**
 * The `Authorization` / `Proxy-Authorization` value answering `challenge` for `request`
 * (RFC 2617 §3.2.2, RFC 7616 §3.4, as RFC 3261 §22.4 uses it): qop `auth` when offered (a new
 * client nonce, nonce count 1), else the RFC 2069 form. Undefined for an algorithm this client
 * does not know, or a challenge offering only `auth-int`.
 */
export function digestAuthorization(
  challenge: DigestChallenge,
  credentials: DigestCredentials,
  request: DigestRequest,
  cnonce: string = randomBytes(8).toString('hex'),
): string | undefined {
  const algorithm = challenge.algorithm.toUpperCase();
  const hash = HASHES[algorithm];
  if (hash === undefined) return undefined;
  if (challenge.qop.length > 0 && !challenge.qop.includes('auth')) return undefined;
  const h = (s: string): string => createHash(hash).update(s, 'utf8').digest('hex');
  let ha1 = h(`${credentials.username}:${challenge.realm}:${credentials.password}`);
  if (algorithm.endsWith('-SESS')) ha1 = h(`${ha1}:${challenge.nonce}:${cnonce}`);
  const ha2 = h(`${request.method}:${request.uri}`);
  const qop = challenge.qop.length > 0;
  const nc = '00000001';
  const response = qop ? h(`${ha1}:${challenge.nonce}:${nc}:${cnonce}:auth:${ha2}`) : h(`${ha1}:${challenge.nonce}:${ha2}`);
  const quote = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;
  let out = `Digest username=${quote(credentials.username)}, realm=${quote(challenge.realm)}, nonce=${quote(challenge.nonce)}, uri=${quote(request.uri)}, response="${response}", algorithm=${challenge.algorithm}`;
  if (challenge.opaque !== undefined) out += `, opaque=${quote(challenge.opaque)}`;
  if (qop) out += `, qop=auth, nc=${nc}, cnonce="${cnonce}"`;
  return out;
}
