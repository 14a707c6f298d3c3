import { CliRuntimeError } from './cli-runtime-error';
import { CliUsageError } from './cli-usage-error';
import { miTokenFrom } from './mi-flags';
import type { FlagSpec } from './parse-args';
import { flagValue, formatFlags, parseArgs } from './parse-args';

const DEFAULT_URL = 'http://127.0.0.1:8888/mi';

const FLAGS: readonly FlagSpec[] = [
  { name: 'mi-url', kind: 'string', help: `the server's management interface (${DEFAULT_URL})` },
  { name: 'mi-token', kind: 'string', help: 'bearer token of a server run with --mi-token; shows in ps: prefer --mi-token-file or env SIPREG_MI_TOKEN (none)' },
  { name: 'mi-token-file', kind: 'string', help: 'file whose first line is the token (none)' },
];

/** The `--help` text of `sipreg mi`. */
export const MI_USAGE = `Usage: sipreg mi COMMAND [name=value ...] [--table] [flags]
       sipreg mi COMMAND [value ...]        (positional, as opensips-cli -x mi COMMAND value ...)

Runs one management command on a server started with --mi-listen (JSON-RPC 2.0 over HTTP) and
prints its result as JSON. Values that parse as JSON are sent as such (60, true, ["registrar:"]),
others as strings. 'sipreg mi which' lists the commands and their parameters. Examples:
  sipreg mi get_statistics statistics=registrar: --table
  sipreg mi ul_show_contact table_name=location aor=alice@example.com
Exit codes: 0 ok, 1 the command failed (its JSON-RPC error is printed) or the server is unreachable, 2 bad usage.
Flags:
  --table       print an array of objects as a table, an object as NAME VALUE lines
${formatFlags(FLAGS)}
`;

/** `value` as JSON when it parses (numbers, booleans, arrays), else the text itself. */
function parseValue(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

/** The call's parameters: by name from `name=value`, or positional when no argument names one; mixing is a usage error. */
function paramsOf(args: readonly string[]): Record<string, unknown> | unknown[] | undefined {
  if (args.length === 0) return undefined;
  const named = args.filter((a) => /^[A-Za-z_][\w-]*=/.test(a));
  if (named.length === 0) return args.map(parseValue);
  if (named.length !== args.length) throw new CliUsageError(`give every parameter as name=value, or all of them by position; got ${args.map((a) => `'${a}'`).join(' ')}`);
  return Object.fromEntries(args.map((a) => [a.slice(0, a.indexOf('=')), parseValue(a.slice(a.indexOf('=') + 1))]));
}

/** A table cell: an object of plain values as `name=value` pairs (`count` of `ul_dump`), other objects as JSON. */
const cell = (value: unknown): string => {
  if (typeof value !== 'object' || value === null) return String(value ?? '');
  if (isRecord(value) && Object.values(value).every((v) => typeof v !== 'object' || v === null)) {
    return Object.entries(value).map(([k, v]) => `${k}=${String(v ?? '')}`).join(' ');
  }
  return JSON.stringify(value);
};

/** Rows as aligned columns, the first row the header. */
function columns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd()).join('\n') + '\n';
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isRows = (value: unknown): value is Record<string, unknown>[] => Array.isArray(value) && value.every(isRecord);

/**
 * `rows` with nested rows brought up: when every row holds a non-empty list of objects under
 * the same key, and only that one (`ul_dump`'s domains → `AORs` → `Contacts`), each row becomes
 * one row per object of its list (flattened the same way), its own other fields first. Rows
 * whose lists differ (`which`'s commands, some without parameters) stay as they are.
 */
function flatRows(rows: readonly Record<string, unknown>[]): readonly Record<string, unknown>[] {
  const nestedKey = (row: Record<string, unknown>): string | undefined => {
    const lists = Object.keys(row).filter((k) => isRows(row[k]) && (row[k] as unknown[]).length > 0);
    return lists.length === 1 ? lists[0] : undefined;
  };
  const key = rows.length === 0 ? undefined : nestedKey(rows[0]);
  if (key === undefined || !rows.every((row) => nestedKey(row) === key)) return rows;
  return rows.flatMap((row) => {
    const own = Object.fromEntries(Object.entries(row).filter(([k]) => k !== key));
    return flatRows(row[key] as Record<string, unknown>[]).map((child) => ({ ...own, ...child }));
  });
}

/** Objects as a table with a column per key (nested lists brought up, {@link flatRows}); nothing when there are none. */
function rowsTable(rows: readonly Record<string, unknown>[]): string {
  const flat = flatRows(rows);
  if (flat.length === 0) return '';
  const keys = [...new Set(flat.flatMap((r) => Object.keys(r)))];
  return columns([keys, ...flat.map((r) => keys.map((k) => cell(r[k])))]);
}

/**
 * `--table`: an array of objects as a table with a column per key; an object holding one such
 * array (`reg_list`'s `Records`, `ul_show_contact`'s `Contacts`, `ul_dump`'s `Domains`) as its
 * other fields, one NAME VALUE line each, then that table; another object as NAME VALUE lines;
 * anything else as JSON. Lists of objects inside the rows become rows of their own (`ul_dump`:
 * one row per contact, its domain and AOR first); an object of plain values in a cell reads
 * `name=value ...`.
 */
function asTable(result: unknown): string {
  if (isRows(result)) return rowsTable(result);
  if (!isRecord(result)) return `${JSON.stringify(result, null, 2)}\n`;
  const entries = Object.entries(result);
  const tables = entries.filter(([, v]) => isRows(v));
  if (tables.length !== 1) return columns([['NAME', 'VALUE'], ...entries.map(([k, v]) => [k, cell(v)])]);
  const fields = entries.filter(([, v]) => !isRows(v));
  const head = fields.length === 0 ? '' : `${columns(fields.map(([k, v]) => [k, cell(v)]))}\n`;
  return head + rowsTable(tables[0][1] as Record<string, unknown>[]);
}

/**
 * `sipreg mi COMMAND [name=value ...]` (opensips-cli -x mi, kamcmd): one JSON-RPC 2.0 call to
 * `--mi-url`, its result printed as JSON (or `--table`). The token comes from `--mi-token`,
 * `--mi-token-file` or env `SIPREG_MI_TOKEN`. Throws {@link CliUsageError} for a bad command line
 * and {@link CliRuntimeError} with the JSON-RPC error's message (or the HTTP failure) otherwise.
 */
export async function runMiClientCommand(argv: readonly string[]): Promise<string> {
  const [method, ...rest] = argv;
  if (method === undefined || method.startsWith('--')) throw new CliUsageError(`sipreg mi takes a command first, e.g. sipreg mi which\n${MI_USAGE}`);
  const table = rest.includes('--table');
  const flags: string[] = [];
  const args: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === '--table') continue;
    if (!a.startsWith('--')) args.push(a);
    else if (a.includes('=') || i + 1 === rest.length) flags.push(a);
    else flags.push(a, rest[++i]);
  }
  const values = parseArgs(flags, FLAGS);
  const url = flagValue<string>(values, 'mi-url') ?? DEFAULT_URL;
  if (!/^https?:\/\//.test(url)) throw new CliUsageError(`--mi-url takes http://IP:PORT/mi, got '${url}'`);
  const token = miTokenFrom(values) ?? (process.env.SIPREG_MI_TOKEN || undefined);
  const params = paramsOf(args);
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
      body: JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), id: 1 }),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new CliRuntimeError(`cannot reach ${url}: ${cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e))}`, { cause: e });
  }
  const text = await response.text();
  if (response.status !== 200) {
    const hint = response.status === 401 ? ' (give the token with --mi-token-file, --mi-token or SIPREG_MI_TOKEN)' : '';
    throw new CliRuntimeError(`${url}: HTTP ${response.status}${hint}: ${text.slice(0, 200)}`);
  }
  let answer: { result?: unknown; error?: { code: number; message: string } };
  try {
    answer = JSON.parse(text) as typeof answer;
  } catch {
    throw new CliRuntimeError(`${url} answered something other than JSON-RPC: ${text.slice(0, 200)}`);
  }
  if (answer.error !== undefined) throw new CliRuntimeError(`${method}: ${answer.error.message} (${answer.error.code})`);
  return table ? asTable(answer.result) : `${JSON.stringify(answer.result, null, 2)}\n`;
}
