import { ConfigError } from '../errors/sdk-error';
import { flagInteger, readDigits, splitNamedFlags } from './flag-string';
import type { LookupOptions } from './lookup-options';

const NAMES = new Set([
  'no-branches', 'to-branches-only', 'branch', 'method-filtering', 'ua-filtering', 'case-insensitive',
  'extended-regexp', 'global', 'max-ping-latency', 'sort-by-latency',
]);

/**
 * Convert a POSIX basic regular expression (OpenSIPS `u` flag without `e`) to JavaScript:
 * in BRE `+ ? | ( ) { }` are literal and their backslashed forms are operators.
 */
export function basicRegexToJs(source: string): string {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\' && i + 1 < source.length) {
      const n = source[++i];
      out += '+?|(){}'.includes(n) ? n : `\\${n}`;
    } else {
      out += '+?|(){}'.includes(c) ? `\\${c}` : c;
    }
  }
  return out;
}

function uaRegex(value: string, caseInsensitive: boolean, extended: boolean): RegExp {
  if (value.length < 2 || !value.startsWith('/') || !value.endsWith('/')) {
    throw new ConfigError(`lookup user-agent filter must be written /regexp/, got '${value}'`);
  }
  const body = value.slice(1, -1);
  try {
    return new RegExp(extended ? body : basicRegexToJs(body), caseInsensitive ? 'i' : '');
  } catch (cause) {
    throw new ConfigError(`lookup user-agent filter ${value} is not a valid regular expression`, { cause });
  }
}

const GLOBAL_UNSUPPORTED = "lookup flag 'global' (g) needs OpenSIPS federated user location clustering; sipreg shares location through a shared store instead: drop the flag";

/**
 * Turn an OpenSIPS `lookup()` flag string into {@link LookupOptions}: the old letters
 * (`"bm"`, `"u/phone/i"`, `"y500Y"`) or the OpenSIPS 3.x comma form
 * (`"method-filtering, ua-filtering=/phone/, case-insensitive"`).
 * `r`/`branch` yields `branchAors: []`: fill in the AORs of your branches.
 * Throws {@link ConfigError} on an unknown flag or a bad value.
 */
export function parseLookupFlags(flags: string): LookupOptions {
  const out: { -readonly [K in keyof LookupOptions]: LookupOptions[K] } = {};
  let ua: string | undefined;
  let caseInsensitive = false;
  let extended = false;
  const named = splitNamedFlags(flags, NAMES);
  if (named !== undefined) {
    for (const { name, value } of named) {
      switch (name) {
        case 'no-branches': out.noBranches = true; break;
        case 'to-branches-only': out.toBranchesOnly = true; break;
        case 'branch': out.branchAors = []; break;
        case 'method-filtering': out.methodFiltering = true; break;
        case 'ua-filtering':
          if (value === undefined) throw new ConfigError(`lookup flag 'ua-filtering' needs a value: ua-filtering=/regexp/`);
          ua = value;
          break;
        case 'case-insensitive': caseInsensitive = true; break;
        case 'extended-regexp': extended = true; break;
        case 'global': throw new ConfigError(GLOBAL_UNSUPPORTED);
        case 'max-ping-latency': out.maxPingLatencyUs = flagInteger(name, value, 'lookup'); break;
        case 'sort-by-latency': out.sortByLatency = true; break;
      }
    }
  } else {
    for (let i = 0; i < flags.length; ) {
      const c = flags[i++];
      switch (c) {
        case 'b': out.noBranches = true; break;
        case 'B': out.toBranchesOnly = true; break;
        case 'r': out.branchAors = []; break;
        case 'm': out.methodFiltering = true; break;
        case 'i': caseInsensitive = true; break;
        case 'e': extended = true; break;
        case 'g': throw new ConfigError(GLOBAL_UNSUPPORTED);
        case 'Y': out.sortByLatency = true; break;
        case 'y': [out.maxPingLatencyUs, i] = readDigits(flags, i, 'y', 'lookup'); break;
        case 'u': {
          const end = flags[i] === '/' ? flags.indexOf('/', i + 1) : -1;
          if (end < 0) throw new ConfigError(`lookup flag 'u' must be followed by /regexp/ in '${flags}'`);
          ua = flags.slice(i, end + 1);
          i = end + 1;
          break;
        }
        case ' ': case ',': break;
        default:
          throw new ConfigError(`unknown lookup flag '${c}' in '${flags}' (known: b B r m u/re/ i e yNN Y, or the comma form no-branches, to-branches-only, branch, method-filtering, ua-filtering=/re/, case-insensitive, extended-regexp, max-ping-latency=N, sort-by-latency)`);
      }
    }
  }
  if (ua !== undefined) out.uaFilter = uaRegex(ua, caseInsensitive, extended);
  return out;
}
