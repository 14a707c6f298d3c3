import { StoreError } from '../errors/sdk-error';
import type { Logger } from '../ports/logger';
import { checkMiParams } from './check-mi-params';
import { MiError, MI_ERROR_CODES, type MiCommand } from './mi-command';

/** A JSON-RPC 2.0 request id (§4): a string, a number or null. */
type RpcId = string | number | null;

/** One JSON-RPC 2.0 response object (§5). */
type RpcResponse =
  | { readonly jsonrpc: '2.0'; readonly result: unknown; readonly id: RpcId }
  | { readonly jsonrpc: '2.0'; readonly error: { readonly code: number; readonly message: string; readonly data?: unknown }; readonly id: RpcId };

const errorResponse = (id: RpcId, e: MiError): RpcResponse => ({
  jsonrpc: '2.0',
  error: { code: e.code, message: e.message, ...(e.data === undefined ? {} : { data: e.data }) },
  id,
});

const isId = (id: unknown): id is RpcId => id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));

/**
 * Answer one request object; undefined for a notification (no `id`, §4.1), which runs but gets no
 * answer. A command's {@link MiError} is answered as it is; any other throw is -32603 with a
 * message naming the command only (its stack and text, which may hold a driver's details, go to
 * the log).
 */
async function answerOne(commands: ReadonlyMap<string, MiCommand>, request: unknown, logger: Logger): Promise<RpcResponse | undefined> {
  const r = request as { jsonrpc?: unknown; method?: unknown; params?: unknown; id?: unknown };
  const valid = typeof request === 'object' && request !== null && !Array.isArray(request)
    && r.jsonrpc === '2.0' && typeof r.method === 'string'
    && (r.params === undefined || typeof r.params === 'object') && r.params !== null
    && (!('id' in r) || isId(r.id));
  if (!valid) {
    return errorResponse(isId(r?.id) ? r.id : null, new MiError(MI_ERROR_CODES.invalidRequest, 'invalid request: a JSON-RPC 2.0 request is an object with "jsonrpc": "2.0", a string "method", optional "params" (object or array) and an optional "id" (string, number or null)'));
  }
  const id = 'id' in r ? (r.id as RpcId) : undefined;
  const method = r.method as string;
  const command = commands.get(method);
  const answer = async (): Promise<RpcResponse> => {
    if (command === undefined) {
      return errorResponse(id ?? null, new MiError(MI_ERROR_CODES.methodNotFound, `method '${method}' not found; 'which' lists the commands`, { method }));
    }
    const params = checkMiParams(command, r.params);
    if (params instanceof MiError) return errorResponse(id ?? null, params);
    try {
      return { jsonrpc: '2.0', result: (await command.run(params)) ?? null, id: id ?? null };
    } catch (e) {
      if (e instanceof MiError) return errorResponse(id ?? null, e);
      // A store that is away for now (Redis down ...): the caller may try again.
      if (e instanceof StoreError && e.transient) return errorResponse(id ?? null, new MiError(MI_ERROR_CODES.unavailable, `the store is unavailable; try '${method}' again`));
      logger.error({ error: e, method }, 'management command failed');
      return errorResponse(id ?? null, new MiError(MI_ERROR_CODES.internalError, `internal error running '${method}'; see the server log`));
    }
  };
  const response = await answer();
  return id === undefined ? undefined : response;
}

/**
 * The JSON-RPC 2.0 answer to an HTTP body (OpenSIPS `mi_jsonrpc`, Kamailio `jsonrpcs`): a single
 * request or a batch (§6, answered in order, the commands run one after the other), as JSON text;
 * undefined when nothing is to be answered (only notifications). A body that is not JSON gets
 * -32700, an empty batch or a malformed request -32600, an unknown method -32601 naming it, bad
 * parameters -32602 naming the parameter.
 */
export async function answerJsonRpc(commands: ReadonlyMap<string, MiCommand>, body: string, logger: Logger): Promise<string | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    return JSON.stringify(errorResponse(null, new MiError(MI_ERROR_CODES.parseError, `parse error: ${e instanceof Error ? e.message : String(e)}`)));
  }
  if (!Array.isArray(parsed)) {
    const one = await answerOne(commands, parsed, logger);
    return one === undefined ? undefined : JSON.stringify(one);
  }
  if (parsed.length === 0) return JSON.stringify(errorResponse(null, new MiError(MI_ERROR_CODES.invalidRequest, 'invalid request: an empty batch')));
  const answers: RpcResponse[] = [];
  for (const request of parsed) {
    const one = await answerOne(commands, request, logger);
    if (one !== undefined) answers.push(one);
  }
  return answers.length === 0 ? undefined : JSON.stringify(answers);
}
