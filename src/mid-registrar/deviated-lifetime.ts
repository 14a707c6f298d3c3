/**
 * `seconds` moved by up to ± `maxDeviation` (OpenSIPS `expires_max_deviation`: "a random +/-
 * deviation up to and including the given value"; 1800 ± 100 lands in [1700, 1900]), never
 * below 1; 0 (a removal) stays 0. The offset is drawn from `key`, a hex digest such as a contact
 * id (`contactIdOf`), instead of at random: each device keeps its own offset on every
 * refresh, so a fleet that registered at once (after a restart lost every TCP connection) is
 * spread over the interval and stays spread, and the main registrar's binding keeps covering the
 * phone's.
 */
export function deviatedLifetime(seconds: number, maxDeviation: number, key: string): number {
  if (seconds === 0 || maxDeviation === 0) return seconds;
  const offset = (Number.parseInt(key.slice(0, 12), 16) % (2 * maxDeviation + 1)) - maxDeviation;
  return Math.max(1, seconds + offset);
}
