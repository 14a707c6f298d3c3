import type { Endpoint, Source } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { createNodeTransport, type NodeTransport } from '../../src/transports/node-transport';
import type { UdpSteering } from '../../src/transports/udp-steering';
import { answer } from './net-peers';

/** One of the transports {@link steeringWorkers} makes, standing in for a `--workers` worker. */
export interface SteeringWorker {
  readonly transport: NodeTransport;
  /** Requests it handled, with where they came from. */
  readonly handled: { request: SipRequest; source: Source }[];
  /** Places it handed a message to (`UdpSteering.forward`). */
  readonly forwarded: number[];
}

/** How {@link steeringWorkers} sets the two up. */
export interface SteeringWorkersOptions {
  /** What each listens on, on its own port (`udp:127.0.0.1:0`): its socket stands in for the shared one. */
  readonly listen: string;
  /** Answer every request 200; else only record it. @defaultValue false */
  readonly answers?: boolean;
  /** Give each a `relay` and a `locate` calling the other. @defaultValue false */
  readonly relay?: boolean;
}

/**
 * Two transports at places 0 and 1 of a {@link UdpSteering}, each handing the other what
 * steering gives it by calling its `receiveSteered` directly (a datagram as if it came to the
 * other's socket), and with `relay`, asking the other to write on its connections. Each is
 * pushed on `open` to be closed after the test.
 */
export async function steeringWorkers(open: { close(): unknown }[], options: SteeringWorkersOptions): Promise<[SteeringWorker, SteeringWorker]> {
  const workers: SteeringWorker[] = [];
  for (let index = 0; index < 2; index++) {
    const forwarded: number[] = [];
    const udpSteering: UdpSteering = {
      processes: 2,
      index,
      forward(owner, bytes, source) {
        forwarded.push(owner);
        const other = workers[owner].transport;
        other.receiveSteered(bytes, source.protocol === 'udp' ? { ...source, local: other.endpoints()[0] } : source);
      },
      ...(options.relay === true ? {
        relay: (owner: number, connectionId: string, bytes: Uint8Array) => workers[owner].transport.sendRelayed(connectionId, bytes, index),
        locate: async (remote: Endpoint) => workers[1 - index].transport.heldConnection(remote),
      } : {}),
    };
    const transport = await createNodeTransport({ listen: [options.listen], udpSteering });
    open.push(transport);
    const handled: SteeringWorker['handled'] = [];
    transport.onRequest((request, source) => {
      handled.push({ request, source });
      if (options.answers === true) void transport.sendResponse(answer(request), request, source);
    });
    workers.push({ transport, handled, forwarded });
  }
  return workers as [SteeringWorker, SteeringWorker];
}
