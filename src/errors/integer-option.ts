import { ConfigError } from './sdk-error';

/**
 * An integer option with its default applied, checked against its range.
 * @param owner - the options type, named in the error (`RegistrantSchedulerOptions`).
 * @throws {@link ConfigError} `<owner>.<name> must be an integer in min..max, got …`.
 */
export function integerOption(owner: string, name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) throw new ConfigError(`${owner}.${name} must be an integer in ${min}..${max}, got ${String(v)}`);
  return v;
}
