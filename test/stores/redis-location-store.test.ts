import { afterAll, beforeAll } from '@jest/globals';
import { RedisLocationStore, connectRedis, type RedisClient } from '../../src/stores/redis';
import { runLocationStoreContract } from '../../src/testing/location-store-contract';

const url = process.env.SIPREG_DEV_REDIS ?? 'redis://127.0.0.1:6390';
let client: RedisClient;
let prefixNo = 0;
beforeAll(async () => {
  client = await connectRedis(url);
});
afterAll(async () => {
  await client.quit();
});

runLocationStoreContract('RedisLocationStore (single Redis)', () => new RedisLocationStore({ client, keyPrefix: `t${prefixNo++}:` }), { propertyRuns: 20 });
