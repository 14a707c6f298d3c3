/**
 * A `/health` check (Kubernetes readiness, a load balancer's probe): ok once `probe` (the store's
 * `count()`) answers within `timeoutMs`; else not ok, with why (its error's message, or the
 * timeout) as the detail.
 */
export function storeHealth(probe: () => unknown, timeoutMs: number): () => Promise<{ ok: boolean; detail?: string }> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<{ ok: boolean; detail: string }>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `the store did not answer within ${timeoutMs} ms` }), timeoutMs);
    });
    const answered = Promise.resolve()
      .then(probe)
      .then(() => ({ ok: true }), (e: unknown) => ({ ok: false, detail: `the store failed: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` }));
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  };
}
