import { sleep } from './sleep';

/**
 * Retry `probe` every `pollMs` until it yields a value other than `undefined`, and resolve with
 * that value. Rejects once `timeoutMs` have passed without one, with `"<what> not seen within
 * <timeoutMs> ms"` followed by `context()` (typically the output of the processes under test).
 *
 * @param probe - checked at once, then after every `pollMs`; may be async.
 * @param what - what is awaited, for the error message.
 * @param timeoutMs - how long to keep trying.
 * @param context - diagnostics appended to the error message.
 * @param pollMs - the pause between two probes.
 * @defaultValue pollMs `100`
 */
export async function eventually<T>(
  probe: () => Promise<T | undefined> | T | undefined,
  what: string,
  timeoutMs: number,
  context: () => string,
  pollMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} not seen within ${timeoutMs} ms\n${context()}`);
    await sleep(pollMs);
  }
}
