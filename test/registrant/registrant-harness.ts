import { createRegistrantScheduler, type RegistrantScheduler, type RegistrantStateChange } from '../../src/registrant/registrant-scheduler';
import type { RegistrantSchedulerOptions } from '../../src/registrant/registrant-options';
import type { RegistrantRecord } from '../../src/ports/registrant-store';
import { MemoryRegistrantStore } from '../../src/stores/memory-registrant-store';
import { FakeTransport, type FakeReply } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildResponseText } from '../../src/testing/message-builders';
import type { SipRequest } from '../../src/sip/message';

export const T0 = 1_700_000_000_000;

/** A registrant record with test defaults. */
export const record = (over: Partial<RegistrantRecord> = {}): RegistrantRecord => ({
  aor: 'sip:alice@example.com',
  bindingUri: 'sip:alice@127.0.0.1:5060',
  registrar: 'sip:127.0.0.1:5070',
  enabled: true,
  ...over,
});

/** Deterministic random numbers (a linear congruential generator). */
export function seeded(seed = 1): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

/** The value of the Contact's `expires` parameter in a REGISTER. */
export const contactExpires = (r: SipRequest): number | undefined => {
  const c = r.contacts === '*' ? undefined : r.contacts[0];
  const v = c?.params.expires;
  return v == null ? undefined : Number(v);
};

/** A 200 OK listing the request's Contact with the expiry asked (or `grant`). */
export function ok(request: SipRequest, grant?: number, extraContacts: readonly string[] = []): string {
  const c = request.contacts === '*' ? undefined : request.contacts[0];
  const contacts = c === undefined || contactExpires(request) === 0 ? [] : [`<${c.uri}>;expires=${grant ?? contactExpires(request)}`];
  return buildResponseText(request, 200, 'OK', [...[...contacts, ...extraContacts].map((v) => ['Contact', v] as [string, string])]);
}

/** Let the scheduler's transaction promises settle. */
export const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
};

export interface Harness {
  readonly clock: ManualClock;
  readonly transport: FakeTransport;
  readonly store: MemoryRegistrantStore;
  readonly scheduler: RegistrantScheduler;
  readonly changes: RegistrantStateChange[];
  /** The requests sent so far, parsed. */
  sent(): SipRequest[];
  /** Advance the clock and let replies settle. */
  step(ms: number): Promise<void>;
  /** Advance `ms` one second at a time, letting replies settle after each second. */
  runFor(ms: number): Promise<void>;
  /** The states the registrant went through, in order. */
  states(): string[];
}

/** A scheduler on a manual clock and a fake transport answering with `responder`. */
export async function harness(
  records: readonly RegistrantRecord[],
  responder: (request: SipRequest) => FakeReply | Promise<FakeReply>,
  options: Partial<RegistrantSchedulerOptions> = {},
): Promise<Harness> {
  const clock = new ManualClock(T0);
  const transport = new FakeTransport({ endpoints: [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }] });
  transport.respondWith((request) => responder(request));
  const store = new MemoryRegistrantStore(records);
  const scheduler = await createRegistrantScheduler({ store, transport, clock, random: seeded(), resolveSrv: async () => [], ...options });
  const changes: RegistrantStateChange[] = [];
  scheduler.on('stateChange', (c) => changes.push(c));
  const h: Harness = {
    clock, transport, store, scheduler, changes,
    sent: () => transport.requests.map((r) => r.request),
    step: async (ms) => {
      clock.advance(ms);
      await flush();
    },
    states: () => changes.map((c) => c.to),
    runFor: async (ms) => {
      for (let left = ms; left > 0; left -= 1000) await h.step(Math.min(1000, left));
    },
  };
  await h.step(0);
  return h;
}
