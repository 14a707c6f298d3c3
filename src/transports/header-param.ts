const EQUALS = 61;

function isLinearWhiteSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * Where parameter `name` starts in one raw header value (a Via, RFC 3261 §20.42 `via-params`, or
 * the part of a name-addr after `>`, §20.10 `contact-params`): the index of its first name
 * character, or -1. A char scan; allocates nothing.
 *
 * @param name - the parameter name, lower-case (`maddr`, `received`, `rport`, `tag` ...).
 */
export function findParam(raw: string, name: string): number {
  const length = raw.length;
  const nameLength = name.length;
  let semicolon = raw.indexOf(';');
  while (semicolon >= 0) {
    let start = semicolon + 1;
    while (start < length && isLinearWhiteSpace(raw.charCodeAt(start))) start++;
    const next = raw.indexOf(';', start);
    const end = next < 0 ? length : next;
    let k = 0;
    while (k < nameLength && start + k < end && (raw.charCodeAt(start + k) | 0x20) === name.charCodeAt(k)) k++;
    if (k === nameLength) {
      let after = start + nameLength;
      while (after < end && isLinearWhiteSpace(raw.charCodeAt(after))) after++;
      if (after === end || raw.charCodeAt(after) === EQUALS) return start;
    }
    semicolon = next;
  }
  return -1;
}

/**
 * Look up a parameter of one raw header value (see {@link findParam}), allocating only the
 * returned value.
 *
 * @returns the value (trimmed) when present with a value, `null` when present without one,
 *   `undefined` when absent.
 *
 * @example
 * ```ts
 * headerParam('SIP/2.0/UDP h;maddr=239.1.1.1;rport', 'maddr'); // '239.1.1.1'
 * headerParam('SIP/2.0/UDP h;maddr=239.1.1.1;rport', 'rport'); // null
 * ```
 */
export function headerParam(raw: string, name: string): string | null | undefined {
  const start = findParam(raw, name);
  if (start < 0) return undefined;
  const next = raw.indexOf(';', start);
  const end = next < 0 ? raw.length : next;
  const equals = raw.indexOf('=', start);
  return equals < 0 || equals > end ? null : raw.slice(equals + 1, end).trim();
}

/**
 * Rewrite the parameters of a raw Via value for RFC 3261 §18.2.1 / RFC 3581 §4: drop any existing
 * `received`, give a value-less `rport` the source port, and append `received=<address>`.
 *
 * @example
 * ```ts
 * withReceived('SIP/2.0/UDP 10.0.0.2:5060;rport;branch=z9hG4bK1', '203.0.113.7', 40000);
 * // 'SIP/2.0/UDP 10.0.0.2:5060;rport=40000;branch=z9hG4bK1;received=203.0.113.7'
 * ```
 */
export function withReceived(raw: string, address: string, port: number): string {
  let out = raw;
  const received = findParam(out, 'received');
  if (received >= 0) {
    const next = out.indexOf(';', received);
    out = out.slice(0, out.lastIndexOf(';', received)) + (next < 0 ? '' : out.slice(next));
  }
  const rport = findParam(out, 'rport');
  if (rport >= 0) {
    const nameEnd = rport + 5;
    const next = out.indexOf(';', nameEnd);
    const equals = out.indexOf('=', nameEnd);
    if (equals < 0 || (next >= 0 && equals > next)) out = `${out.slice(0, nameEnd)}=${port}${out.slice(nameEnd)}`;
  }
  return `${out};received=${address}`;
}
