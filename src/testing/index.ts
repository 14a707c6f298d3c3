/**
 * `sipreg/testing`: the test kit for code built on sipreg — a manual clock (no fake timers),
 * SIP message builders, a scriptable fake transport and the contract suite every
 * `LocationStore` adapter must pass.
 * @packageDocumentation
 */
export * from './manual-clock';
export * from './message-builders';
export * from './fake-transport';
export * from './location-store-contract';
export * from './registrant-store-contract';
export * from './contract-api';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
export * from './build-binding';
