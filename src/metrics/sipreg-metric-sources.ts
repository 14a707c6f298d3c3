import type { SourceGuard } from '../auth/source-guard';
import type { MidRegistrar } from '../mid-registrar/mid-registrar';
import type { LocationStore } from '../ports/location-store';
import type { Registrar } from '../registrar/registrar';
import type { RegistrantScheduler } from '../registrant/registrant-scheduler';

/**
 * The components whose statistics `/metrics` exports, each optional: the metrics of a component
 * not given are not registered. Read at every scrape, never on the SIP hot path.
 */
export interface SipregMetricSources {
  /** The registrar: accepted and rejected REGISTERs, bindings and AORs, expirations, pushes, failed credentials. */
  readonly registrar?: Registrar;
  /** A mid-registrar: absorbed and forwarded REGISTERs, de-REGISTERs; its own registrar's metrics when `registrar` is not given. */
  readonly midRegistrar?: MidRegistrar;
  /** The bindings and AORs of a location store without a registrar (`count()` at each scrape). */
  readonly store?: LocationStore;
  /** Outbound registrations (uac_registrant): registrants per state. */
  readonly registrant?: RegistrantScheduler;
  /** The source guard (pike, bans after failed authentications): bans and rate-limited sources. */
  readonly guard?: SourceGuard;
}
