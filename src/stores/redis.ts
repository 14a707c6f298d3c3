/**
 * `sipreg/stores/redis`: the location service and the subscribers shared by several registrar
 * nodes, the registrant table shared by several registrant nodes and the sharing tags that
 * pick which of them registers, on Redis or a Redis Cluster (needs the optional peer
 * dependency `ioredis`).
 * @packageDocumentation
 */
export { RedisLocationStore, type RedisLocationStoreOptions } from './redis-location-store';
export { RedisRegistrantStore, type RedisRegistrantStoreOptions } from './redis-registrant-store';
export { RedisCredentialStore, type RedisCredentialStoreOptions } from './redis-credential-store';
export { RedisSharingTags, type RedisSharingTagsOptions, type RedisSharingTagsEvents } from './redis-sharing-tags';
export { connectRedis, type RedisClient, type RedisConnectOptions } from './redis-client';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
