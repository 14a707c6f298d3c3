/**
 * `sipreg/stores/memory`: the default in-process location store.
 * @packageDocumentation
 */
export { MemoryLocationStore } from './memory-location-store';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
