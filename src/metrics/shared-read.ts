/**
 * `read` shared by the calls made while one is in flight: every metric of a scrape asks for the
 * same statistics at once (prom-client collects them concurrently), and they get one read, so a
 * store is counted once per scrape (a Redis `SCAN` for `count()`), not once per metric.
 */
export function sharedRead<T>(read: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  return () => {
    if (inFlight !== undefined) return inFlight;
    const started = read();
    inFlight = started;
    const done = (): void => {
      inFlight = undefined;
    };
    started.then(done, done);
    return started;
  };
}
