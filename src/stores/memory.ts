/**
 * `sipreg/stores/memory`: the default in-process location store.
 * @packageDocumentation
 */
export { MemoryLocationStore } from './memory-location-store';
export { MemoryRegistrantStore } from './memory-registrant-store';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
