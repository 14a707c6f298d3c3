import { invalidParam, MiError, MI_ERROR_CODES, type MiCommand, type MiParam, type MiParams } from './mi-command';

/** The value of `param` as its kind, or the {@link MiError} naming it. */
function checkKind(param: MiParam, value: unknown): unknown {
  switch (param.kind) {
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
      break;
    case 'integer':
    case 'number': {
      // opensips-cli sends positional values as strings: '3600' is 3600.
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n === 'number' && Number.isFinite(n) && (param.kind === 'number' || Number.isInteger(n))) return n;
      break;
    }
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (value === 1 || value === '1' || value === 'true') return true;
      if (value === 0 || value === '0' || value === 'false') return false;
      break;
    case 'string[]':
      // A lone name stands for a list of one (`statistics: "registrar:"`).
      if (typeof value === 'string') return [value];
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
      break;
  }
  const kinds = { string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', 'string[]': 'an array of strings' };
  return invalidParam(param.name, `must be ${kinds[param.kind]}, got ${JSON.stringify(value)}`);
}

/**
 * The parameters of one JSON-RPC call checked against `command`'s declared ones: by name (an
 * object), or positional as OpenSIPS MI takes them (an array, mapped onto the declared parameters
 * in order). Returns the {@link MiError} (-32602) naming the parameter that is missing, unknown
 * or of the wrong kind.
 */
export function checkMiParams(command: MiCommand, given: unknown): MiParams | MiError {
  let byName: Record<string, unknown>;
  if (given === undefined) byName = {};
  else if (Array.isArray(given)) {
    if (given.length > command.params.length) {
      return new MiError(MI_ERROR_CODES.invalidParams, `'${command.name}' takes ${command.params.length} parameter(s) (${command.params.map((p) => p.name).join(', ') || 'none'}), got ${given.length}`);
    }
    byName = Object.fromEntries(given.map((v, i) => [command.params[i].name, v]));
  } else byName = { ...(given as Record<string, unknown>) };
  const declared = new Set(command.params.map((p) => p.name));
  const unknown = Object.keys(byName).find((name) => !declared.has(name));
  if (unknown !== undefined) return invalidParam(unknown, `unknown to '${command.name}', which takes ${command.params.map((p) => p.name).join(', ') || 'none'}`);
  const out: Record<string, unknown> = {};
  for (const param of command.params) {
    const value = byName[param.name];
    if (value === undefined || value === null) {
      if (param.required === true) return invalidParam(param.name, 'missing');
      continue;
    }
    const checked = checkKind(param, value);
    if (checked instanceof MiError) return checked;
    out[param.name] = checked;
  }
  return out;
}
