/**
 * The IPC messages `--workers` workers send one another through the primary (`runWorkers`): each
 * names the place it is for, and a request to write on a connection whose worker is gone is
 * answered with a failure at once (its connections went with it), not left to time out.
 */
import { placeOf, undeliverable, type PlacedMessage } from '../../src/cli/worker-steering';

const local = { protocol: 'udp' as const, address: '127.0.0.1', port: 5060 };
const steered: PlacedMessage = { sipregSteer: { to: 1, bytes: '', address: '127.0.0.1', port: 5070, local } };
const relay: PlacedMessage = { sipregRelay: { to: 1, from: 0, id: 7, connectionId: 'tcp-0a1b2c3d.p1-4', bytes: '' } };
const done: PlacedMessage = { sipregRelayDone: { to: 0, id: 7 } };
const locate: PlacedMessage = { sipregLocate: { to: 2, from: 1, id: 9, remote: { protocol: 'tcp', address: '192.0.2.7', port: 40_000 } } };
const located: PlacedMessage = { sipregLocated: { to: 1, id: 9, connectionId: 'tcp-0a1b2c3d.p2-1' } };

describe('worker messages', () => {
  it('name the place they are for; anything else is not passed on', () => {
    expect([placeOf(steered), placeOf(relay), placeOf(done), placeOf(locate), placeOf(located)]).toEqual([1, 1, 0, 2, 1]);
    expect([placeOf({ sipregListening: true }), placeOf(null), placeOf('x'), placeOf({ sipregRelay: 3 })]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('answer a relay for a place where no worker runs with a failure to its sender, a locate with no connection; the rest is lost', () => {
    expect(undeliverable(relay)).toEqual({ sipregRelayDone: { to: 0, id: 7, error: 'connection tcp-0a1b2c3d.p1-4 is closed: no worker runs at place 1' } });
    expect(undeliverable(locate)).toEqual({ sipregLocated: { to: 1, id: 9 } });
    expect(undeliverable(steered)).toBeUndefined();
    expect(undeliverable(done)).toBeUndefined();
  });
});
