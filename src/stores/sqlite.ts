/**
 * `sipreg/stores/sqlite`: the durable single-file location store (needs the optional peer
 * dependency `better-sqlite3`).
 * @packageDocumentation
 */
export { SqliteLocationStore, type SqliteLocationStoreOptions } from './sqlite-location-store';
export { SqliteRegistrantStore, type SqliteRegistrantStoreOptions } from './sqlite-registrant-store';
export { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns, type RegistrantField } from './registrant-record-from-row';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
