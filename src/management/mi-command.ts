/**
 * The management interface's commands (issue 21): each one an OpenSIPS MI command by name and
 * parameter names (`ul_dump`, `reg_list`, `get_statistics` ...), run by the JSON-RPC 2.0 server
 * over HTTP (`mi-server.ts`) and by `sipreg mi`.
 */

/** The JSON type of a command parameter, checked before the command runs. */
export type MiParamKind = 'string' | 'integer' | 'number' | 'boolean' | 'string[]';

/** One named parameter of a command, as OpenSIPS names it (`table_name`, `aor`, `contact` ...). */
export interface MiParam {
  readonly name: string;
  readonly kind: MiParamKind;
  /** @defaultValue false */
  readonly required?: boolean;
  /** What it is, for `which` and `sipreg mi --help`. */
  readonly help: string;
}

/** The parameters of one call, by name, each of its declared kind (absent when optional and not given). */
export type MiParams = Readonly<Record<string, unknown>>;

/** A management command: its OpenSIPS name, its parameters, and what it does. */
export interface MiCommand {
  readonly name: string;
  /** One line, for `which` and `sipreg mi --help`. */
  readonly help: string;
  readonly params: readonly MiParam[];
  /**
   * Run with checked parameters; the answer is the JSON-RPC `result`. A change goes through the
   * same compare-and-set and events as SIP traffic. Throw {@link MiError} for a refusal the caller
   * should see (not found, bad value ...); anything else is an internal error (-32603).
   */
  run(params: MiParams): unknown;
}

/** JSON-RPC 2.0 error codes (§5.1) and the server-defined ones the MI uses. */
export const MI_ERROR_CODES = Object.freeze({
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internalError: -32603,
  /** The command ran and refused: an unknown AOR, contact or registrant (OpenSIPS answers 404). */
  notFound: -32004,
  /** The command cannot run now (a store that is away): try again. */
  unavailable: -32003,
});

/** A refusal a command answers as a JSON-RPC error: `code` from {@link MI_ERROR_CODES}, `data` for details (the parameter at fault ...). */
export class MiError extends Error {
  readonly code: number;
  readonly data: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'MiError';
    this.code = code;
    this.data = data;
  }
}

/** The error for parameter `name`: missing, of the wrong kind or out of range (`why`). */
export function invalidParam(name: string, why: string): MiError {
  return new MiError(MI_ERROR_CODES.invalidParams, `parameter '${name}': ${why}`, { param: name });
}

/**
 * One OpenSIPS statistics group (`registrar:`, `usrloc:`, `mid_registrar:`, `uac_registrant:`): its
 * statistics by OpenSIPS name, read for `get_statistics` and `/metrics`, and reset by `reset_statistics`.
 */
export interface StatisticsGroup {
  /** The group name without the colon: `registrar`, `usrloc` ... */
  readonly group: string;
  /** Every statistic of the group, by name (`accepted_regs`, `registered_users` ...). */
  read(): Promise<Readonly<Record<string, number>>>;
  /**
   * Zero the counters that can be reset (gauges such as `registered_users` stay); absent when none
   * can; with `names`, only those of them. Resolves once the next {@link StatisticsGroup.read}
   * reads them from zero.
   */
  reset?(names?: readonly string[]): void | Promise<void>;
}
