import { TokenSealer } from '../token-sealer';

/** User-part prefix of a temporary GRUU, as OpenSIPS writes it (so both formats share it). */
export const TEMP_GRUU_PREFIX = 'tgruu.';

/** What a temporary GRUU stands for: the registration it was handed out for (RFC 5627 §3.2). */
export interface TempGruuFields {
  /** The AOR key (`user@domain`). */
  readonly aor: string;
  /** The `+sip.instance` as {@link Binding.instanceId} stores it, angle brackets included. */
  readonly instanceId: string;
  /** Call-ID of the REGISTER it was handed out for: a REGISTER with another one invalidates it. */
  readonly callId: string;
}

/** The {@link TokenSealer} of temporary GRUUs under `secrets` (the first seals, all open). */
export function tempGruuSealer(secrets: string | readonly string[]): TokenSealer {
  return new TokenSealer(secrets, 'temp-gruu');
}

/**
 * A new temporary GRUU (RFC 5627 §3.2, §5.2): `sip:tgruu.<token>@<domain of the AOR>;gr`, the
 * token an AES-GCM sealing of AOR, instance and Call-ID under a fresh IV, so every REGISTER
 * gets a different GRUU and none reveals the AOR or the instance.
 *
 * @param aor - the AOR key `user@domain` (the registrar's, so the domain is after the last `@`).
 * @param scheme - `sips` when the AOR was registered as a SIPS URI.
 */
export function tempGruu(sealer: TokenSealer, aor: string, instanceId: string, callId: string, scheme: 'sip' | 'sips' = 'sip'): string {
  const token = sealer.seal([aor, instanceId, callId]);
  return `${scheme}:${TEMP_GRUU_PREFIX}${token}@${aor.slice(aor.lastIndexOf('@') + 1)};gr`;
}

/** The fields of a sipreg temporary GRUU token (the user part after `tgruu.`), or `undefined` if not one. */
export function openTempGruu(sealer: TokenSealer, token: string): TempGruuFields | undefined {
  const fields = sealer.open(token);
  if (fields === undefined || fields.length !== 3) return undefined;
  return { aor: fields[0], instanceId: fields[1], callId: fields[2] };
}
