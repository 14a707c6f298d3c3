/**
 * Every reason the registrar refuses a REGISTER, with the reply it maps to. One table, so that
 * status, reason phrase and extra headers never drift apart. The explanation goes out in a
 * `P-Registrar-Error` header, as OpenSIPS and Kamailio do.
 * @packageDocumentation
 */

/** One row of {@link REG_ERRORS}. */
export interface RegErrorInfo {
  readonly status: number;
  readonly reason: string;
  /** Human-readable explanation, sent in `P-Registrar-Error`. */
  readonly detail: string;
}

/** The table of registrar errors (RFC 3261 §10.3 and §21; OpenSIPS `rerrno`). */
export const REG_ERRORS = {
  'parse': { status: 400, reason: 'Bad Request', detail: 'Message parse error' },
  'to-missing': { status: 400, reason: 'Bad Request', detail: 'To header not found' },
  'callid-missing': { status: 400, reason: 'Bad Request', detail: 'Call-ID header not found' },
  'cseq-missing': { status: 400, reason: 'Bad Request', detail: 'CSeq header not found' },
  'invalid-cseq': { status: 400, reason: 'Bad Request', detail: 'Invalid CSeq number' },
  'to-user': { status: 400, reason: 'Bad Request', detail: 'No username in To URI' },
  'aor-parse': { status: 400, reason: 'Bad Request', detail: 'Error while parsing AOR' },
  'aor-too-long': { status: 400, reason: 'Bad Request', detail: 'Address Of Record too long' },
  'contact-too-long': { status: 400, reason: 'Bad Request', detail: 'Contact/AOR too long' },
  'invalid-expires': { status: 400, reason: 'Bad Request', detail: 'Invalid expires param in contact' },
  'invalid-q': { status: 400, reason: 'Bad Request', detail: 'Invalid q param in contact' },
  'expires-parse': { status: 400, reason: 'Bad Request', detail: 'Expires parse error' },
  'contact-parse': { status: 400, reason: 'Bad Request', detail: 'Contact parse error' },
  'star-expires': { status: 400, reason: 'Bad Request', detail: '* used in contact and expires is not zero' },
  'star-contact': { status: 400, reason: 'Bad Request', detail: '* used in contact and more than 1 contact' },
  'not-register': { status: 400, reason: 'Bad Request', detail: 'Method is not REGISTER' },
  'unsupported-uri-scheme': { status: 416, reason: 'Unsupported URI Scheme', detail: 'Request-URI scheme is not sip or sips' },
  'domain-not-served': { status: 404, reason: 'Not Found', detail: 'Domain of the address-of-record is not served here' },
  'too-many-hops': { status: 483, reason: 'Too Many Hops', detail: 'Max-Forwards reached 0; not forwarded to the main registrar' },
  'bad-extension': { status: 420, reason: 'Bad Extension', detail: 'Unsupported extension required' },
  'path-unsupported': { status: 420, reason: 'Bad Extension', detail: 'Path header used but path support not indicated (RFC 3327)' },
  'first-hop-lacks-outbound': { status: 439, reason: 'First Hop Lacks Outbound Support', detail: 'reg-id used but the edge proxy did not add an ob Path (RFC 5626)' },
  'multiple-flows': { status: 400, reason: 'Bad Request', detail: 'More than one Contact with reg-id (RFC 5626 section 6)' },
  'pns-unsupported': { status: 555, reason: 'Push Notification Service Not Supported', detail: 'pn-provider not supported (RFC 8599)' },
  'interval-too-brief': { status: 423, reason: 'Interval Too Brief', detail: 'Expires below min_expires' },
  'too-many-contacts': { status: 503, reason: 'Service Unavailable', detail: 'Too many registered contacts' },
  'store-failure': { status: 500, reason: 'Server Internal Error', detail: 'Error while updating the location service' },
  'store-unavailable': { status: 503, reason: 'Service Unavailable', detail: 'Location service unavailable' },
  'auth-required': { status: 401, reason: 'Unauthorized', detail: 'Authentication required' },
  'proxy-auth-required': { status: 407, reason: 'Proxy Authentication Required', detail: 'Proxy authentication required' },
  'auth-malformed': { status: 400, reason: 'Bad Request', detail: 'Malformed digest credentials' },
  'auth-forbidden': { status: 403, reason: 'Forbidden', detail: 'Authenticated user may not use this address-of-record' },
  'credentials-unavailable': { status: 503, reason: 'Service Unavailable', detail: 'Credential store unavailable' },
  'credentials-failure': { status: 500, reason: 'Server Internal Error', detail: 'Error while reading the credential store' },
  'source-banned': { status: 403, reason: 'Forbidden', detail: 'Source banned after failed authentications' },
  'rate-limited': { status: 503, reason: 'Service Unavailable', detail: 'Too many requests from this source' },
  'store-conflict': { status: 500, reason: 'Server Internal Error', detail: 'Too many concurrent updates of the address-of-record' },
} as const satisfies Record<string, RegErrorInfo>;

/** Code of a registrar error: a key of {@link REG_ERRORS}. */
export type RegErrorCode = keyof typeof REG_ERRORS;

/** A refusal decided by the registrar: a value, never thrown. */
export interface RegError {
  readonly code: RegErrorCode;
  /** Extra reply headers (e.g. `Min-Expires` with 423, `Unsupported` with 420, `Retry-After` with 503). */
  readonly headers?: readonly (readonly [string, string])[];
  /** More precise explanation than the table's, for logs and `P-Registrar-Error`. */
  readonly detail?: string;
}

/** Build a {@link RegError}. */
export function regError(code: RegErrorCode, headers?: readonly (readonly [string, string])[], detail?: string): RegError {
  return headers === undefined && detail === undefined ? { code } : { code, headers, detail };
}
