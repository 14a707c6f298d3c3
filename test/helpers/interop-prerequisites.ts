import { findBinary } from './find-binary';

/** Something an interop suite needs besides an executable, e.g. a Kamailio module file. */
export interface OtherPrerequisite {
  /** What it is, for the messages, e.g. `'pua_reginfo.so'`. */
  readonly what: string;
  /** Whether this machine has it. */
  readonly present: boolean;
  /** The apt package that installs it, e.g. `'kamailio-presence-modules'`. */
  readonly apt: string;
}

/** What {@link interopPrerequisites} found. */
export interface InteropPrerequisites<E extends string> {
  /**
   * `describe` when everything is installed or CI is set (env `CI`, not `'false'`), so that CI
   * never skips an interop test; `describe.skip` otherwise, after a warning naming what is missing.
   */
  readonly describe: jest.Describe;
  /**
   * The absolute path of `executable`; throws `CI is set but … not installed: .ci/run must install …`
   * when anything the suite needs is missing (the suite only runs then because CI is set).
   */
  path(executable: E): string;
}

/**
 * Find the real SIP peers and tools an interop suite runs against (SIPp, Kamailio, baresip,
 * fail2ban-regex): outside CI a missing one skips the suite with a warning, in CI it fails it.
 *
 * @param suite - the suite for the warning, e.g. `'the SIPp interop tests'`.
 * @param executables - each executable the suite runs, mapped to the apt package that installs it.
 * @param others - anything else it needs, with the package that installs it.
 */
export function interopPrerequisites<E extends string>(
  suite: string,
  executables: Readonly<Record<E, string>>,
  others: readonly OtherPrerequisite[] = [],
): InteropPrerequisites<E> {
  const paths = new Map<string, string | undefined>();
  const missing: { what: string; apt: string }[] = [];
  for (const [executable, apt] of Object.entries<string>(executables)) {
    const path = findBinary(executable);
    paths.set(executable, path);
    if (path === undefined) missing.push({ what: executable, apt });
  }
  for (const other of others) if (!other.present) missing.push(other);

  const whatIsMissing = `${missing.map((m) => m.what).join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed`;
  const packages = [...new Set(missing.map((m) => m.apt))].join(' ');
  const inCi = (process.env.CI ?? '') !== '' && process.env.CI !== 'false';
  if (missing.length > 0 && !inCi) console.warn(`${whatIsMissing}: skipping ${suite} (apt-get install ${packages})`);
  return {
    describe: missing.length === 0 || inCi ? describe : describe.skip,
    path(executable: E): string {
      const path = paths.get(executable);
      if (missing.length > 0 || path === undefined) throw new Error(`CI is set but ${whatIsMissing}: .ci/run must install ${packages}`);
      return path;
    },
  };
}
