import { createRegistrar, type Registrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import { createRegistrarServer } from '../../src/server/registrar-server';
import { createReginfo, type Reginfo } from '../../src/reginfo/reginfo';
import type { ReginfoOptions } from '../../src/reginfo/reginfo-options';
import type { Endpoint } from '../../src/ports/transport';
import type { SipRequest } from '../../src/sip/message';
import { FakeTransport, type FakeReply } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildRegister, buildResponseText, IdSequence } from '../../src/testing/message-builders';

export const T0 = 1_700_000_000_000;

/** A registrar, its reg-event and a fake transport, as one `sipreg registrar` process. */
export interface Node {
  readonly name: string;
  readonly port: number;
  readonly transport: FakeTransport;
  readonly registrar: Registrar;
  readonly reginfo: Reginfo;
}

/** Two or more nodes on one manual clock, their transports wired to each other by port. */
export interface Network {
  readonly clock: ManualClock;
  readonly nodes: Node[];
  /** Requests sent by any node that reached no node, answered by `stray` (default: 200 OK with an ETag for PUBLISH). */
  readonly strays: SipRequest[];
  /** Advance the clock and let every exchange settle. */
  step(ms: number): Promise<void>;
  /** REGISTER at `node` (a phone at 127.0.0.1:5090 by default); resolves to the status. */
  register(node: Node, aor: string, contact: string, expiresSec: number, callId?: string, cseq?: number): Promise<number>;
  close(): Promise<void>;
}

/** Let promise chains and setImmediate callbacks run. */
export const settle = async (): Promise<void> => {
  for (let i = 0; i < 40; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Deterministic random numbers (a linear congruential generator). */
export function seeded(seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** A resolver that only knows IP addresses (no DNS in unit tests). */
export const noDns = (random: () => number): NonNullable<ReginfoOptions['resolver']> => ({
  resolveHost: async (host) => { throw new Error(`no DNS in tests: ${host}`); },
  resolveSrv: async () => [],
  random,
});

/**
 * Deliver `data` to `target` as if sent from `from` over UDP, and wait for its final response.
 *
 * @returns the final response's text, or `'timeout'` when none came within 200 turns of the event loop.
 */
export async function exchange(target: FakeTransport, data: Uint8Array, from: Endpoint): Promise<FakeReply> {
  const request = target.deliver(data, { address: from.address, port: from.port, protocol: 'udp' });
  const branch = request.via[0]?.branch;
  for (let i = 0; i < 200; i++) {
    const answer = target.responses.find((r) => r.request.via[0]?.branch === branch && r.response.status >= 200);
    if (answer !== undefined) return answer.data;
    await new Promise((resolve) => setImmediate(resolve));
  }
  return 'timeout';
}

/**
 * Nodes named by `specs` on 127.0.0.1 ports 5071, 5072 …, each a registrar server with reg-event
 * (`serverAddress` `sip:reginfo@127.0.0.1:<port>`), sharing one manual clock.
 */
export function network(
  specs: readonly { readonly name: string; readonly reginfo?: Partial<ReginfoOptions>; readonly registrar?: RegistrarOptions }[],
  stray: (request: SipRequest) => FakeReply = (r) => (r.method === 'PUBLISH' ? okWithEtag(r) : 'timeout'),
): Network {
  const clock = new ManualClock(T0);
  const random = seeded();
  const ids = new IdSequence('reg');
  const strays: SipRequest[] = [];
  const nodes: Node[] = specs.map((spec, i) => {
    const port = 5071 + i;
    const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port }] });
    const registrar = createRegistrar({ clock, purgeIntervalMs: 1000, ...spec.registrar });
    const reginfo = createReginfo({
      registrar, transport, clock, serverAddress: `sip:reginfo@127.0.0.1:${port}`, publish: false, resolver: noDns(random), ...spec.reginfo,
    });
    createRegistrarServer({ registrar, transport, handleRequest: (r, s) => reginfo.handleRequest(r, s) });
    return { name: spec.name, port, transport, registrar, reginfo };
  });
  for (const node of nodes) {
    const self: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: node.port };
    node.transport.respondWith((request, destination, data) => {
      const target = nodes.find((n) => n.port === destination.port && destination.address === '127.0.0.1');
      if (target !== undefined) return exchange(target.transport, data, self);
      strays.push(request);
      return stray(request);
    });
  }
  return {
    clock,
    nodes,
    strays,
    async step(ms) {
      for (let left = ms; left > 0; left -= 1000) {
        clock.advance(Math.min(1000, left));
        await settle();
      }
      if (ms === 0) {
        clock.advance(0);
        await settle();
      }
    },
    async register(node, aor, contact, expiresSec, callId, cseq) {
      const before = node.transport.responses.length;
      node.transport.deliver(buildRegister({ aor, contacts: [`<${contact}>;expires=${expiresSec}`], ids, callId, cseq }), { address: '127.0.0.1', port: 5090 });
      await settle();
      return node.transport.responses[before]?.response.status ?? 0;
    },
    async close() {
      for (const n of nodes) {
        await n.reginfo.close();
        await n.registrar.close();
      }
    },
  };
}

/** A 200 to a PUBLISH with an entity tag (RFC 3903 §4.1) and the Expires asked. */
export function okWithEtag(request: SipRequest, etag = `e${request.callId.slice(0, 6)}`): string {
  return buildResponseText(request, 200, 'OK', [['SIP-ETag', etag], ['Expires', String(request.expires ?? 3600)]]);
}
