import type { Logger } from '../ports/logger';
import type { JsonFileCredentialStore } from '../stores/json-file-credential-store';
import type { RunningAuth } from './auth-flags';

/**
 * On SIGHUP, read a JSON-file `--auth-db` again ({@link JsonFileCredentialStore.reload}), as
 * OpenSIPS re-reads its tables on a reload: subscribers added, changed or removed in the file
 * authenticate (or stop authenticating) from the next request on. Logs one `info` line with the
 * file and the number of subscribers, or one `error` line saying why the file was refused; the
 * subscribers loaded before then stay. Never logs a password or HA1. Returns the function that
 * stops listening; for another store (or without `--auth-db`) nothing listens.
 */
export function reloadCredentialsOnSighup(auth: RunningAuth, logger: Logger): () => void {
  const file = auth.jsonFile;
  if (file === undefined) return () => undefined;
  const { path, store } = file;
  const reload = (): void => {
    try {
      logger.info({ path, subscribers: store.reload() }, 'subscribers reloaded');
    } catch (e) {
      logger.error({ path, error: e instanceof Error ? e.message : String(e) }, 'subscribers reload failed; the subscribers loaded before stay');
    }
  };
  process.on('SIGHUP', reload);
  return () => {
    process.off('SIGHUP', reload);
  };
}
