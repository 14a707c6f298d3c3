import { CliRuntimeError } from './cli-runtime-error';

/** The optional store drivers, with the version range sipreg is built against. */
export const DRIVERS = {
  'better-sqlite3': '^12',
  ioredis: '^5',
} as const;

/** One of {@link DRIVERS}. */
export type DriverPackage = keyof typeof DRIVERS;

/** True when `error` says that the package `name` itself cannot be found (not one of its own imports). */
function isMissingPackage(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  return typeof message === 'string' && (message.includes(`'${name}'`) || message.includes(`"${name}"`));
}

/**
 * Import a store module that needs the optional driver `driver`, only now that the flag `flag`
 * chose it. When the driver is not installed this rejects with a {@link CliRuntimeError} saying
 * what to install, e.g. `--store sqlite:./x.db needs the better-sqlite3 package: npm i better-sqlite3@^12`.
 */
export async function loadDriver<T>(flag: string, value: string, driver: DriverPackage, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (!isMissingPackage(error, driver)) throw error;
    throw new CliRuntimeError(`${flag} ${value} needs the ${driver} package: npm i ${driver}@${DRIVERS[driver]}`, { cause: error });
  }
}
