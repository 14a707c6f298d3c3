/**
 * `sipreg/stores/memory`: the default in-process location store, registrants and subscribers
 * held in memory, and subscribers in a JSON file (no driver needed).
 * @packageDocumentation
 */
export { MemoryLocationStore } from './memory-location-store';
export { MemoryRegistrantStore } from './memory-registrant-store';
export { MemoryCredentialStore } from './memory-credential-store';
export { JsonFileCredentialStore, type JsonFileCredentialStoreOptions } from './json-file-credential-store';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
