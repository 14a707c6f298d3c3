/** A JSON-RPC 2.0 response of the management interface: `result`, or `error` with its code. */
export interface MiResponse {
  readonly jsonrpc: '2.0';
  readonly id: string | number | null;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/**
 * Call `method` on the management interface at `url` (`http://127.0.0.1:PORT/mi`) over real HTTP
 * and resolve to the JSON-RPC response; rejects when the HTTP status is not 200 (e.g. 401 without
 * the token), with the status and body in the message.
 * @param params - by name (an object) or positional (an array, OpenSIPS-style).
 * @param token - sent as `Authorization: Bearer TOKEN`.
 */
export async function miCall(url: string, method: string, params?: Readonly<Record<string, unknown>> | readonly unknown[], token?: string): Promise<MiResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
    body: JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), id: 1 }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`MI ${method}: HTTP ${response.status}: ${text}`);
  return JSON.parse(text) as MiResponse;
}
