import { ConfigError } from '../errors/sdk-error';
import { flagInteger, readDigits, splitNamedFlags } from './flag-string';
import type { MatchingMode, SaveOptions } from './save-options';
import type { PathMode } from '../features/path/path-mode';

const NAMES = new Set([
  'memory-only', 'no-reply', 'socket-header', 'max-contacts', 'min-expires', 'max-expires',
  'force-registration', 'only-request-contacts', 'matching-mode',
  'path-off', 'path-lazy', 'path-strict', 'path-received',
]);

const PATH_MODES: Readonly<Record<string, PathMode>> = { '0': 'off', '1': 'lazy', '2': 'strict' };

function matchingMode(value: string): MatchingMode {
  if (value === '0') return 0;
  if (value === '1') return 1;
  const param = value.startsWith('<') && value.endsWith('>') ? value.slice(1, -1) : value;
  if (!/^[A-Za-z0-9_.!~*'+-]+$/.test(param)) {
    throw new ConfigError(`save matching mode must be 0, 1 or a URI parameter name, got '${value}'`);
  }
  return { param };
}

/**
 * Turn an OpenSIPS `save()` flag string into {@link SaveOptions}, so configurations port over.
 * Accepts the old letters (`"mc5e30E3600fo"`, `"M1"`, `"M<rinstance>"`) and the OpenSIPS 3.x
 * comma form (`"memory-only, max-contacts=5, matching-mode=rinstance"`).
 * Throws {@link ConfigError} on an unknown flag or a bad value.
 */
export function parseSaveFlags(flags: string): SaveOptions {
  const out: { -readonly [K in keyof SaveOptions]: SaveOptions[K] } = {};
  const named = splitNamedFlags(flags, NAMES);
  if (named !== undefined) {
    for (const { name, value } of named) {
      switch (name) {
        case 'memory-only': out.memoryOnly = true; break;
        case 'no-reply': out.noReply = true; break;
        case 'socket-header': out.socketHeader = true; break;
        case 'force-registration': out.forceRegistration = true; break;
        case 'only-request-contacts': out.onlyRequestContacts = true; break;
        case 'max-contacts': out.maxContacts = flagInteger(name, value, 'save'); break;
        case 'min-expires': out.minExpires = flagInteger(name, value, 'save'); break;
        case 'max-expires': out.maxExpires = flagInteger(name, value, 'save'); break;
        case 'path-off': out.path = 'off'; break;
        case 'path-lazy': out.path = 'lazy'; break;
        case 'path-strict': out.path = 'strict'; break;
        case 'path-received': out.pathReceived = true; break;
        case 'matching-mode':
          if (value === undefined) throw new ConfigError(`save flag 'matching-mode' needs a value (0, 1 or a parameter name)`);
          out.matchingMode = matchingMode(value);
          break;
      }
    }
    return out;
  }
  for (let i = 0; i < flags.length; ) {
    const c = flags[i++];
    switch (c) {
      case 'm': out.memoryOnly = true; break;
      case 'r': out.noReply = true; break;
      case 's': out.socketHeader = true; break;
      case 'f': out.forceRegistration = true; break;
      case 'o': out.onlyRequestContacts = true; break;
      case 'c': [out.maxContacts, i] = readDigits(flags, i, 'c', 'save'); break;
      case 'e': [out.minExpires, i] = readDigits(flags, i, 'e', 'save'); break;
      case 'E': [out.maxExpires, i] = readDigits(flags, i, 'E', 'save'); break;
      case 'M': {
        if (flags[i] === '<') {
          const end = flags.indexOf('>', i);
          if (end < 0) throw new ConfigError(`save flag 'M<' has no closing '>' in '${flags}'`);
          out.matchingMode = matchingMode(flags.slice(i, end + 1));
          i = end + 1;
        } else {
          out.matchingMode = matchingMode(flags[i] ?? '');
          i++;
        }
        break;
      }
      case 'p': {
        const mode = PATH_MODES[flags[i] ?? ''];
        if (mode === undefined) throw new ConfigError(`save flag 'p' needs a mode digit (p0 off, p1 lazy, p2 strict) in '${flags}'`);
        out.path = mode;
        i++;
        break;
      }
      case 'v': out.pathReceived = true; break;
      case ' ': case ',': break;
      default:
        throw new ConfigError(`unknown save flag '${c}' in '${flags}' (known: m r s cNN eNN ENN f o M0 M1 M<param> p0 p1 p2 v, or the comma form memory-only, no-reply, socket-header, max-contacts=N, min-expires=N, max-expires=N, force-registration, only-request-contacts, matching-mode=V, path-off, path-lazy, path-strict, path-received)`);
    }
  }
  return out;
}
