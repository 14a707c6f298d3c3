import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '../errors/sdk-error';
import type { Logger } from '../ports/logger';
import { answerJsonRpc } from './answer-json-rpc';
import type { MiCommand } from './mi-command';
import { isLoopbackHost, parseMiListen } from './mi-listen';

/** Options of {@link startMiServer}. */
export interface MiServerOptions {
  /** `http:IP:PORT` (`--mi-listen`); port 0 takes a free one. */
  readonly listen: string;
  readonly commands: readonly MiCommand[];
  /**
   * The bearer token every `/mi` and `/metrics` request must carry (`Authorization: Bearer
   * TOKEN`, RFC 6750 §2.1). Required when `listen` is not a loopback address.
   */
  readonly token?: string;
  readonly logger: Logger;
  /** The body of `GET /metrics` (Prometheus text format); without it `/metrics` is 404. */
  readonly metrics?: () => Promise<{ readonly contentType: string; readonly body: string }>;
  /** Whether the server can serve (its store answers): `GET /health` is 200 or 503 with `detail`. Without it: 200. */
  readonly health?: () => Promise<{ readonly ok: boolean; readonly detail?: unknown }>;
  /**
   * Largest `/mi` request body, bytes; a larger one gets 413.
   * @defaultValue 1 MiB
   */
  readonly maxBodyBytes?: number;
}

/** A running management interface. */
export interface MiServer {
  /** Where JSON-RPC requests go: `http://127.0.0.1:8888/mi` (the bound port when 0 was asked). */
  readonly url: string;
  /** Stop listening and end open connections. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** `Authorization: Bearer TOKEN` compared in constant time (over both digests, so the length does not show either). */
function bearerMatches(request: IncomingMessage, tokenDigest: Buffer): boolean {
  const m = /^Bearer +(\S+) *$/i.exec(request.headers.authorization ?? '');
  return m !== null && timingSafeEqual(sha256(m[1]), tokenDigest);
}

function send(response: ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(body);
}

/** The request body, or undefined (and 413 sent, the rest of the body not read) once it passes `max` bytes. */
function readBody(request: IncomingMessage, response: ServerResponse, max: number): Promise<string | undefined> {
  const tooLarge = (): undefined => {
    send(response, 413, JSON.stringify({ error: `request body over ${max} bytes` }), { connection: 'close' });
    return undefined;
  };
  if (Number(request.headers['content-length'] ?? 0) > max) return Promise.resolve(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      if (size > max) return;
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
      else {
        chunks.length = 0;
        resolve(tooLarge());
      }
    });
    request.on('end', () => {
      if (size <= max) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    request.on('error', reject);
  });
}

/**
 * Serve the management interface over HTTP (OpenSIPS `httpd` + `mi_http`/`mi_jsonrpc`, Kamailio
 * `jsonrpcs`): `POST /mi` JSON-RPC 2.0 (single and batch, parameters by name or positional),
 * `GET /metrics` and `GET /health`. With a token, `/mi` and `/metrics` answer 401 with
 * `WWW-Authenticate: Bearer` (RFC 6750 §3) to a request without it, before reading its body or
 * running anything. `/health` never asks for the token: a load balancer or orchestrator probes it,
 * and it tells only whether the store answers. The token is never logged.
 * @throws {@link ConfigError} for a malformed `listen`, or a non-loopback one without a token.
 * @throws the listen error (`EADDRINUSE` ...) when the socket cannot be bound.
 */
export async function startMiServer(options: MiServerOptions): Promise<MiServer> {
  const { host, port } = parseMiListen(options.listen);
  if (options.token !== undefined && options.token.trim() === '') throw new ConfigError('the management interface token is empty; pass --mi-token TOKEN or a --mi-token-file with the token');
  if (options.token === undefined && !isLoopbackHost(host)) {
    throw new ConfigError(`the management interface on ${options.listen} is reachable from other hosts: pass --mi-token TOKEN (or --mi-token-file FILE) so that every request must carry it, or listen on 127.0.0.1`);
  }
  const commands = new Map(options.commands.map((c) => [c.name, c]));
  const tokenDigest = options.token === undefined ? undefined : sha256(options.token);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const { logger, metrics, health } = options;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    const method = request.method ?? 'GET';
    const route = path === '/mi' ? 'POST' : path === '/metrics' || path === '/health' ? 'GET' : undefined;
    if (route === undefined || (path === '/metrics' && metrics === undefined)) return send(response, 404, JSON.stringify({ error: `no ${path} here; JSON-RPC goes to POST /mi` }));
    if (method !== route) return send(response, 405, JSON.stringify({ error: `${path} takes ${route}` }), { allow: route });
    if (path === '/health') {
      const state = health === undefined ? { ok: true } : await health();
      return send(response, state.ok ? 200 : 503, JSON.stringify(state.ok ? { status: 'ok' } : { status: 'unavailable', detail: state.detail }));
    }
    if (tokenDigest !== undefined && !bearerMatches(request, tokenDigest)) {
      request.resume();
      return send(response, 401, JSON.stringify({ error: 'this management interface needs Authorization: Bearer TOKEN' }), { 'www-authenticate': 'Bearer realm="sipreg"' });
    }
    if (path === '/metrics' && metrics !== undefined) {
      const m = await metrics();
      response.writeHead(200, { 'content-type': m.contentType, 'cache-control': 'no-store' });
      response.end(m.body);
      return;
    }
    const body = await readBody(request, response, maxBody);
    if (body === undefined) return;
    const answer = await answerJsonRpc(commands, body, logger);
    if (answer === undefined) {
      response.writeHead(204);
      response.end();
    } else send(response, 200, answer);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((e: unknown) => {
      logger.error({ error: e, path: request.url }, 'management interface request failed');
      if (!response.headersSent) send(response, 500, JSON.stringify({ error: 'internal error; see the server log' }));
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (e) => logger.error({ error: e }, 'management interface error'));
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${bound}/mi`;
  logger.info({ url, token: tokenDigest !== undefined }, 'management interface listening');
  return {
    url,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
