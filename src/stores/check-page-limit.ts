import { ConfigError } from '../errors/sdk-error';

/**
 * The `limit` of a `LocationStore.aorPage` call, checked: a positive integer.
 * @throws {@link ConfigError} naming the store otherwise.
 */
export function checkPageLimit(store: string, limit: number): number {
  if (!Number.isInteger(limit) || limit < 1) throw new ConfigError(`${store} aorPage limit must be an integer >= 1, got ${limit}`);
  return limit;
}
