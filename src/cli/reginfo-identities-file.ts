import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors/sdk-error';
import { aorUri } from '../reginfo/aor-uri';
import { identityUris } from '../reginfo/identity-table';
import { parseUri } from '../sip/uri';
import { errorCode } from '../transports/socket-error';
import { CliUsageError } from './cli-usage-error';

const EXAMPLE = '{"sip:alice@example.com": ["sip:alias@example.com", "tel:+15551234"]}';

/** Characters of context V8 quotes on each side of an unexpected token (`..."abc,]"... is not valid JSON`). */
const V8_CONTEXT = 10;

/**
 * Where `JSON.parse(text)` failed, from its message: the position it names, the end for an
 * unexpected end, or for an unexpected token (Node 20 names no position) the context it quotes,
 * found in `text`; undefined when none of these can be read.
 */
function errorOffset(text: string, message: string): number | undefined {
  const position = /at position (\d+)/.exec(message);
  if (position !== null) return Number(position[1]);
  if (message.startsWith('Unexpected end of JSON input')) return text.length;
  const token = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(?:\.\.\.)? is not valid JSON$/.exec(message);
  const start = token === null ? -1 : text.indexOf(token[3]);
  if (token === null || start < 0) return undefined;
  return token[2] === undefined ? text.indexOf(token[1], start) : start + V8_CONTEXT;
}

/** `not JSON at line L column C: why` for a `JSON.parse` error of `text` (Node names an offset, not a line). */
function syntaxError(text: string, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  const offset = errorOffset(text, message);
  if (offset === undefined) return `not JSON: ${message}`;
  const before = text.slice(0, offset).split('\n');
  const why = message.replace(/\s*(in JSON )?at position \d+.*$/s, '').replace(/, (\.\.\.)?"[\s\S]* is not valid JSON$/, '');
  return `not JSON at line ${before.length} column ${before[before.length - 1].length + 1}: ${why}`;
}

/** The identities of one entry of the file; `fail` makes the error naming its field. */
function entry(aor: string, value: unknown, defaultDomain: string | undefined, fail: (why: string) => CliUsageError): readonly string[] {
  const field = JSON.stringify(aor);
  const uri = parseUri(aorUri(aor, defaultDomain));
  if (uri === undefined || uri.scheme === 'tel' || uri.user === undefined) throw fail(`${field}: not a SIP AOR; use 'sip:user@domain' or 'user@domain'`);
  if (!Array.isArray(value)) throw fail(`${field}: must be an array of URIs, got ${JSON.stringify(value)}`);
  const bad = value.findIndex((v) => typeof v !== 'string');
  if (bad >= 0) throw fail(`${field}[${bad}]: must be a URI string, got ${JSON.stringify(value[bad])}`);
  try {
    return identityUris(aor, value as string[], defaultDomain);
  } catch (e) {
    if (e instanceof ConfigError) throw fail(`${field}: ${e.message}`);
    throw e;
  }
}

/**
 * The public identities of `--reginfo-identities FILE` (OpenSIPS `ul_identities_key` values): a
 * JSON object of AOR → identity URIs, e.g. `{"sip:alice@example.com": ["sip:alias@example.com",
 * "tel:+15551234"]}`, each list as {@link identityUris} makes it (bare users completed with
 * `defaultDomain`, at most 32). The AORs stay as written; {@link Reginfo.loadIdentities} makes them
 * canonical.
 * @throws {@link CliUsageError} naming the file and what is wrong: unreadable (errno), the line
 *   and column of a JSON syntax error, or the AOR (and index) of a bad entry.
 */
export function readIdentitiesFile(path: string, defaultDomain: string | undefined): Map<string, readonly string[]> {
  const fail = (why: string): CliUsageError => new CliUsageError(`--reginfo-identities ${path}: ${why}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fail(`cannot read: ${errorCode(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw fail(syntaxError(text, e));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw fail(`must be a JSON object of AOR → identities, e.g. ${EXAMPLE}`);
  const table = new Map<string, readonly string[]>();
  for (const [aor, value] of Object.entries(json)) table.set(aor, entry(aor, value, defaultDomain, fail));
  return table;
}
