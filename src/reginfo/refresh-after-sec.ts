/**
 * When to refresh a subscription or publication granted for `expiresSec` (s after it was
 * granted): a quarter of it before the end, at most a minute before, at least a second after.
 */
export const refreshAfterSec = (expiresSec: number): number => Math.max(1, expiresSec - Math.min(60, Math.ceil(expiresSec / 4)));
