import { TokenSealer } from '../token-sealer';

/** What a PURR stands for: the registration it was handed out for. */
export interface PurrTarget {
  /** The AOR key (`user@domain`). */
  readonly aor: string;
  /** The Contact URI registered when the PURR was issued (with its `pn-*` parameters). */
  readonly contact: string;
}

/**
 * PURRs (Proxy Unique Registration Reference, RFC 8599 long-lived dialogs, `+sip.pnspurr`):
 * a deterministic sealed token of (AOR, Contact URI), so a refresh of the same registration gets
 * the same PURR, and nobody else can forge or read one. OpenSIPS's PURR is the usrloc contact id
 * in hex; ours needs no id table and survives restarts.
 */
export class PurrCodec {
  readonly #sealer: TokenSealer;

  /** @param secrets - one secret or a rotation list (first seals, all open). */
  constructor(secrets: string | readonly string[]) {
    this.#sealer = new TokenSealer(secrets, 'purr');
  }

  /** The PURR of the registration of `contact` under `aor`. */
  seal(aor: string, contact: string): string {
    return this.#sealer.seal([aor, contact], true);
  }

  /** The registration a PURR names, or `undefined` for a foreign, altered or malformed one. */
  open(purr: string): PurrTarget | undefined {
    const fields = this.#sealer.open(purr);
    return fields !== undefined && fields.length === 2 ? { aor: fields[0], contact: fields[1] } : undefined;
  }
}
