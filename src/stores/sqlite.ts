/**
 * `sipreg/stores/sqlite`: the durable single-file location store, and the OpenSIPS `registrant`
 * and `subscriber` tables (needs the optional peer dependency `better-sqlite3`).
 * @packageDocumentation
 */
export { SqliteLocationStore, type SqliteLocationStoreOptions } from './sqlite-location-store';
export { SqliteRegistrantStore, type SqliteRegistrantStoreOptions } from './sqlite-registrant-store';
export { SqliteCredentialStore, type SqliteCredentialStoreOptions } from './sqlite-credential-store';
export { OPENSIPS_SUBSCRIBER_COLUMNS, type SubscriberColumn, type SubscriberColumns } from './credentials-from-row';
export { OPENSIPS_REGISTRANT_COLUMNS, type RegistrantColumns, type RegistrantField } from './registrant-record-from-row';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
