/**
 * The registration information document of RFC 3680 §5 (`application/reginfo+xml`), as plain
 * data: {@link buildReginfo} writes it, {@link parseReginfo} reads it.
 * @packageDocumentation
 */

/** The MIME type of a reginfo document (RFC 3680 §5). */
export const REGINFO_CONTENT_TYPE = 'application/reginfo+xml';

/** The XML namespace of a reginfo document (RFC 3680 §5.4). */
export const REGINFO_NAMESPACE = 'urn:ietf:params:xml:ns:reginfo';

/**
 * State of a whole registration (RFC 3680 §5.1): `init` before any contact, `active` while at
 * least one contact is active, `terminated` when the last one went.
 */
export type RegistrationState = 'init' | 'active' | 'terminated';

/** State of one contact (RFC 3680 §5.2). */
export type ContactState = 'active' | 'terminated';

/**
 * The event that moved a contact to its state (RFC 3680 §5.2): `registered`, `created`,
 * `refreshed` and `shortened` leave it active; `expired`, `deactivated`, `probation`,
 * `unregistered` and `rejected` terminate it.
 */
export type ContactEvent =
  | 'registered'
  | 'created'
  | 'refreshed'
  | 'shortened'
  | 'expired'
  | 'deactivated'
  | 'probation'
  | 'unregistered'
  | 'rejected';

/** The contact events of RFC 3680 §5.2, in the order of its state machine. */
export const CONTACT_EVENTS: readonly ContactEvent[] = [
  'registered', 'created', 'refreshed', 'shortened', 'expired', 'deactivated', 'probation', 'unregistered', 'rejected',
];

/** An `<unknown-param>` element: a Contact header parameter the schema has no element for (RFC 3680 §5.4). */
export interface ReginfoUnknownParam {
  readonly name: string;
  /** '' for a parameter without value. */
  readonly value: string;
}

/**
 * A `<contact>` element (RFC 3680 §5.4). `callId` and `cseq` are the RFC's `callid` and `cseq`
 * attributes. `received`, `path` and `userAgent` are the attributes OpenSIPS and Kamailio
 * `pua_reginfo` add (`received`, `path`, `user_agent`), read and written the same way so that
 * their documents and ours interoperate.
 */
export interface ReginfoContact {
  /** Unique among the contacts of its registration and stable across documents. */
  readonly id: string;
  readonly state: ContactState;
  readonly event: ContactEvent;
  /** The Contact URI (the `<uri>` element). */
  readonly uri: string;
  /** The `<display-name>` element. */
  readonly displayName?: string;
  /** Seconds the contact has left (`expires`; 0 for a terminated contact). */
  readonly expiresSec?: number;
  /** `retry-after` (s) of a contact on `probation`. */
  readonly retryAfterSec?: number;
  /** `duration-registered` (s). */
  readonly durationRegisteredSec?: number;
  /** `q` in thousandths (0..1000), written as a decimal such as `0.5`. */
  readonly q?: number;
  readonly callId?: string;
  readonly cseq?: number;
  /** Source address of the REGISTER as a SIP URI, when behind NAT. */
  readonly received?: string;
  /** The REGISTER's `Path` values, top first (written as one comma-separated attribute). */
  readonly path?: readonly string[];
  readonly userAgent?: string;
  /**
   * When the contact was last registered or refreshed (epoch ms), a sipreg extension (attribute
   * `last_modified_ms`; other implementations ignore it): nodes that notify each other order two
   * registrations of one Contact by it, the later one winning on both.
   */
  readonly updatedAt?: number;
  readonly unknownParams?: readonly ReginfoUnknownParam[];
}

/** A `<registration>` element: one address-of-record and its contacts (RFC 3680 §5.4). */
export interface ReginfoRegistration {
  /** The AOR as a URI (`sip:bob@example.com`). */
  readonly aor: string;
  /** Unique within the document and stable across documents. */
  readonly id: string;
  readonly state: RegistrationState;
  readonly contacts: readonly ReginfoContact[];
}

/**
 * A `<reginfo>` document (RFC 3680 §5.4). `version` counts the documents of one subscription
 * (or publication) from 0; `full` state lists every contact, `partial` only those that changed.
 */
export interface ReginfoDocument {
  readonly version: number;
  readonly state: 'full' | 'partial';
  readonly registrations: readonly ReginfoRegistration[];
}
