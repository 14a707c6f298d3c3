import { StoreError } from '../errors/sdk-error';

/**
 * A better-sqlite3 failure as a {@link StoreError} naming the store and the operation, with the
 * driver error as `cause`. `SQLITE_BUSY` and `SQLITE_LOCKED` (and their extended codes) are
 * `transient`: another connection held the lock past `busy_timeout`, so a retry may succeed.
 */
export function sqliteStoreError(store: string, operation: string, error: unknown): StoreError {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const transient = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
  const reason = typeof message === 'string' ? message : String(error);
  return new StoreError(`${store}: ${operation} failed: ${reason}`, { cause: error, transient });
}
