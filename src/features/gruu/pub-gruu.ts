import { PARAM_CHARS, USER_CHARS } from '../../sip/chars';
import { percentDecoded } from './percent-decoded';

const PERCENT = 0x25;

/** `s` with every character outside `allowed` (and every `%`) written as UTF-8 `%HH` escapes. */
function escapeOutside(s: string, allowed: Uint8Array): string {
  let i = 0;
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || c === PERCENT || allowed[c] !== 1) break;
  }
  if (i === s.length) return s;
  let out = s.slice(0, i);
  for (const ch of s.slice(i)) {
    const c = ch.charCodeAt(0);
    if (c < 128 && c !== PERCENT && allowed[c] === 1) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  }
  return out;
}

/** The instance ID without its enclosing angle brackets (RFC 5627 §3.1 `gr` value). */
function bare(instanceId: string): string {
  return instanceId.length >= 2 && instanceId.startsWith('<') && instanceId.endsWith('>') ? instanceId.slice(1, -1) : instanceId;
}

/**
 * The public GRUU of an instance (RFC 5627 §3.1, §5.2): the AOR with a `gr` parameter whose
 * value is the instance ID without its angle brackets, characters not allowed in a URI
 * parameter value escaped (`sip:alice@example.com;gr=urn:uuid:f81d4fae-...`). The user part is
 * escaped back too, since the AOR key holds it unescaped.
 *
 * @param aor - the AOR key `user@domain`.
 * @param instanceId - {@link Binding.instanceId}, angle brackets included.
 * @param scheme - `sips` when the AOR was registered as a SIPS URI.
 */
export function pubGruu(aor: string, instanceId: string, scheme: 'sip' | 'sips' = 'sip'): string {
  const at = aor.lastIndexOf('@');
  const user = at < 0 ? '' : `${escapeOutside(aor.slice(0, at), USER_CHARS)}@`;
  return `${scheme}:${user}${aor.slice(at + 1)};gr=${escapeOutside(bare(instanceId), PARAM_CHARS)}`;
}

/**
 * The instance ID a public GRUU's `gr` value names, in angle brackets as
 * {@link Binding.instanceId} stores it, or `undefined` for a bad escape.
 */
export function instanceOfGr(gr: string): string | undefined {
  const id = percentDecoded(gr);
  return id === undefined ? undefined : `<${id}>`;
}
