import { StoreError } from '../errors/sdk-error';

/**
 * A failed file operation of a file-backed store as a {@link StoreError} naming the store, the
 * operation and the path, with the fs error as `cause`, e.g.
 * `json registrant store: read ./registrants.json failed: ENOENT: no such file or directory, ...`.
 * Running out of descriptors and a busy file are `transient`; a missing file or a denied
 * permission is not.
 */
export function fileStoreError(store: string, path: string, operation: string, error: unknown): StoreError {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const transient = code === 'EBUSY' || code === 'EAGAIN' || code === 'EMFILE' || code === 'ENFILE';
  return new StoreError(`${store}: ${operation} ${path} failed: ${typeof message === 'string' ? message : String(error)}`, {
    cause: error,
    transient,
  });
}
