/**
 * A random token for Call-IDs and tags (RFC 3261 §8.1.1.3-4: globally unique, at least 32 bits
 * of randomness), about 20 base-36 characters drawn from `random` (injectable for tests).
 */
export const randomToken = (random: () => number): string =>
  Math.floor(random() * 2 ** 52).toString(36) + Math.floor(random() * 2 ** 52).toString(36);
