/**
 * `--udp-mtu BYTES` (OpenSIPS core `udp_mtu`, RFC 3261 §18.1.1) on `sipreg registrar` and
 * `sipreg mid-registrar`: listed, checked before anything opens, and obeyed on the wire by a
 * registrar listening on UDP and TCP.
 */
import { IdSequence, buildRegister, buildRequest } from '../../src/testing/message-builders';
import { freeUdpTcpPort } from '../helpers/free-udp-tcp-port';
import { runToExit } from '../helpers/run-to-exit';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startCliCommand } from '../helpers/start-sipreg';
import { startUdpTcpCallee, type UdpTcpCallee } from '../helpers/udp-tcp-callee';
import { udpPeer, waitUntil, type UdpPeer } from '../transports/net-peers';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const ids = new IdSequence('cli-udp-mtu');
let server: ManagedProcess | undefined;
let callee: UdpTcpCallee | undefined;
let caller: UdpPeer | undefined;

afterAll(async () => {
  await caller?.close();
  await callee?.close();
  await server?.stop();
});

describe('sipreg --udp-mtu', () => {
  it('is listed in --help of registrar and mid-registrar, and a value outside 0..65535 is a usage error naming the flag (exit 2)', async () => {
    const runs = await Promise.all([
      ...['registrar', 'mid-registrar'].map((command) => runToExit(process.execPath, [...CLI, command, '--help'])),
      runToExit(process.execPath, [...CLI, 'registrar', '--listen', 'udp:127.0.0.1:0', '--store', 'memory', '--udp-mtu', '-1']),
      runToExit(process.execPath, [...CLI, 'mid-registrar', '--listen', 'udp:127.0.0.1:0', '--store', 'memory', '--upstream', 'udp:127.0.0.1:5060', '--udp-mtu', '70000']),
    ]);
    const [registrarHelp, midHelp, registrarBad, midBad] = runs;
    for (const help of [registrarHelp, midHelp]) expect(help.stdout).toMatch(/^ {2}--udp-mtu .*\(1300\)$/m);
    expect(registrarBad).toMatchObject({ code: 2, stderr: expect.stringContaining('--udp-mtu: RegistrarServerOptions.udpMtu must be an integer in 0..65535, got -1') });
    expect(midBad).toMatchObject({ code: 2, stderr: expect.stringContaining('--udp-mtu: RegistrarServerOptions.udpMtu must be an integer in 0..65535, got 70000') });
  });

  it('with --udp-mtu 600 a 900-byte MESSAGE goes over TCP and a 100-byte one over UDP to a UA registered over UDP', async () => {
    const port = await freeUdpTcpPort();
    server = await startCliCommand('registrar', `udp:127.0.0.1:${port}`, ['--listen', `tcp:127.0.0.1:${port}`, '--store', 'memory', '--udp-mtu', '600']);
    callee = await startUdpTcpCallee();
    await callee.sendUdp(buildRegister({ aor: 'sip:bob@example.com', contacts: [`sip:bob@127.0.0.1:${callee.port}`], via: { port: callee.port, rport: true }, ids }), port);
    await waitUntil(() => callee!.responses.some((r) => r.status === 200), "the 200 to bob's REGISTER", 5_000);
    caller = await udpPeer();
    for (const [n, size] of [[1, 100], [2, 900]]) {
      await caller.send(buildRequest('MESSAGE', { to: 'sip:bob@example.com', body: 'x'.repeat(size), via: { port: caller.port, rport: true }, ids }), port);
      expect(await caller.nth(n)).toMatch(/^SIP\/2\.0 200 OK/);
    }
    const [small, large] = [await callee.nth(1), await callee.nth(2)];
    expect([small.protocol, small.bytes < 600, large.protocol, large.bytes > 600]).toEqual(['udp', true, 'tcp', true]);
  });
});
