import { findBinary } from './find-binary';

/**
 * The absolute path of an executable a test cannot run without, found as {@link findBinary}
 * finds it; a missing one fails the test (never skips it) with the apt package that installs it.
 *
 * @param name - the executable's file name, e.g. `"chromium"`.
 * @param apt - the Debian package that installs it, e.g. `"chromium"`.
 * @param purpose - what needs it, for the message, e.g. `"the browser WSS test"`.
 * @throws Error when it is not installed.
 */
export function requiredBinary(name: string, apt: string, purpose: string): string {
  const path = findBinary(name);
  if (path === undefined) throw new Error(`${name} is not installed: ${purpose} needs it (apt-get install ${apt}; .ci/run installs it)`);
  return path;
}
