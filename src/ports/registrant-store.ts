import type { MaybePromise } from './location-store';

/**
 * What identifies a registrant (OpenSIPS uac_registrant `reg_list` / `reg_enable` coordinates):
 * the AOR it registers, the binding (Contact URI) it registers, and the registrar it registers
 * at. URIs compare as written.
 */
export interface RegistrantKey {
  /** The AOR: the To URI of the REGISTER (`aor` column). */
  readonly aor: string;
  /** The Contact URI registered (`binding_URI` column). */
  readonly bindingUri: string;
  /** The registrar's URI: the Request-URI of the REGISTER (`registrar` column). */
  readonly registrar: string;
}

/** The identity of a registrant as a map key: its (aor, bindingUri, registrar). */
export const registrantKeyText = (key: RegistrantKey): string => JSON.stringify([key.aor, key.bindingUri, key.registrar]);

/**
 * One row of the OpenSIPS `registrant` table: a registration this server keeps alive on a remote
 * registrar (RFC 3261 §10.2). Optional fields are absent when the column is NULL or empty.
 */
export interface RegistrantRecord extends RegistrantKey {
  /** Outbound proxy URI the REGISTER is sent through (`proxy` column); absent: sent to `registrar`. */
  readonly proxy?: string;
  /** From URI of a third-party registration (`third_party_registrant`); absent: From = To = `aor`. */
  readonly thirdPartyRegistrant?: string;
  /** Digest username (`username`), needed when the registrar challenges (RFC 3261 §22). */
  readonly username?: string;
  /** Digest password (`password`). */
  readonly password?: string;
  /**
   * Contact parameters appended after the binding URI, starting with `;` (`binding_params`).
   * With both `reg-id` and `+sip.instance` present the binding is kept unique (RFC 5626 §4.2).
   */
  readonly bindingParams?: string;
  /** Requested lifetime in seconds (`expiry`); absent: the scheduler's default. */
  readonly expirySec?: number;
  /** Local socket the REGISTER leaves from, `proto:ip:port` (`forced_socket`). */
  readonly forcedSocket?: string;
  /** Cluster sharing tag `tag_name/cluster_id` (`cluster_shtag`); registers only while active. */
  readonly clusterShtag?: string;
  /** False when disabled (`state` column 1): no REGISTER is sent for it. */
  readonly enabled: boolean;
}

/**
 * Where the registrants come from (OpenSIPS uac_registrant `db_url` + `table_name`). The
 * scheduler reads every record at start and on `reload`, and writes only the enabled flag
 * (`reg_enable` / `reg_disable`). Adapters reject with `StoreError`.
 */
export interface RegistrantStore {
  /** Every record, enabled or not. */
  loadAll(): MaybePromise<readonly RegistrantRecord[]>;
  /** Persist the enabled flag of one record (`state` column: 0 enabled, 1 disabled); false when no record has that key. */
  setEnabled(key: RegistrantKey, enabled: boolean): MaybePromise<boolean>;
  /** Release the store's resources. */
  close?(): MaybePromise<void>;
}
