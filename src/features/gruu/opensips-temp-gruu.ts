/**
 * Temporary GRUUs in the OpenSIPS format, decoded so that a platform migrating from OpenSIPS
 * keeps routing the GRUUs its phones already hold. OpenSIPS writes the user part
 * `tgruu.` + base64("<unix time> <aor> <instance without <>> <call-id>" XOR secret), the secret
 * repeated over the text (registrar `build_temp_gruu`). XOR with a known default secret hides
 * nothing, which is why sipreg seals its own temporary GRUUs instead ({@link tempGruu}).
 * @packageDocumentation
 */
import type { TempGruuFields } from './temp-gruu';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const DIGITS = /^[0-9]+$/;
/** Visible characters and the upper half of latin1: no space, no control character. */
const VISIBLE = /^[\x21-\x7e\x80-\xff]+$/;

function xor(data: Buffer, secret: Buffer): Buffer {
  for (let i = 0; i < data.length; i++) data[i] ^= secret[i % secret.length];
  return data;
}

/**
 * The OpenSIPS token (the user part after `tgruu.`) for `fields` at `unixTime`: standard base64
 * with padding, as OpenSIPS `base64encode` writes. For tests and migrations; sipreg hands out
 * its own format.
 */
export function encodeOpenSipsTempGruu(fields: TempGruuFields, secret: string, unixTime: number): string {
  const instance = fields.instanceId.slice(1, -1);
  const text = `${unixTime} ${fields.aor} ${instance} ${fields.callId}`;
  return xor(Buffer.from(text, 'latin1'), Buffer.from(secret, 'utf8')).toString('base64');
}

/**
 * Decode an OpenSIPS temporary GRUU token (the user part after `tgruu.`, `%` escapes resolved)
 * with the first of `secrets` that yields a well-formed text: a numeric time, a non-empty AOR
 * (`user@domain`, or a bare user when OpenSIPS ran without `use_domain`), an instance and a
 * Call-ID, split on the first three spaces; none of the three may be empty or hold a space or a
 * control character (a wrong secret yields those, so the next one is tried).
 * The instance comes back in angle brackets, as {@link Binding.instanceId} stores it.
 */
export function decodeOpenSipsTempGruu(token: string, secrets: readonly string[]): TempGruuFields | undefined {
  if (secrets.length === 0 || !BASE64.test(token)) return undefined;
  const raw = Buffer.from(token, 'base64');
  for (const secret of secrets) {
    const fields = split(xor(Buffer.from(raw), Buffer.from(secret, 'utf8')).toString('latin1'));
    if (fields !== undefined) return fields;
  }
  return undefined;
}

function split(text: string): TempGruuFields | undefined {
  const s1 = text.indexOf(' ');
  const s2 = s1 < 0 ? -1 : text.indexOf(' ', s1 + 1);
  const s3 = s2 < 0 ? -1 : text.indexOf(' ', s2 + 1);
  if (s3 < 0 || !DIGITS.test(text.slice(0, s1))) return undefined;
  const aor = text.slice(s1 + 1, s2);
  const instance = text.slice(s2 + 1, s3);
  const callId = text.slice(s3 + 1);
  if (!VISIBLE.test(aor) || !VISIBLE.test(instance) || !VISIBLE.test(callId)) return undefined;
  return { aor, instanceId: `<${instance}>`, callId };
}
