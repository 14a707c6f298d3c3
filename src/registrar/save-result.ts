import type { Binding } from '../ports/binding';
import type { RegError } from '../errors/reg-error';
import type { BindingChange } from './binding-change';
import type { AuthOutcome } from '../auth/authenticator';

/** A REGISTER the registrar accepted: the bindings were committed (or nothing had to change). */
export interface SaveAccepted {
  readonly ok: true;
  readonly status: 200;
  readonly aor: string;
  /** The wire 200 OK, unless `noReply` was set. */
  readonly response?: Uint8Array;
  /** Every live binding of the AOR after the save. */
  readonly bindings: readonly Binding[];
  /** What changed (empty for a query or a retransmission). */
  readonly changes: readonly BindingChange[];
  /** True when the request repeated an applied one (same Call-ID and CSeq) and changed nothing. */
  readonly retransmission: boolean;
  /** With `tcpPersistent` over TCP/TLS/WS: keep the connection at least until then (epoch ms). */
  readonly keepConnectionUntil?: number;
}

/** A REGISTER the registrar refused: nothing was written. */
export interface SaveRejected {
  readonly ok: false;
  readonly status: number;
  /** The AOR, when it could be determined. */
  readonly aor?: string;
  readonly error: RegError;
  /** The wire error reply, unless `noReply` was set. */
  readonly response?: Uint8Array;
  /**
   * Set when the REGISTER carried credentials for the realm that did not verify (wrong password,
   * unknown user: {@link AuthOutcome} `failed`): what a ban on repeated failures counts
   * (`SourceGuard.authFailed`). Absent for a first request without credentials or a stale nonce.
   */
  readonly authFailed?: true;
}

/** Outcome of {@link Registrar.save}. */
export type SaveResult = SaveAccepted | SaveRejected;
