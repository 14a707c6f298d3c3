import { ConfigError, StoreError } from '../../src/errors/sdk-error';
import { silentLogger } from '../../src/ports/logger';
import { invalidParam, MiError, MI_ERROR_CODES, type MiCommand, type MiParams } from '../../src/management/mi-command';
import { startMiServer, type MiServer } from '../../src/management/mi-server';
import { miCall } from '../helpers/mi-call';

/** A command recording its calls: `echo` answers its parameters, `boom` throws a driver error holding a secret, `refuse` a MiError. */
function fixtures(calls: MiParams[]): MiCommand[] {
  return [
    {
      name: 'echo',
      help: 'answers its parameters',
      params: [
        { name: 'aor', kind: 'string', required: true, help: 'an AOR' },
        { name: 'expires', kind: 'integer', help: 'seconds' },
        { name: 'statistics', kind: 'string[]', help: 'names' },
        { name: 'force', kind: 'boolean', help: 'a flag' },
      ],
      run(params) {
        calls.push(params);
        return params;
      },
    },
    { name: 'boom', help: 'fails', params: [], run: () => Promise.reject(new Error('redis://:s3cret@10.0.0.1 refused')) },
    { name: 'refuse', help: 'refuses', params: [], run: () => { throw new MiError(MI_ERROR_CODES.notFound, 'AOR not found', { aor: 'x' }); } },
    { name: 'bad', help: 'checks', params: [], run: () => { throw invalidParam('contact', 'not a SIP URI'); } },
    { name: 'away', help: 'store down', params: [], run: () => Promise.reject(new StoreError('redis: connection is closed', { transient: true })) },
  ];
}

const post = (url: string, body: string, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('management interface server (JSON-RPC 2.0 over HTTP)', () => {
  const servers: MiServer[] = [];
  const calls: MiParams[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    calls.length = 0;
  });
  const start = async (extra: { token?: string; listen?: string; health?: () => Promise<{ ok: boolean; detail?: unknown }>; metrics?: () => Promise<{ contentType: string; body: string }> } = {}): Promise<MiServer> => {
    const server = await startMiServer({ listen: 'http:127.0.0.1:0', commands: fixtures(calls), logger: silentLogger, maxBodyBytes: 4096, ...extra });
    servers.push(server);
    return server;
  };

  test('parameters by name and positional (OpenSIPS-style), with integer strings, lone strings as lists and boolean words', async () => {
    const { url } = await start();
    expect((await miCall(url, 'echo', { aor: 'sip:a@x', expires: 60, statistics: ['all'] })).result).toEqual({ aor: 'sip:a@x', expires: 60, statistics: ['all'] });
    expect((await miCall(url, 'echo', ['sip:a@x', '3600', 'registrar:', 'true'])).result).toEqual({ aor: 'sip:a@x', expires: 3600, statistics: ['registrar:'], force: true });
  });

  test('a batch is answered in order; notifications run and get no answer', async () => {
    const { url } = await start();
    const batch = [
      { jsonrpc: '2.0', method: 'echo', params: { aor: 'one' }, id: 'a' },
      { jsonrpc: '2.0', method: 'echo', params: { aor: 'note' } },
      { jsonrpc: '2.0', method: 'nope', id: 2 },
      1,
    ];
    const response = await post(url, JSON.stringify(batch));
    expect(response.status).toBe(200);
    const answers = (await response.json()) as { id: unknown; result?: unknown; error?: { code: number } }[];
    expect(answers.map((a) => [a.id, a.error?.code ?? a.result])).toEqual([['a', { aor: 'one' }], [2, -32601], [null, -32600]]);
    expect(calls.map((c) => c.aor)).toEqual(['one', 'note']);
    const onlyNotification = await post(url, JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { aor: 'n' } }));
    expect(onlyNotification.status).toBe(204);
  });

  test('each JSON-RPC error: parse, invalid request, unknown method, bad parameters named, MiError as given, internal without details', async () => {
    const { url } = await start();
    const parse = (await (await post(url, '{"jsonrpc":')).json()) as { error: { code: number }; id: unknown };
    expect(parse).toMatchObject({ error: { code: -32700 }, id: null });
    expect(((await (await post(url, '[]')).json()) as { error: { code: number } }).error.code).toBe(-32600);
    expect(((await (await post(url, '{"jsonrpc":"1.0","method":"echo","id":3}')).json()) as { error: { code: number }; id: unknown })).toMatchObject({ error: { code: -32600 }, id: 3 });
    expect((await miCall(url, 'ul_nothing')).error).toMatchObject({ code: -32601, message: expect.stringContaining("'ul_nothing'"), data: { method: 'ul_nothing' } });
    expect((await miCall(url, 'echo', {})).error).toMatchObject({ code: -32602, message: "parameter 'aor': missing", data: { param: 'aor' } });
    expect((await miCall(url, 'echo', { aor: 'a', expires: 'soon' })).error).toMatchObject({ code: -32602, data: { param: 'expires' } });
    expect((await miCall(url, 'echo', { aor: 'a', expires: 1.5 })).error).toMatchObject({ code: -32602, data: { param: 'expires' } });
    expect((await miCall(url, 'echo', { aor: 'a', colour: 'red' })).error).toMatchObject({ code: -32602, message: expect.stringContaining("'colour'"), data: { param: 'colour' } });
    expect((await miCall(url, 'echo', ['a', 1, 'x', true, 'extra'])).error).toMatchObject({ code: -32602 });
    expect((await miCall(url, 'refuse')).error).toEqual({ code: -32004, message: 'AOR not found', data: { aor: 'x' } });
    expect((await miCall(url, 'bad')).error).toMatchObject({ code: -32602, data: { param: 'contact' } });
    const internal = (await miCall(url, 'boom')).error;
    expect(internal).toEqual({ code: -32603, message: "internal error running 'boom'; see the server log" });
    expect((await miCall(url, 'away')).error).toEqual({ code: -32003, message: "the store is unavailable; try 'away' again" });
    expect(calls).toEqual([]);
  });

  test('a body over the cap gets 413 and runs nothing', async () => {
    const { url } = await start();
    const big = JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { aor: 'x'.repeat(5000) }, id: 1 });
    expect((await post(url, big)).status).toBe(413);
    expect(calls).toEqual([]);
  });

  test('token: wrong or missing → 401 with WWW-Authenticate: Bearer, nothing run; the right one runs; /health stays open', async () => {
    const { url } = await start({ token: 'tok-123', metrics: async () => ({ contentType: 'text/plain', body: 'm 1\n' }) });
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'echo', params: { aor: 'x' }, id: 1 });
    for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: 'Basic dG9rLTEyMw==' }]) {
      const response = await post(url, body, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect((await fetch(url.replace('/mi', '/metrics'))).status).toBe(401);
    expect(calls).toEqual([]);
    expect((await miCall(url, 'echo', { aor: 'x' }, 'tok-123')).result).toEqual({ aor: 'x' });
    const metrics = await fetch(url.replace('/mi', '/metrics'), { headers: { authorization: 'Bearer tok-123' } });
    expect([metrics.status, await metrics.text()]).toEqual([200, 'm 1\n']);
    expect((await fetch(url.replace('/mi', '/health'))).status).toBe(200);
  });

  test('a non-loopback address without a token is refused at start, naming --mi-token; loopback forms pass', async () => {
    await expect(startMiServer({ listen: 'http:0.0.0.0:0', commands: [], logger: silentLogger })).rejects.toThrow(ConfigError);
    await expect(startMiServer({ listen: 'http:0.0.0.0:0', commands: [], logger: silentLogger })).rejects.toThrow(/--mi-token/);
    await expect(startMiServer({ listen: 'localhost:8888', commands: [], logger: silentLogger })).rejects.toThrow(/http:IP:PORT/);
    servers.push(await startMiServer({ listen: 'http:127.0.0.2:0', commands: [], logger: silentLogger }));
  });

  test('/health: 200 {status: ok}, 503 with the detail; /metrics 404 without metrics; wrong method 405', async () => {
    let ok = true;
    const { url } = await start({ health: async () => (ok ? { ok } : { ok, detail: 'store did not answer' }) });
    const health = url.replace('/mi', '/health');
    const up = await fetch(health);
    expect([up.status, await up.json()]).toEqual([200, { status: 'ok' }]);
    ok = false;
    const down = await fetch(health);
    expect([down.status, await down.json()]).toEqual([503, { status: 'unavailable', detail: 'store did not answer' }]);
    expect((await fetch(url.replace('/mi', '/metrics'))).status).toBe(404);
    expect((await fetch(url)).status).toBe(405);
  });
});
