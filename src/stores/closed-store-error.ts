import { ConfigError } from '../errors/sdk-error';

/**
 * The misuse error every sipreg store throws once closed ({@link LocationStore.close}):
 * a closed store never reopens, the host creates a new one.
 */
export const closedStoreError = (): ConfigError => new ConfigError('store is closed; create a new one');
