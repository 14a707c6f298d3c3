/**
 * `sipreg/stores/redis`: the location service shared by several registrar nodes, on Redis or a
 * Redis Cluster (needs the optional peer dependency `ioredis`).
 * @packageDocumentation
 */
export { RedisLocationStore, type RedisLocationStoreOptions } from './redis-location-store';
export { connectRedis, type RedisClient, type RedisConnectOptions } from './redis-client';
export { SdkError, ConfigError, StoreError, TransportError } from '../errors/sdk-error';
