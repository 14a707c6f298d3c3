/**
 * Writing the registration information document of RFC 3680 §5 by hand: one string, built in
 * one pass, the same bytes for the same document.
 * @packageDocumentation
 */

import { formatQValue } from '../registrar/contact-values';
import { MAX_DELTA_SECONDS } from '../sip/headers/delta-seconds';
import { REGINFO_NAMESPACE, type ReginfoContact, type ReginfoDocument, type ReginfoRegistration } from './reginfo-document';

/**
 * One character that XML 1.0 (§2.2 `Char`) cannot carry, not even as a character reference: a
 * C0 control other than tab, LF and CR, U+FFFE, U+FFFF, or half of a surrogate pair.
 * {@link buildReginfo} drops such characters from an RFC 3680 §5 document; {@link parseReginfo}
 * rejects a document with one.
 */
export const NON_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const NON_XML_CHARS = new RegExp(NON_XML_CHAR.source, 'g');

/**
 * Replacements in attribute values: the markup characters, both quotes, and tab/LF/CR as
 * character references, which attribute-value normalization (XML 1.0 §3.3.3) would otherwise
 * turn into spaces.
 */
const ATTRIBUTE_SPECIALS = /[&<>"'\t\n\r]/g;

/** Replacements in element text: the markup characters, and CR, which end-of-line handling (XML 1.0 §2.11) would drop. */
const TEXT_SPECIALS = /[&<>\r]/g;

const REFERENCES: Readonly<Record<string, string>> = Object.freeze({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
});

const reference = (c: string): string => REFERENCES[c];

function attribute(name: string, value: string): string {
  return ` ${name}="${value.replace(NON_XML_CHARS, '').replace(ATTRIBUTE_SPECIALS, reference)}"`;
}

function text(value: string): string {
  return value.replace(NON_XML_CHARS, '').replace(TEXT_SPECIALS, reference);
}

/** A non-negative integer attribute (`xs:unsignedLong` in RFC 3680 §5.4, capped at 2^32-1 here). */
function count(name: string, value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_DELTA_SECONDS) {
    throw new RangeError(`reginfo ${name} must be an integer from 0 to ${MAX_DELTA_SECONDS}, got ${value}`);
  }
  return ` ${name}="${value}"`;
}

function contactElement(c: ReginfoContact): string {
  let out = `\n    <contact${attribute('id', c.id)}${attribute('state', c.state)}${attribute('event', c.event)}`;
  if (c.expiresSec !== undefined) out += count('expires', c.expiresSec);
  if (c.q !== undefined) {
    if (!Number.isInteger(c.q) || c.q < 0 || c.q > 1000) throw new RangeError(`reginfo q must be an integer from 0 to 1000 (thousandths), got ${c.q}`);
    out += ` q="${formatQValue(c.q)}"`;
  }
  if (c.retryAfterSec !== undefined) out += count('retry-after', c.retryAfterSec);
  if (c.durationRegisteredSec !== undefined) out += count('duration-registered', c.durationRegisteredSec);
  if (c.callId !== undefined) out += attribute('callid', c.callId);
  if (c.cseq !== undefined) out += count('cseq', c.cseq);
  if (c.received !== undefined) out += attribute('received', c.received);
  if (c.path !== undefined && c.path.length > 0) out += attribute('path', c.path.join(','));
  if (c.userAgent !== undefined) out += attribute('user_agent', c.userAgent);
  if (c.updatedAt !== undefined) {
    if (!Number.isSafeInteger(c.updatedAt) || c.updatedAt < 0) throw new RangeError(`reginfo: updatedAt must be a non-negative integer of epoch ms, got ${c.updatedAt}`);
    out += ` last_modified_ms="${c.updatedAt}"`;
  }
  out += `>\n      <uri>${text(c.uri)}</uri>`;
  if (c.displayName !== undefined) out += `\n      <display-name>${text(c.displayName)}</display-name>`;
  for (const p of c.unknownParams ?? []) out += `\n      <unknown-param${attribute('name', p.name)}>${text(p.value)}</unknown-param>`;
  return out + '\n    </contact>';
}

function registrationElement(r: ReginfoRegistration): string {
  const open = `\n  <registration${attribute('aor', r.aor)}${attribute('id', r.id)}${attribute('state', r.state)}`;
  if (r.contacts.length === 0) return open + '/>';
  let out = open + '>';
  for (const c of r.contacts) out += contactElement(c);
  return out + '\n  </registration>';
}

/**
 * Writes `doc` as an `application/reginfo+xml` body (RFC 3680 §5; OpenSIPS/Kamailio
 * `pua_reginfo` attributes `received`, `path` and `user_agent` included): an XML declaration,
 * then one element per line, indented by two spaces, no trailing newline.
 *
 * - Text and attribute values are escaped (`&amp; &lt; &gt;`, plus `&quot; &apos;` in
 *   attributes); tab, LF and CR in attributes and CR in text are written as character references
 *   so that an XML parser gives them back unchanged.
 * - Characters XML 1.0 cannot carry (`NON_XML_CHAR`: most C0 controls, U+FFFE, U+FFFF, lone
 *   surrogates) are dropped, so the output is always well-formed.
 * - `q` (thousandths) is written as a q-value with at most 3 decimals (`500` → `0.5`); `path` is
 *   joined with `,`, so its entries must not contain commas, and an empty `path` is left out.
 * - Optional fields that are `undefined` are left out.
 *
 * {@link parseReginfo} reads the output back to an equal document, except for the dropped
 * characters and surrounding whitespace of `uri` (which it trims, `xs:anyURI` in RFC 3680 §5.4).
 *
 * @throws RangeError when `version`, `expiresSec`, `retryAfterSec`, `durationRegisteredSec` or
 *   `cseq` is not an integer from 0 to 2^32-1, or `q` not an integer from 0 to 1000.
 */
export function buildReginfo(doc: ReginfoDocument): string {
  const open = `<?xml version="1.0"?>\n<reginfo${attribute('xmlns', REGINFO_NAMESPACE)}${count('version', doc.version)}${attribute('state', doc.state)}`;
  if (doc.registrations.length === 0) return open + '/>';
  let out = open + '>';
  for (const r of doc.registrations) out += registrationElement(r);
  return out + '\n</reginfo>';
}
