/**
 * Resolve after `ms` milliseconds; a delay of 0 or less resolves on the next timer tick, so a
 * deadline already past (`sleep(deadline - Date.now())`) does not wait.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
