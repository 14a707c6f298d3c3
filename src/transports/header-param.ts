const EQUALS = 61;

function isLinearWhiteSpace(code: number): boolean {
  return code === 32 || code === 9;
}

/**
 * Look up a `;name[=value]` parameter of one raw header value — a Via (RFC 3261 §20.42
 * `via-params`) or the part of a name-addr after `>` (§20.10 `contact-params`) — with a char scan,
 * allocating only the returned value.
 *
 * @param raw - one header value as received, e.g. `SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1;rport`.
 * @param name - the parameter name, lower-case (`maddr`, `received`, `rport`, `tag` ...).
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
      if (after === end) return null;
      if (raw.charCodeAt(after) === EQUALS) return raw.slice(after + 1, end).trim();
    }
    semicolon = next;
  }
  return undefined;
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
  let semicolon = raw.indexOf(';');
  if (semicolon < 0) return `${raw};received=${address}`;
  let out = raw.slice(0, semicolon).trimEnd();
  while (semicolon >= 0) {
    const next = raw.indexOf(';', semicolon + 1);
    const param = raw.slice(semicolon + 1, next < 0 ? raw.length : next).trim();
    const equals = param.indexOf('=');
    const name = (equals < 0 ? param : param.slice(0, equals)).trimEnd().toLowerCase();
    if (name === 'rport' && equals < 0) out += `;rport=${port}`;
    else if (name !== 'received' && param !== '') out += `;${param}`;
    semicolon = next;
  }
  return `${out};received=${address}`;
}

