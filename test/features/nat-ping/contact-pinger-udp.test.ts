import { createSocket, type Socket } from 'node:dgram';
import { createRegistrar, type Registrar } from '../../../src/registrar/registrar';
import { createContactPinger, type ContactPinger } from '../../../src/features/nat-ping/contact-pinger';
import { createNodeTransport, type NodeTransport } from '../../../src/transports/node-transport';
import { buildBinding } from '../../../src/testing/build-binding';
import { buildResponseText } from '../../../src/testing/message-builders';
import { parseSipMessage } from '../../../src/sip/sip-parser';
import { eventually } from '../../helpers/eventually';

/**
 * Contact pinging over real UDP sockets on 127.0.0.1: two phones that answer OPTIONS, one after
 * 10 ms and one after 150 ms; once both answered, a lookup with `sortByLatency` (OpenSIPS `Y`)
 * puts the quick one first although the slow one has the higher q.
 */

/** A UAS on a UDP socket of 127.0.0.1 that answers every OPTIONS 200 after `delayMs`. */
class DelayedUas {
  answered = 0;
  private constructor(readonly socket: Socket, readonly delayMs: number) {
    socket.on('message', (bytes, remote) => {
      const parsed = parseSipMessage(bytes);
      if (!parsed.ok || parsed.message.kind !== 'request' || parsed.message.method !== 'OPTIONS') return;
      const reply = buildResponseText(parsed.message, 200, 'OK');
      setTimeout(() => socket.send(reply, remote.port, remote.address, () => this.answered++), delayMs);
    });
  }

  static open(delayMs: number): Promise<DelayedUas> {
    const socket = createSocket('udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, '127.0.0.1', () => resolve(new DelayedUas(socket, delayMs)));
    });
  }

  get uri(): string {
    return `sip:phone@127.0.0.1:${this.socket.address().port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

let transport: NodeTransport | undefined;
let registrar: Registrar | undefined;
let pinger: ContactPinger | undefined;
const phones: DelayedUas[] = [];

afterEach(async () => {
  pinger?.close();
  await transport?.close();
  await registrar?.close();
  for (const p of phones.splice(0)) await p.close();
});

it('orders a lookup with sortByLatency by the OPTIONS round trips it measured over UDP', async () => {
  const slow = await DelayedUas.open(150);
  const quick = await DelayedUas.open(10);
  phones.push(slow, quick);
  transport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'] });
  registrar = createRegistrar({ purgeIntervalMs: 0 });
  const aor = 'alice@example.com';
  const bindings = [buildBinding(slow.uri, { q: 1000, expiresAt: Date.now() + 3_600_000 }), buildBinding(quick.uri, { q: 500, expiresAt: Date.now() + 3_600_000 })];
  await registrar.editBindings(aor, () => ({ bindings, changes: bindings.map((binding) => ({ kind: 'inserted' as const, aor, binding })) }));
  const byQ = await registrar.lookup(`sip:${aor}`, { sortByLatency: true });
  expect(byQ.kind === 'found' && byQ.targets.map((t) => t.uri)).toEqual([slow.uri, quick.uri]);

  const running = createContactPinger({ registrar, transport, intervalMs: 300 });
  pinger = running;
  // Every reply a phone sent has been measured, and each phone has answered at least once.
  await eventually(() => {
    const { answered } = running.stats;
    return slow.answered > 0 && quick.answered > 0 && answered === slow.answered + quick.answered ? answered : undefined;
  }, 'an answered ping from each phone', 10_000, () => JSON.stringify(running.stats), 20);

  const byLatency = await registrar.lookup(`sip:${aor}`, { sortByLatency: true });
  expect(byLatency.kind === 'found' && byLatency.targets.map((t) => t.uri)).toEqual([quick.uri, slow.uri]);
  const plain = await registrar.lookup(`sip:${aor}`);
  expect(plain.kind === 'found' && plain.targets.map((t) => t.uri)).toEqual([slow.uri, quick.uri]);
});
