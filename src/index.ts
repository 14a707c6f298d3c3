/**
 * sipreg: the registration logic of a production SIP server as an embeddable TypeScript SDK.
 *
 * - {@link createRegistrar}: REGISTER processing (RFC 3261 §10.3), lookup, remove and queries,
 *   modelled on the OpenSIPS registrar module.
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
export * from './sip/message';
export * from './sip/sip-parser';
export * from './sip/parse-result';
export * from './sip/uri';
export * from './sip/response';
export * from './sip/serialize';
export * from './sip/socket-address';
export * from './registrar/registrar';
export * from './registrar/registrar-options';
export * from './registrar/registrar-events';
export * from './registrar/save-options';
export * from './registrar/save-result';
export * from './registrar/lookup-options';
export * from './registrar/select-targets';
export * from './registrar/binding-change';
export * from './registrar/plan-save';
export * from './registrar/parse-save-flags';
export * from './registrar/parse-lookup-flags';
export * from './registrar/add-sock-hdr';
export * from './proxy/stateless-proxy';
export * from './server/registrar-server';
export { MemoryLocationStore } from './stores/memory-location-store';
