import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { spawnManaged, type ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { useCliFixture } from '../helpers/use-cli-fixture';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

/** The JSON log entries in a process's output. */
function entries(server: ManagedProcess): Record<string, unknown>[] {
  return server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Whether a UDP socket can bind 127.0.0.1:`port` (nothing holds it any more). */
function udpPortFree(port: number): Promise<boolean> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => resolve(false));
    socket.bind({ port, address: '127.0.0.1', exclusive: true }, () => socket.close(() => resolve(true)));
  });
}

describe('sipreg CLI: startup lines and the debug request log', () => {
  const fixture = useCliFixture('sipreg-cli-startup-');
  const { started, peers } = fixture;

  const start = async (args: readonly string[], ready: readonly string[]): Promise<ManagedProcess> => {
    const server = spawnManaged(process.execPath, [...CLI, ...args], { cwd: fixture.dir, killAfterMs: 60_000 });
    started.push(server);
    for (const line of ready) await server.waitForLine(line, 20_000);
    return server;
  };

  it('registrar at debug level: names its socket and SQLite file, and logs each request and response as JSON without secrets', async () => {
    const port = await freePort();
    const server = await start(['registrar', '--listen', `udp:127.0.0.1:${port}`, '--store', 'sqlite:./location.db', '--log-level', 'debug'], [
      `sipreg registrar listening on udp:127.0.0.1:${port}`,
      `sipreg registrar store: sqlite ./location.db (${join(fixture.dir, 'location.db')})`,
    ]);
    const phone = await UdpSipPeer.open();
    peers.push(phone);
    const register = buildRegister({
      aor: 'sip:alice@example.com',
      requestUri: 'sip:example.com',
      callId: 'debug-log-call',
      via: { port: phone.port },
      headers: { Authorization: 'Digest username="alice", realm="example.com", response="secret-digest-response"' },
    });
    expect((await phone.request(register, port)).status).toBe(200);
    await eventually(() => entries(server).find((e) => e.msg === 'response sent'), 'the response log entry', 5_000, server.output);
    const source = `udp:127.0.0.1:${phone.port}`;
    const received = entries(server).find((e) => e.msg === 'request received');
    const sent = entries(server).find((e) => e.msg === 'response sent');
    expect(received).toMatchObject({ level: 'debug', method: 'REGISTER', aor: 'sip:alice@example.com', source, callId: 'debug-log-call' });
    expect(sent).toMatchObject({ level: 'debug', method: 'REGISTER', aor: 'sip:alice@example.com', source, callId: 'debug-log-call', status: 200 });
    expect(sent?.ms).toEqual(expect.any(Number));
    expect(server.output()).not.toContain('secret-digest-response');
  });

  it('registrar at info level: no request log; mid-registrar names its store and logs at debug level', async () => {
    const [registrarPort, midPort] = await Promise.all([freePort(), freePort()]);
    const quiet = await start(['registrar', '--listen', `udp:127.0.0.1:${registrarPort}`, '--store', 'memory'], [
      `sipreg registrar listening on udp:127.0.0.1:${registrarPort}`,
      'sipreg registrar store: memory',
    ]);
    const mid = await start(['mid-registrar', '--listen', `udp:127.0.0.1:${midPort}`, '--upstream', `udp:127.0.0.1:${registrarPort}`, '--store', 'memory', '--log-level', 'debug'], [
      `sipreg mid-registrar listening on udp:127.0.0.1:${midPort}`,
      'sipreg mid-registrar store: memory',
    ]);
    const phone = await UdpSipPeer.open();
    peers.push(phone);
    const options = (port: number): string => buildRequest('OPTIONS', { requestUri: `sip:127.0.0.1:${port}`, callId: `options-${port}`, via: { port: phone.port } });
    expect((await phone.request(options(registrarPort), registrarPort)).status).toBe(200);
    expect((await phone.request(options(midPort), midPort)).status).toBe(200);
    const sent = await eventually(() => entries(mid).find((e) => e.msg === 'response sent'), 'the response log entry', 5_000, mid.output);
    expect(sent).toMatchObject({ method: 'OPTIONS', callId: `options-${midPort}`, source: `udp:127.0.0.1:${phone.port}`, status: 200 });
    expect(entries(mid).find((e) => e.msg === 'request received')).toMatchObject({ method: 'OPTIONS', callId: `options-${midPort}` });
    expect(entries(quiet).filter((e) => e.level === 'debug')).toEqual([]);
  });

  it('registrant: names where its registrants come from and warns when there are none', async () => {
    writeFileSync(join(fixture.dir, 'registrants.json'), '[]');
    const port = await freePort();
    const server = await start(['registrant', '--registrants', 'registrants.json', '--listen', `udp:127.0.0.1:${port}`], [
      `sipreg registrant listening on udp:127.0.0.1:${port}`,
      `sipreg registrant registrants: json registrants.json (${join(fixture.dir, 'registrants.json')})`,
    ]);
    const warning = `sipreg registrant: the file at json registrants.json (${join(fixture.dir, 'registrants.json')}) has no registrants\n`;
    await eventually(() => (server.output().includes(warning) ? true : undefined), 'the no-registrants warning', 5_000, server.output);
  });

  it('npm start: names its store, and SIGTERM to npm stops the server and frees the port', async () => {
    const port = await freePort();
    const npm = spawnManaged('npm', ['start', '--', '--listen', `udp:127.0.0.1:${port}`, '--store', `sqlite:${join(fixture.dir, 'npm.db')}`], { cwd: REPOSITORY_ROOT, killAfterMs: 60_000 });
    started.push(npm);
    await npm.waitForLine(`sipreg registrar listening on udp:127.0.0.1:${port}`, 30_000);
    await npm.waitForLine(`sipreg registrar store: sqlite ${join(fixture.dir, 'npm.db')}`, 1_000);
    expect(await udpPortFree(port)).toBe(false);
    const exit = await npm.stop(10_000);
    expect(exit.signal).not.toBe('SIGKILL');
    await eventually(async () => ((await udpPortFree(port)) ? true : undefined), `port ${port} free`, 5_000, npm.output);
  });
});
