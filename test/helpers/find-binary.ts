import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** Directories searched after `$PATH`: Debian installs daemons such as kamailio in sbin. */
const SYSTEM_DIRECTORIES = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'] as const;

/**
 * Locate an executable the way a shell would (`$PATH`, then the system sbin/bin
 * directories), so interop tests and benches can tell whether a real SIP peer
 * (SIPp, Kamailio) is installed.
 *
 * @param name - the executable's file name, e.g. `"sipp"`.
 * @returns the absolute path, or `undefined` when it is not installed.
 */
export function findBinary(name: string): string | undefined {
  const directories = [...(process.env.PATH ?? '').split(delimiter), ...SYSTEM_DIRECTORIES];
  for (const directory of directories) {
    if (directory === '') continue;
    const candidate = join(directory, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      continue;
    }
  }
  return undefined;
}
