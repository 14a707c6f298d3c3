import { ConfigError } from '../errors/sdk-error';

/** One `name` or `name=value` item of an OpenSIPS comma-separated flag list. */
export interface NamedFlag {
  readonly name: string;
  readonly value: string | undefined;
}

/**
 * Split an OpenSIPS 3.x flag list (`"max-contacts=5, no-reply"`) into items, or return
 * `undefined` when the string is in the old single-letter form (`"mc5"`). A string is in the
 * new form when every item's name is one of `knownNames`.
 */
export function splitNamedFlags(flags: string, knownNames: ReadonlySet<string>): NamedFlag[] | undefined {
  const items: NamedFlag[] = [];
  for (const part of flags.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim();
    if (!knownNames.has(name)) return undefined;
    items.push({ name, value: eq < 0 ? undefined : item.slice(eq + 1).trim() });
  }
  return items;
}

/** Parse a non-negative integer flag value, or throw a {@link ConfigError} naming the flag. */
export function flagInteger(flag: string, value: string | undefined, kind: string): number {
  if (value === undefined || !/^\d+$/.test(value)) {
    throw new ConfigError(`${kind} flag '${flag}' needs a non-negative integer, got ${value === undefined ? 'nothing' : `'${value}'`}`);
  }
  return Number(value);
}

/** Read the digits starting at `i` of an old-style flag string; returns the value and the next index. */
export function readDigits(flags: string, i: number, flag: string, kind: string): [number, number] {
  let j = i;
  while (j < flags.length && flags.charCodeAt(j) >= 48 && flags.charCodeAt(j) <= 57) j++;
  return [flagInteger(flag, flags.slice(i, j), kind), j];
}
