/**
 * `sipreg/stores/sqlite`: the durable single-file location store (needs the optional peer
 * dependency `better-sqlite3`).
 * @packageDocumentation
 */
export { SqliteLocationStore, type SqliteLocationStoreOptions } from './sqlite-location-store';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
