/**
 * The TCP bounds of issue 23 as CLI flags: `--tcp-message-timeout`, `--tcp-max-connections` and
 * `--tcp-max-connections-per-ip` reach the transport of a running registrar, on real sockets.
 */
import { IdSequence } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import { runToExit } from '../helpers/run-to-exit';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startCliCommand } from '../helpers/start-sipreg';
import { registersOverTcp, tcpPeer, waitUntil, type TcpPeer } from '../transports/net-peers';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const ids = new IdSequence('cli-tcp-limits');
const peers: TcpPeer[] = [];
let server: ManagedProcess | undefined;
let port = 0;

afterAll(async () => {
  for (const peer of peers) peer.close();
  await server?.stop();
});

async function peerFrom(localAddress: string): Promise<TcpPeer> {
  const peer = await tcpPeer(port, localAddress);
  peers.push(peer);
  return peer;
}

const registers = (peer: TcpPeer): Promise<void> =>
  registersOverTcp(peer, ids, [`sip:alice@${peer.socket.localAddress}:${peer.socket.localPort};transport=tcp`]);

describe('sipreg registrar TCP limit flags', () => {
  it('lists the flags in --help and refuses a bad value naming the flag (exit 2)', async () => {
    const help = await runToExit(process.execPath, [...CLI, 'registrar', '--help']);
    for (const flag of ['tcp-message-timeout', 'tcp-max-connections', 'tcp-max-connections-per-ip']) expect(help.stdout).toMatch(new RegExp(`^  --${flag} `, 'm'));
    const bad = await runToExit(process.execPath, [...CLI, 'registrar', '--listen', 'tcp:127.0.0.1:0', '--store', 'memory', '--tcp-max-connections-per-ip', '0']);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('--tcp-max-connections-per-ip: tcpMaxConnectionsPerIp must be a positive integer, got 0') });
  });

  it('enforces the per-address cap, the global cap and the message deadline on a running registrar', async () => {
    port = await freePort('tcp');
    const listen = `tcp:127.0.0.1:${port}`;
    server = await startCliCommand('registrar', listen, ['--store', 'memory', '--tcp-max-connections', '2', '--tcp-max-connections-per-ip', '1', '--tcp-message-timeout', '300']);

    const a = await peerFrom('127.0.0.1');
    await registers(a);
    const sameAddress = await peerFrom('127.0.0.1');
    await waitUntil(sameAddress.closed, 'the second connection from 127.0.0.1 to be refused');

    const slow = await peerFrom('127.0.0.2');
    await slow.write('REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TCP');
    await waitUntil(slow.closed, 'the unfinished message to hit --tcp-message-timeout', 2000);

    const b = await peerFrom('127.0.0.2');
    await registers(b);
    const third = await peerFrom('127.0.0.3');
    await waitUntil(third.closed, 'a third connection to be refused by --tcp-max-connections');
    await registers(a);
    await registers(b);
  });
});
