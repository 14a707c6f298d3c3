import { createRegistrar, type Registrar } from '../../src/registrar/registrar';
import type { RegistrarOptions } from '../../src/registrar/registrar-options';
import { createRegistrarServer, type RegistrarServerOptions } from '../../src/server/registrar-server';
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message';
import { FakeTransport } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister, buildResponseText, type ContactSpec, type HeaderSpec } from '../../src/testing/message-builders';

/** Lets the proxy's promise chains (planHop, sendHop, store calls) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Where the caller sends from in these tests. */
export const CALLER = { address: '198.51.100.9', port: 5070 } as const;

/** Server options the harness sets itself. */
type HarnessServerOptions = Omit<RegistrarServerOptions, 'registrar' | 'transport'>;

/**
 * A registrar server on a {@link FakeTransport} (UDP 127.0.0.1:5060) and a {@link ManualClock}:
 * the real wiring of `createRegistrarServer` and its forking proxy, driven message by message.
 */
export function forkingHarness(server: HarnessServerOptions = {}, registrarOptions: RegistrarOptions = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }] });
  const registrar: Registrar = createRegistrar({ clock, purgeIntervalMs: 0, ...registrarOptions });
  const counters = createRegistrarServer({ registrar, transport, ...server }).counters;
  const ids = new IdSequence('fork');

  /** Register `contacts` for `aor` (each from its own host) and expect a 200. */
  const register = async (aor: string, contacts: readonly ContactSpec[], extra: { supported?: string[] } = {}): Promise<SipResponse> => {
    const before = transport.responses.length;
    transport.deliver(buildRegister({ aor, contacts, ids, ...extra }), { address: '192.0.2.1', port: 5070 });
    await settle();
    const response = transport.responses[before]?.response;
    if (response?.status !== 200) throw new Error(`REGISTER answered ${response?.status}`);
    transport.responses.length = before;
    return response;
  };

  /** Requests the proxy sent (stateless sends: branches, ACKs, CANCELs), optionally of one method. */
  const sentRequests = (method?: string): SipRequest[] =>
    transport.sent.map((s) => s.message).filter((m: SipMessage): m is SipRequest => m.kind === 'request' && (method === undefined || m.method === method));

  /** The forwarded INVITE (or other method) whose Request-URI is `uri`. */
  const branchTo = (uri: string, method = 'INVITE'): SipRequest => {
    const found = sentRequests(method).filter((r) => r.uri === uri);
    if (found.length === 0) throw new Error(`no ${method} sent to ${uri}; sent: ${sentRequests().map((r) => `${r.method} ${r.uri}`).join(', ')}`);
    return found[0];
  };

  /** The callee at the end of `request` answers: the response comes back through the transport. */
  const answer = async (request: SipRequest, status: number, reason: string, headers?: HeaderSpec, toTag?: string): Promise<void> => {
    transport.deliverResponse(buildResponseText(request, status, reason, headers, { toTag: toTag ?? `tag-${request.via[0].branch}` }));
    await settle();
  };

  /** Statuses the caller received, in order. */
  const statuses = (): number[] => transport.responses.map((r) => r.response.status);

  return { clock, transport, registrar, counters, ids, register, sentRequests, branchTo, answer, statuses };
}
