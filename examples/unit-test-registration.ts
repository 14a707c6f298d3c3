/**
 * Unit-testing registration logic with `sipreg/testing`: a manual clock instead of fake timers,
 * message builders instead of hand-written SIP, and plain assertions. The same code works inside
 * jest, vitest or node:test; here it runs as a program.
 *
 * Run: `node --import tsx examples/unit-test-registration.ts`.
 */
import assert from 'node:assert/strict';
import { createRegistrar, parseSipMessage } from 'sipreg';
import type { SipRequest } from 'sipreg';
import { IdSequence, ManualClock, buildRegister } from 'sipreg/testing';

const ids = new IdSequence('example');
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const registrar = createRegistrar({ clock, minExpires: 60, maxContacts: 2, purgeIntervalMs: 1000 });

function request(text: string): SipRequest {
  const parsed = parseSipMessage(text);
  assert.ok(parsed.ok && parsed.message.kind === 'request');
  return parsed.message;
}

// A phone registers for 30 s: the lifetime is raised to min_expires (60 s).
const first = await registrar.save(request(buildRegister({ aor: 'sip:alice@example.com', contacts: [{ uri: 'sip:alice@192.0.2.1', expires: 30 }], ids })));
assert.equal(first.status, 200);
assert.equal((await registrar.bindings('alice@example.com'))[0].expiresAt, clock.now() + 60_000);

// A third device over max_contacts = 2 gets 503.
await registrar.save(request(buildRegister({ aor: 'sip:alice@example.com', contacts: ['sip:alice@192.0.2.2'], ids })));
const third = await registrar.save(request(buildRegister({ aor: 'sip:alice@example.com', contacts: ['sip:alice@192.0.2.3'], ids })));
assert.equal(third.status, 503);

// Sixty-one seconds later the first binding has expired: lookup skips it, the purge removes it.
const expired: string[] = [];
registrar.on('expired', (change) => expired.push(change.binding.contact));
clock.advance(61_000);
await registrar.purgeExpired();
assert.deepEqual(expired, ['sip:alice@192.0.2.1']);
const found = await registrar.lookup('sip:alice@example.com');
assert.equal(found.kind === 'found' && found.ruri?.uri, 'sip:alice@192.0.2.2');

await registrar.close();
console.log('unit-test example: all assertions passed');
