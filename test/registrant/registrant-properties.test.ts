import fc from 'fast-check';
import { createRegistrantScheduler, type RegistrantScheduler } from '../../src/registrant/registrant-scheduler';
import { REGISTRANT_TRANSITIONS } from '../../src/registrant/registrant-state';
import type { RegistrantRecord } from '../../src/ports/registrant-store';
import type { SipRequest } from '../../src/sip/message';
import { MemoryRegistrantStore } from '../../src/stores/memory-registrant-store';
import { FakeTransport, type FakeReply } from '../../src/testing/fake-transport';
import { ManualClock } from '../../src/testing/manual-clock';
import { buildResponseText } from '../../src/testing/message-builders';
import { contactExpires, ok, record, seeded, T0 } from './registrant-harness';

/** Replies settle through promises only here (no I/O): draining the microtask queue is enough. */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 30; i++) await Promise.resolve();
};

/** Every kind of outcome a registrar (or the network) can give a REGISTER. */
const REPLIES = ['200', '200-dup', '401', '401-stale', '407', '423', '408', 'timeout', '503', '302', '500', 'error'] as const;
type ReplyKind = (typeof REPLIES)[number];

const PARAMS = ';reg-id=1;+sip.instance="<urn:uuid:00000000-0000-0000-0000-000000000001>"';

function reply(kind: ReplyKind, r: SipRequest): FakeReply {
  switch (kind) {
    case '200': return ok(r);
    case '200-dup': return ok(r, undefined, [`<sip:other@10.0.0.1>${PARAMS};expires=60`]);
    case '401': return buildResponseText(r, 401, 'Unauthorized', [['WWW-Authenticate', 'Digest realm="r", nonce="n", qop="auth"']]);
    case '401-stale': return buildResponseText(r, 401, 'Unauthorized', [['WWW-Authenticate', 'Digest realm="r", nonce="n2", qop="auth", stale=true']]);
    case '407': return buildResponseText(r, 407, 'Proxy Authentication Required', [['Proxy-Authenticate', 'Digest realm="p", nonce="n"']]);
    case '423': return buildResponseText(r, 423, 'Interval Too Brief', [['Min-Expires', String((contactExpires(r) ?? 60) + 30)]]);
    case '408': return buildResponseText(r, 408, 'Request Timeout');
    case 'timeout': return 'timeout';
    case '503': return buildResponseText(r, 503, 'Service Unavailable', [['Retry-After', '40']]);
    case '302': return buildResponseText(r, 302, 'Moved Temporarily', [['Contact', '<sip:x@10.0.0.2>']]);
    case '500': return buildResponseText(r, 500, 'Server Error');
    case 'error': return new Error('ECONNREFUSED');
  }
}

type Action =
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'disable' | 'enable' | 'force'; readonly who: number }
  | { readonly kind: 'reload' };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 90_000 }).map((ms) => ({ kind: 'advance' as const, ms })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('disable' as const, 'enable' as const, 'force' as const), who: fc.nat(2) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reload' as const }) },
);

const RECORDS: readonly RegistrantRecord[] = [
  record({ aor: 'sip:a@example.com', username: 'a', password: 'p', expirySec: 120 }),
  record({ aor: 'sip:b@example.com', username: 'b', password: 'p', expirySec: 90, bindingParams: PARAMS }),
  record({ aor: 'sip:c@example.com', expirySec: 200, proxy: 'sip:127.0.0.3:5060' }),
];

describe('registrant scheduler properties (fast-check)', () => {
  it('whatever the replies and the operator do: only documented transitions, one request at a time, no REGISTER for a disabled registrant, and it heals once the registrar answers 200', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...REPLIES), { minLength: 1, maxLength: 40 }), fc.array(action, { maxLength: 40 }), fc.integer(), async (replies, actions, seed) => {
        const clock = new ManualClock(T0);
        const transport = new FakeTransport();
        const store = new MemoryRegistrantStore(RECORDS);
        const problems: string[] = [];
        const inFlight = new Map<string, number>();
        let next = 0;
        let healing = false;
        let scheduler: RegistrantScheduler | undefined;
        transport.respondWith((r) => {
          const aor = r.to.uri;
          if ((inFlight.get(aor) ?? 0) > 0) problems.push(`two requests outstanding for ${aor}`);
          const status = scheduler?.list().find((s) => s.record.aor === aor);
          if (contactExpires(r) !== 0 && r.contacts !== '*' && status !== undefined && !status.record.enabled) problems.push(`REGISTER for disabled ${aor}`);
          inFlight.set(aor, 1);
          const kind = healing ? '200' : replies[next++ % replies.length];
          // the reply comes back 0-3 s later on the manual clock
          return new Promise<FakeReply>((resolve) => clock.setTimer((next * 977) % 3000, () => {
            inFlight.set(aor, 0);
            resolve(reply(kind, r));
          }));
        });
        const onRejection = (e: unknown): void => { problems.push(`unhandled: ${String(e)}`); };
        process.on('unhandledRejection', onRejection);
        try {
          scheduler = await createRegistrantScheduler({ store, transport, clock, random: seeded(seed), hashSize: 1, timerIntervalSec: 10 });
          scheduler.on('error', (e) => problems.push(`error event: ${e.message}`));
          scheduler.on('stateChange', (c) => {
            if (!REGISTRANT_TRANSITIONS[c.from].includes(c.to)) problems.push(`${c.from} -> ${c.to}`);
          });
          const step = async (ms: number): Promise<void> => {
            for (let left = ms; left > 0; left -= 1000) {
              clock.advance(Math.min(1000, left));
              await flush();
            }
          };
          for (const a of actions) {
            if (a.kind === 'advance') await step(a.ms);
            else if (a.kind === 'reload') await scheduler.reload();
            else if (a.kind === 'force') scheduler.forceRegister(RECORDS[a.who]);
            else await scheduler[a.kind](RECORDS[a.who]);
            await flush();
          }
          // heal: the registrar answers 200 from now on; within the longest wait every enabled one registers
          healing = true;
          // the longest wait is a failure's cap, the expiry (423s may have raised it), plus a visit and a reply
          await step(Math.max(...scheduler.list().map((st) => st.expiresSec)) * 1000 + 60_000);
          for (const s of scheduler.list()) {
            // registered now (possibly with its refresh in flight)
            if (s.record.enabled && !(s.registeredUntil > clock.now())) problems.push(`${s.record.aor} enabled but ${s.state} after healing (${s.lastReason})`);
            if (!s.record.enabled && s.state === 'REGISTERED') problems.push(`${s.record.aor} disabled but REGISTERED`);
          }
          let closed = false;
          const closing = scheduler.close({ unregister: true }).then(() => { closed = true; });
          for (let waited = 0; !closed && waited < 120; waited++) await step(1000); // the unREGISTERs' replies come on the clock
          await closing;
          const sent = transport.requests.length;
          clock.advance(600_000);
          await flush();
          if (transport.requests.length !== sent) problems.push('requests after close');
          if (clock.pending() !== 0) problems.push(`${clock.pending()} timers left after close`);
          if (scheduler.list().some((s) => s.state === 'REGISTERED')) problems.push('still REGISTERED after close({ unregister: true })');
        } finally {
          process.off('unhandledRejection', onRejection);
        }
        expect(problems).toEqual([]);
      }),
      { numRuns: 200 },
    );
  }, 120_000);
});
