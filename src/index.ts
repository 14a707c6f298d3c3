/**
 * sipreg: the registration logic of a production SIP server as an embeddable TypeScript SDK.
 *
 * - {@link createRegistrar}: REGISTER processing (RFC 3261 §10.3), lookup, remove and queries,
 *   modelled on the OpenSIPS registrar module.
 * - Extensions plugged into the registrar: Path (RFC 3327), outbound (RFC 5626), GRUU
 *   (RFC 5627) and push notifications (RFC 8599), configured through {@link RegistrarOptions}.
 * - {@link createMidRegistrar}: a registration front-end to a main registrar (OpenSIPS
 *   mid_registrar): contact mirroring, contact throttling and AOR throttling.
 * - {@link createRegistrantScheduler}: registers this server on remote registrars (OpenSIPS uac_registrant).
 * - {@link createReginfo}: RFC 3680 reg-event (OpenSIPS pua_reginfo): PUBLISH on change, SUBSCRIBE
 *   and apply NOTIFYs, and a notifier so sipreg nodes keep each other's location in sync.
 * - {@link parseSipMessage}: a two-tier SIP parser (fast scanner, SIP.js grammar as reference).
 * - Ports ({@link LocationStore}, {@link Transport}, {@link Clock}, {@link Logger}) so hosts
 *   wire their own storage and sockets; `sipreg/stores/*` and `sipreg/transports/node` ship
 *   ready adapters, `sipreg/testing` a test kit.
 * @packageDocumentation
 */
export * from './errors/sdk-error';
export * from './errors/reg-error';
export * from './errors/result';
export * from './ports/binding';
export * from './ports/location-store';
export * from './ports/transport';
export * from './ports/clock';
export * from './ports/logger';
export * from './ports/registrant-store';
export * from './sip/message';
export * from './sip/sip-parser';
export * from './sip/parse-result';
export * from './sip/uri';
export * from './sip/response';
export * from './sip/serialize';
export * from './sip/socket-address';
export * from './sip/digest';
export * from './registrar/registrar';
export * from './registrar/registrar-options';
export * from './registrar/registrar-events';
export * from './registrar/save-options';
export * from './registrar/save-result';
export * from './registrar/lookup-options';
export * from './registrar/select-targets';
export * from './registrar/purr-outcome';
export * from './registrar/binding-change';
export * from './registrar/plan-save';
export * from './registrar/feature-hooks';
export * from './registrar/parse-save-flags';
export * from './registrar/parse-lookup-flags';
export * from './registrar/add-sock-hdr';
export * from './features/registrar-feature';
export * from './features/token-sealer';
export * from './features/path/path-mode';
export * from './features/path/path-feature';
export * from './features/outbound/flow-token';
export * from './features/outbound/outbound-options';
export * from './features/outbound/outbound-feature';
export * from './features/gruu/gruu-options';
export * from './features/gruu/gruu-feature';
export * from './features/gruu/gruu-uri';
export * from './features/gruu/gruu-targets';
export * from './features/gruu/pub-gruu';
export * from './features/gruu/temp-gruu';
export * from './features/gruu/opensips-temp-gruu';
export * from './features/push/push-options';
export * from './features/push/push-feature';
export * from './features/push/push-coordinator';
export * from './features/push/push-notifier';
export * from './features/push/webhook-push-notifier';
export * from './features/push/contact-refresh-event';
export * from './features/push/pn-params';
export * from './features/push/pn-device-key';
export * from './features/push/strip-pn-params';
export * from './features/push/purr-codec';
export * from './mid-registrar/mid-registrar';
export * from './mid-registrar/mid-registrar-options';
export * from './mid-registrar/send-deregister';
export * from './proxy/stateless-proxy';
export * from './server/registrar-server';
export { MemoryLocationStore } from './stores/memory-location-store';
export * from './registrant/registrant-state';
export * from './registrant/registrant-options';
export * from './registrant/registrant-scheduler';
export type { SrvRecord } from './sip/request-destination';
export { MemoryRegistrantStore } from './stores/memory-registrant-store';
export { JsonFileRegistrantStore } from './stores/json-file-registrant-store';
export * from './reginfo/reginfo';
export * from './reginfo/reginfo-options';
export * from './reginfo/reginfo-document';
export * from './reginfo/build-reginfo';
export * from './reginfo/parse-reginfo';
export type { PublishOutcome } from './reginfo/reginfo-publisher';
export type { ReginfoSubscriptionInfo, SubscriptionStatus } from './reginfo/reginfo-subscriber';
export type { WatcherSubscription } from './reginfo/reginfo-notifier';
export type { SipResolver } from './sip/request-destination';
export { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns, type RegistrantField } from './stores/registrant-record-from-row';
