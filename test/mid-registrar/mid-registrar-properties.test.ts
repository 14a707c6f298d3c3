import fc from 'fast-check';
import type { MidRegistrarMode } from '../../src/mid-registrar/mid-registrar-options';
import { contactIdOf } from '../../src/mid-registrar/contact-id';
import { setup } from './mid-harness';

/** One step of a phone population: a REGISTER from a device, or time passing. */
type Step =
  | { readonly op: 'register'; readonly user: number; readonly device: number; readonly expires: number }
  | { readonly op: 'advance'; readonly ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant('register' as const), user: fc.integer({ min: 0, max: 2 }), device: fc.integer({ min: 0, max: 1 }), expires: fc.constantFrom(0, 30, 60, 120, 600) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.constantFrom(1_000, 10_000, 45_000, 200_000) }) },
);

const aorOf = (user: number): string => `u${user}@example.com`;
const contactOf = (user: number, device: number): string => `sip:u${user}@192.0.2.${10 + device}:5060`;

/**
 * The throttling invariant (OpenSIPS mid_registrar): whatever the phones do, every binding the
 * mid-registrar holds is covered by a binding of the main registrar that lives at least as long,
 * so calls routed by the main registrar reach every registered phone; and once the phones are
 * gone, nothing of theirs is left at the main registrar.
 */
describe.each<MidRegistrarMode>(['mirror', 'throttle-contact', 'throttle-aor'])('mid-registrar properties (%s)', (mode) => {
  it('covers every local binding upstream for at least its lifetime, and leaves nothing upstream once the phones are gone', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 40 }), async (steps) => {
        const t = setup(mode, { outgoingExpires: 300 });
        const cseq = new Map<string, number>();
        const check = async (): Promise<void> => {
          for (let user = 0; user < 3; user++) {
            const aor = aorOf(user);
            const upstream = await t.main.bindings(aor);
            for (const b of await t.mid.registrar.bindings(aor)) {
              const id = contactIdOf(aor, b.contact);
              const covering = upstream.find((u) => (mode === 'throttle-aor' ? u.contact.startsWith(`sip:u${user}%40example.com@`) : u.contact.includes(`ctid=${id}`)));
              expect(covering).toBeDefined();
              expect(covering!.expiresAt).toBeGreaterThanOrEqual(b.expiresAt);
            }
          }
        };
        for (const s of steps) {
          if (s.op === 'advance') await t.advance(s.ms);
          else {
            const key = `${s.user}/${s.device}`;
            const n = (cseq.get(key) ?? 0) + 1;
            cseq.set(key, n);
            const reply = await t.register(`sip:${aorOf(s.user)}`, [{ uri: contactOf(s.user, s.device), expires: s.expires }], { callId: `c-${key}`, cseq: n });
            expect(reply.status).toBe(200);
          }
          await check();
        }
        // The phones vanish: past every lifetime here (max 600 s) and one purge later.
        await t.advance(601_000);
        await t.advance(1_000);
        for (let user = 0; user < 3; user++) expect(await t.main.bindings(aorOf(user))).toEqual([]);
        await t.mid.close();
      }),
      { numRuns: 60 },
    );
  });
});
