import { CliUsageError } from './cli-usage-error';

/** Kinds of flag values: OpenSIPS module parameter syntax. */
export type FlagKind = 'int' | 'bool' | 'string';

/** One command-line flag. */
export interface FlagSpec {
  readonly name: string;
  readonly kind: FlagKind;
  /** May be given several times (values are collected in order). */
  readonly repeatable?: boolean;
  readonly help: string;
}

/** Parsed flag values by name. */
export type FlagValues = ReadonlyMap<string, readonly (string | number | boolean)[]>;

function convert(spec: FlagSpec, raw: string): string | number | boolean {
  if (spec.kind === 'int') {
    if (!/^-?\d+$/.test(raw)) throw new CliUsageError(`--${spec.name} takes an integer, got '${raw}'`);
    return Number(raw);
  }
  if (spec.kind === 'bool') {
    if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
    if (['0', 'false', 'no', 'off'].includes(raw)) return false;
    throw new CliUsageError(`--${spec.name} takes 0/1 (or true/false), got '${raw}'`);
  }
  return raw;
}

/**
 * Parse `--name value` and `--name=value` flags against `specs`. Unknown flags, missing values
 * and repeated non-repeatable flags throw {@link CliUsageError}.
 */
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): FlagValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out = new Map<string, (string | number | boolean)[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new CliUsageError(`unexpected argument '${arg}'; flags look like --name value`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new CliUsageError(`unknown flag --${name}; run with --help for the list`);
    let raw: string | undefined = eq < 0 ? argv[i + 1] : arg.slice(eq + 1);
    if (eq < 0) {
      if (raw === undefined || (raw.startsWith('--') && spec.kind !== 'string')) throw new CliUsageError(`--${name} needs a value`);
      i++;
    }
    const list = out.get(name) ?? [];
    if (list.length > 0 && !spec.repeatable) throw new CliUsageError(`--${name} given twice`);
    list.push(convert(spec, raw));
    out.set(name, list);
  }
  return out;
}

/** The (first) value of a flag, or undefined when it was not given. */
export function flagValue<T extends string | number | boolean>(values: FlagValues, name: string): T | undefined {
  return values.get(name)?.[0] as T | undefined;
}

/** The usage text of a command's flags, one per line. */
export function formatFlags(specs: readonly FlagSpec[]): string {
  const width = Math.max(...specs.map((s) => s.name.length)) + 4;
  return specs.map((s) => `  --${s.name.padEnd(width)}${s.help}`).join('\n');
}
