import { Counter, Histogram, collectDefaultMetrics } from 'prom-client';
import type { Registry } from 'prom-client';
import { ConfigError } from '../errors/sdk-error';
import type { RegistrarStats } from '../registrar/registrar';
import { REGISTRANT_STATE_CODES } from '../registrant/registrant-state';
import type { RegistrantState } from '../registrant/registrant-state';
import { registerScraped } from './scraped-metric';
import type { ScrapedMetric } from './scraped-metric';
import { sharedRead } from './shared-read';
import type { SipregMetricSources } from './sipreg-metric-sources';

/** Options of {@link registerSipregMetrics}. */
export interface SipregMetricsOptions {
  /** Also the Node process metrics (`collectDefaultMetrics`: CPU, memory, event loop lag, GC) on the registry. @defaultValue false */
  readonly processMetrics?: boolean;
}

/** What {@link registerSipregMetrics} registered that the host wires itself. */
export interface SipregMetrics {
  /**
   * Give it to `createRegistrarServer` as `onRegisterAnswered`: it counts each REGISTER reply by
   * status code (`sipreg_register_replies_total`) and observes its handling time
   * (`sipreg_register_handling_seconds`); no allocation once a status code was seen.
   */
  readonly onRegisterAnswered: (status: number, seconds: number) => void;
}

/**
 * Buckets of `sipreg_register_handling_seconds` (s): a REGISTER saved in memory or SQLite takes
 * tens of microseconds, one through Redis or a credential lookup milliseconds, one a mid-registrar
 * forwards up to Timer F (32 s, RFC 3261 §17.1.2.2).
 */
const HANDLING_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 32];

/** The name every registration checks first: present means the metrics are already on the registry. */
const HANDLING_METRIC = 'sipreg_register_handling_seconds';

/**
 * Register the sipreg metrics on the caller's prom-client `registry` (the OpenSIPS statistics of
 * the registrar, usrloc, mid_registrar, uac_registrant and the source guard as `sipreg_*` counters
 * and gauges, read from `sources` at each scrape), plus the REGISTER reply counter and handling
 * time histogram fed by {@link SipregMetrics.onRegisterAnswered}. Metrics of a component not in
 * `sources` are not registered. The guard's bans and rate-limited sources are counted from its
 * events from now on.
 * @throws ConfigError when the sipreg metrics are already registered on `registry`.
 */
export function registerSipregMetrics(registry: Registry, sources: SipregMetricSources, options: SipregMetricsOptions = {}): SipregMetrics {
  if (registry.getSingleMetric(HANDLING_METRIC) !== undefined) {
    throw new ConfigError('the sipreg metrics are already registered on this prom-client registry: call registerSipregMetrics once per registry and share its result');
  }
  const handling = new Histogram({ name: HANDLING_METRIC, help: 'REGISTER handling time, from its arrival to its reply handed to the transport (s)', buckets: HANDLING_BUCKETS, registers: [registry] });
  const replies = new Counter({ name: 'sipreg_register_replies_total', help: 'REGISTER replies sent, by status code', labelNames: ['code'], registers: [registry] });
  const byStatus = new Map<number, Counter.Internal>();
  const onRegisterAnswered = (status: number, seconds: number): void => {
    let child = byStatus.get(status);
    if (child === undefined) byStatus.set(status, (child = replies.labels(String(status))));
    child.inc();
    handling.observe(seconds);
  };
  for (const metric of scrapedMetrics(sources)) registerScraped(registry, metric);
  countGuardEvents(registry, sources);
  if (options.processMetrics === true) collectDefaultMetrics({ register: registry });
  return { onRegisterAnswered };
}

/** The metrics read from `sources` at each scrape. */
function scrapedMetrics(sources: SipregMetricSources): ScrapedMetric[] {
  const metrics: ScrapedMetric[] = [];
  const { midRegistrar, registrant, guard } = sources;
  const midStats = midRegistrar === undefined ? undefined : sharedRead(() => midRegistrar.stats());
  const registrar = sources.registrar;
  const registrarStats = registrar !== undefined ? sharedRead(() => registrar.stats()) : midStats === undefined ? undefined : () => midStats().then((s) => s.registrar);
  if (registrarStats !== undefined) metrics.push(...registrarMetrics(registrarStats));
  else if (sources.store !== undefined) {
    const store = sources.store;
    const count = sharedRead(async () => store.count());
    metrics.push(
      { kind: 'gauge', name: 'sipreg_bindings', help: 'Bindings (contacts) in the location store (usrloc location-contacts)', read: () => count().then((c) => c.bindings) },
      { kind: 'gauge', name: 'sipreg_aors', help: 'AORs in the location store (usrloc registered_users)', read: () => count().then((c) => c.aors) },
    );
  }
  if (midStats !== undefined) {
    metrics.push(
      { kind: 'counter', name: 'sipreg_mid_registrar_registers_total', help: 'REGISTERs the mid-registrar absorbed (answered itself) or forwarded to the main registrar', label: 'action', read: () => midStats().then((s) => ({ absorbed: s.absorbed, forwarded: s.forwarded })) },
      { kind: 'counter', name: 'sipreg_mid_registrar_deregisters_total', help: 'De-REGISTERs the mid-registrar sent upstream that were accepted (sent) or failed', label: 'outcome', read: () => midStats().then((s) => ({ sent: s.deRegistersSent, failed: s.deRegistersFailed })) },
    );
  }
  if (registrant !== undefined) {
    metrics.push({ kind: 'gauge', name: 'sipreg_registrants', help: 'Outbound registrations (uac_registrant) by state', label: 'state', read: async () => registrantsByState(registrant.list()) });
  }
  if (guard !== undefined) {
    metrics.push({ kind: 'gauge', name: 'sipreg_source_bans', help: 'Source addresses banned now after failed authentications (including bans run out and not yet seen)', read: async () => guard.stats().banEntries });
  }
  return metrics;
}

/** The registrar (OpenSIPS registrar and usrloc statistics) from one `stats()` per scrape. */
function registrarMetrics(stats: () => Promise<RegistrarStats>): ScrapedMetric[] {
  const field = (read: (s: RegistrarStats) => number) => () => stats().then(read);
  return [
    { kind: 'counter', name: 'sipreg_registers_accepted_total', help: 'REGISTERs the registrar accepted (registrar accepted_regs)', read: field((s) => s.acceptedRegs) },
    { kind: 'counter', name: 'sipreg_registers_rejected_total', help: 'REGISTERs the registrar refused, by reason (registrar rejected_regs; too-many-contacts is a max_contacts hit)', label: 'reason', read: () => stats().then((s) => s.rejectedByReason) },
    { kind: 'counter', name: 'sipreg_auth_failures_total', help: 'REGISTERs whose credentials did not verify', read: field((s) => s.authFailures) },
    { kind: 'counter', name: 'sipreg_bindings_expired_total', help: 'Bindings this registrar found expired and removed (usrloc expires)', read: field((s) => s.expired) },
    { kind: 'counter', name: 'sipreg_pushes_sent_total', help: 'Push notifications sent (RFC 8599), retries included', read: field((s) => s.pushesSent) },
    { kind: 'counter', name: 'sipreg_pushes_failed_total', help: 'Push notifications the notifier failed to send', read: field((s) => s.pushesFailed) },
    { kind: 'gauge', name: 'sipreg_bindings', help: 'Bindings (contacts) in the location store (usrloc location-contacts)', read: field((s) => s.bindings) },
    { kind: 'gauge', name: 'sipreg_aors', help: 'AORs in the location store (usrloc registered_users)', read: field((s) => s.aors) },
    { kind: 'gauge', name: 'sipreg_max_expires_seconds', help: 'Longest lifetime granted to a binding, 0 for none (registrar max_expires)', read: field((s) => s.maxExpires) },
    { kind: 'gauge', name: 'sipreg_max_contacts', help: 'Most bindings an AOR may have, 0 for no limit (registrar max_contacts)', read: field((s) => s.maxContacts) },
    { kind: 'gauge', name: 'sipreg_default_expires_seconds', help: 'Lifetime of a binding whose REGISTER names none (registrar default_expire)', read: field((s) => s.defaultExpires) },
  ];
}

/** Registrants by state, every state present (0 when none is in it) so that a panel shows each. */
function registrantsByState(list: readonly { readonly state: RegistrantState }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const state of Object.keys(REGISTRANT_STATE_CODES)) counts[state] = 0;
  for (const r of list) counts[r.state]++;
  return counts;
}

/** Bans and rate-limited sources, counted from the guard's events (it keeps no totals). */
function countGuardEvents(registry: Registry, { guard }: SipregMetricSources): void {
  if (guard === undefined) return;
  const bans = new Counter({ name: 'sipreg_source_bans_total', help: 'Source addresses banned after failed authentications', registers: [registry] });
  const hot = new Counter({ name: 'sipreg_source_rate_limited_total', help: 'Times a source address went over the request rate limit (pike)', registers: [registry] });
  guard.events.on('banned', () => bans.inc());
  guard.events.on('rate-limited', () => hot.inc());
}
