import { StoreError } from '../errors/sdk-error';

/**
 * Replies of a Redis that is alive but cannot serve now (loading its AOF, a cluster slot without
 * a master, a replica promoted meanwhile, out of memory): retrying later may succeed.
 */
const TRANSIENT_REPLY = /^(LOADING|BUSY|TRYAGAIN|CLUSTERDOWN|MASTERDOWN|READONLY|OOM|NOREPLICAS)\b/;

/**
 * A driver failure as a {@link StoreError}. Connection failures and timeouts are transient (the
 * registrar answers `503` + Retry-After); an error reply is transient only when it says the
 * server is busy or recovering ({@link TRANSIENT_REPLY}), otherwise it is a bug or a
 * misconfiguration (`500`).
 */
export function redisStoreError(store: string, operation: string, error: unknown): StoreError {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const reason = typeof message === 'string' ? message : String(error);
  const transient = name !== 'ReplyError' || TRANSIENT_REPLY.test(reason);
  return new StoreError(`${store}: ${operation} failed: ${reason}`, { cause: error, transient });
}
