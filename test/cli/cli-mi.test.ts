import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { packageVersion } from '../../src/cli/package-version';
import { buildRegister } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import { miCall } from '../helpers/mi-call';
import { runToExit } from '../helpers/run-to-exit';
import { spawnManaged, type ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startCliCommand } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { useCliFixture } from '../helpers/use-cli-fixture';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

describe('sipreg CLI: --mi-listen (JSON-RPC 2.0 over HTTP) and sipreg mi', () => {
  const fixture = useCliFixture('sipreg-cli-mi-');
  const { started, peers } = fixture;

  /** A CLI registrar with the management interface on a free port, once it has printed its mi line; its SIP port and MI URL. */
  const startRegistrar = async (extra: readonly string[] = []): Promise<{ sip: number; url: string; server: ManagedProcess }> => {
    const sip = await freePort();
    const mi = await freePort('tcp');
    const server = spawnManaged(process.execPath, [...CLI, 'registrar', '--listen', `udp:127.0.0.1:${sip}`, '--store', 'memory', '--max-contacts', '1', '--mi-listen', `http:127.0.0.1:${mi}`, ...extra], { cwd: fixture.dir, killAfterMs: 60_000 });
    started.push(server);
    const url = `http://127.0.0.1:${mi}/mi`;
    await server.waitForLine(`sipreg registrar mi on ${url}`, 20_000);
    return { sip, url, server };
  };

  /** REGISTER one contact of `user` through a new phone; the status of the reply. */
  const register = async (sip: number, user: string, contacts = 1): Promise<number> => {
    const phone = await UdpSipPeer.open({ user });
    peers.push(phone);
    const request = buildRegister({
      aor: `sip:${user}@example.com`,
      requestUri: 'sip:example.com',
      via: { port: phone.port },
      contacts: Array.from({ length: contacts }, (_, i) => ({ uri: `sip:${user}@127.0.0.1:${phone.port + i}`, expires: 600 })),
    });
    return (await phone.request(request, sip)).status;
  };

  const sipregMi = (args: readonly string[], env: Record<string, string> = {}): ReturnType<typeof runToExit> =>
    runToExit('env', [...Object.entries(env).map(([k, v]) => `${k}=${v}`), process.execPath, ...CLI, 'mi', ...args], fixture.dir);

  it('every core command over HTTP against the running registrar: statistics follow the REGISTERs, reset zeroes only what it names', async () => {
    const { sip, url } = await startRegistrar();
    expect(await register(sip, 'alice')).toBe(200);
    expect(await register(sip, 'bob')).toBe(200);
    expect(await register(sip, 'carol', 2)).toBe(503); // max_contacts: OpenSIPS answers 503
    const stats = await miCall(url, 'get_statistics', { statistics: ['registrar:', 'usrloc:'] });
    expect(stats.result).toEqual({
      'registrar:max_expires': 0,
      'registrar:max_contacts': 1,
      'registrar:default_expire': 3600,
      'registrar:accepted_regs': 2,
      'registrar:rejected_regs': 1,
      'usrloc:registered_users': 2,
      'usrloc:location-users': 2,
      'usrloc:location-contacts': 2,
      'usrloc:location-expires': 0,
    });
    expect((await miCall(url, 'get_statistics', ['accepted_regs'])).result).toEqual({ 'registrar:accepted_regs': 2 });
    expect(Object.keys((await miCall(url, 'get_statistics', { statistics: ['all'] })).result as object)).toHaveLength(9);
    expect((await miCall(url, 'get_statistics', { statistics: ['nosuch:'] })).error).toMatchObject({ code: -32602, data: { param: 'statistics' } });
    expect((await miCall(url, 'reset_statistics', { statistics: ['registrar:accepted_regs'] })).result).toEqual({ 'registrar:accepted_regs': 0 });
    expect(await register(sip, 'dave')).toBe(200);
    expect((await miCall(url, 'get_statistics', { statistics: ['registrar:accepted_regs', 'registrar:rejected_regs', 'usrloc:location-contacts'] })).result)
      .toEqual({ 'registrar:accepted_regs': 1, 'registrar:rejected_regs': 1, 'usrloc:location-contacts': 3 });

    expect((await miCall(url, 'uptime')).result).toEqual({ Now: expect.any(String), 'Up since': expect.any(String), 'Up time': expect.stringMatching(/^\d+ \[sec\]$/) });
    expect((await miCall(url, 'version')).result).toMatchObject({ version: packageVersion(), node: process.version, Server: expect.stringContaining(`sipreg (${packageVersion()}`) });
    const which = (await miCall(url, 'which')).result as { name: string; params: { name: string }[] }[];
    expect(which.map((c) => c.name)).toEqual(expect.arrayContaining(['uptime', 'version', 'which', 'get_statistics', 'reset_statistics', 'ul_dump', 'ul_show_contact', 'push_pending']));
    expect(which.find((c) => c.name === 'get_statistics')?.params).toEqual([expect.objectContaining({ name: 'statistics', kind: 'string[]', required: true })]);
    expect((await miCall(url, 'which', { command: 'uptime' })).result).toEqual([{ name: 'uptime', help: expect.any(String), params: [] }]);
    expect((await miCall(url, 'ul_nothing')).error).toMatchObject({ code: -32601 });

    const health = await fetch(url.replace('/mi', '/health'));
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('token: a non-loopback --mi-listen without one is refused at start; wrong or missing → 401 and nothing reset; sipreg mi takes it from a file or the environment', async () => {
    const refused = await runToExit(process.execPath, [...CLI, 'registrar', '--listen', `udp:127.0.0.1:${await freePort()}`, '--store', 'memory', '--mi-listen', 'http:0.0.0.0:0'], fixture.dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--mi-token');
    const tokenFile = join(fixture.dir, 'mi-token');
    writeFileSync(tokenFile, 'tok-7f3a\n');
    const { sip, url, server } = await startRegistrar(['--mi-token-file', tokenFile]);
    expect(await register(sip, 'alice')).toBe(200);
    await expect(miCall(url, 'reset_statistics', { statistics: ['all'] })).rejects.toThrow(/HTTP 401/);
    await expect(miCall(url, 'reset_statistics', { statistics: ['all'] }, 'wrong')).rejects.toThrow(/HTTP 401/);
    expect((await miCall(url, 'get_statistics', ['accepted_regs'], 'tok-7f3a')).result).toEqual({ 'registrar:accepted_regs': 1 });
    const missing = await sipregMi(['get_statistics', 'statistics=accepted_regs', '--mi-url', url]);
    expect([missing.code, missing.stderr]).toEqual([1, expect.stringContaining('HTTP 401')]);
    const fromFile = await sipregMi(['get_statistics', 'statistics=accepted_regs', '--mi-url', url, '--mi-token-file', tokenFile]);
    expect([fromFile.code, JSON.parse(fromFile.stdout)]).toEqual([0, { 'registrar:accepted_regs': 1 }]);
    const fromEnv = await sipregMi(['get_statistics', 'accepted_regs', '--mi-url', url], { SIPREG_MI_TOKEN: 'tok-7f3a' });
    expect([fromEnv.code, JSON.parse(fromEnv.stdout)]).toEqual([0, { 'registrar:accepted_regs': 1 }]);
    expect((await fetch(url.replace('/mi', '/health'))).status).toBe(200);
    expect(server.output()).not.toContain('tok-7f3a');
  });

  it('sipreg mi: JSON, --table, the JSON-RPC error with exit 1, usage errors with exit 2', async () => {
    const { sip, url } = await startRegistrar();
    expect(await register(sip, 'alice')).toBe(200);
    const json = await sipregMi(['get_statistics', 'statistics=["registrar:accepted_regs","usrloc:"]', '--mi-url', url]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ 'registrar:accepted_regs': 1, 'usrloc:location-contacts': 1 });
    const table = await sipregMi(['get_statistics', 'statistics=registrar:', '--table', '--mi-url', url]);
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+VALUE$/);
    expect(table.stdout).toMatch(/^registrar:accepted_regs\s+1$/m);
    const commands = await sipregMi(['which', '--table', `--mi-url=${url}`]);
    expect(commands.stdout.split('\n')[0]).toMatch(/^name\s+help\s+params$/);
    expect(commands.stdout).toMatch(/^uptime\s+/m);
    const failed = await sipregMi(['get_statistics', '--mi-url', url]);
    expect([failed.code, failed.stdout, failed.stderr.trim()]).toEqual([1, '', "sipreg: get_statistics: parameter 'statistics': missing (-32602)"]);
    const unknown = await sipregMi(['ul_nothing', '--mi-url', url]);
    expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining("method 'ul_nothing' not found")]);
    expect((await sipregMi([])).code).toBe(2);
    expect((await sipregMi(['get_statistics', 'statistics=all', 'extra', '--mi-url', url])).code).toBe(2);
    expect((await sipregMi(['uptime', '--mi-port', '1'])).code).toBe(2);
    const unreachable = await sipregMi(['uptime', '--mi-url', `http://127.0.0.1:${await freePort('tcp')}/mi`]);
    expect([unreachable.code, unreachable.stderr]).toEqual([1, expect.stringContaining('ECONNREFUSED')]);
  });

  it('/metrics of the registrar counts its REGISTER replies; mid-registrar and registrant serve their statistics groups and /health', async () => {
    const { sip, url } = await startRegistrar();
    expect(await register(sip, 'alice')).toBe(200);
    const scrape = await fetch(url.replace('/mi', '/metrics'));
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
    expect(await scrape.text()).toMatch(/^sipreg_register_replies_total\{code="200"\} 1$/m);

    const midMi = await freePort('tcp');
    const midListen = `udp:127.0.0.1:${await freePort()}`;
    started.push(await startCliCommand('mid-registrar', midListen, ['--store', 'memory', '--upstream', `udp:127.0.0.1:${await freePort()}`, '--mi-listen', `http:127.0.0.1:${midMi}`]));
    const midUrl = `http://127.0.0.1:${midMi}/mi`;
    expect((await miCall(midUrl, 'get_statistics', { statistics: ['mid_registrar:'] })).result)
      .toEqual({ 'mid_registrar:absorbed_regs': 0, 'mid_registrar:forwarded_regs': 0, 'mid_registrar:deregisters_sent': 0, 'mid_registrar:deregisters_failed': 0 });
    expect((await miCall(midUrl, 'get_statistics', ['registrar:accepted_regs'])).result).toEqual({ 'registrar:accepted_regs': 0 });
    expect(((await miCall(midUrl, 'which')).result as { name: string }[]).map((c) => c.name)).toEqual(expect.arrayContaining(['ul_dump', 'push_pending']));
    expect((await fetch(midUrl.replace('/mi', '/health'))).status).toBe(200);

    const file = join(fixture.dir, 'registrants.json');
    writeFileSync(file, '[]');
    const regMi = await freePort('tcp');
    started.push(await startCliCommand('registrant', `udp:127.0.0.1:${await freePort()}`, ['--registrants', file, '--mi-listen', `http:127.0.0.1:${regMi}`]));
    const regUrl = `http://127.0.0.1:${regMi}/mi`;
    expect((await miCall(regUrl, 'get_statistics', { statistics: ['all'] })).result)
      .toEqual({ 'uac_registrant:registrants': 0, 'uac_registrant:enabled_registrants': 0, 'uac_registrant:registered_registrants': 0, 'uac_registrant:failed_registrants': 0 });
    expect(((await miCall(regUrl, 'which')).result as { name: string }[]).map((c) => c.name)).toContain('reg_list');
    expect((await fetch(regUrl.replace('/mi', '/health'))).status).toBe(200);
  });
});
