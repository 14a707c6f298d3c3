import { TransportError } from '../errors/sdk-error';

/** The errno code of a socket error (`EADDRINUSE`, `ECONNREFUSED` ...), else its message, for log and error texts. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : String((error as Error | null)?.message ?? error);
}

/** `error` itself when it is an `Error`, else a {@link TransportError} describing it. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new TransportError(String(error));
}
