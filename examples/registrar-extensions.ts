/**
 * The registrar extensions, as a home proxy behind an edge proxy would use them:
 * Path (RFC 3327), GRUU (RFC 5627), outbound flows (RFC 5626) and RFC 8599 push notifications,
 * with the push sent through a `PushNotifier` (here it only records the push; a real one calls
 * APNs/FCM, or use `createWebhookPushNotifier(url)` towards a push gateway).
 *
 * Run: `node --import tsx examples/registrar-extensions.ts`.
 */
import assert from 'node:assert/strict';
import { createRegistrar, parseSaveFlags, parseSipMessage } from 'sipreg';
import type { PushNotifier, PushRequest, SipRequest } from 'sipreg';
import { IdSequence, ManualClock, buildRegister } from 'sipreg/testing';

const ids = new IdSequence('ext');
const clock = new ManualClock(Date.UTC(2026, 0, 1));
const pushes: PushRequest[] = [];
const notifier: PushNotifier = { notify: (push) => void pushes.push(push) };

const registrar = createRegistrar({
  clock,
  purgeIntervalMs: 0,
  gruu: { enabled: true, secret: ['2026-secret', '2025-secret'] }, // first seals, all open
  push: { enabled: true, providers: ['apns', 'fcm'], refreshTimeoutSec: 6 },
  pushNotifier: notifier,
  serviceRoute: ['<sip:orig@home.example.com;lr>'],
});
// OpenSIPS `save("location", "p2v")`: strict Path, received address taken from the Path.
const save = parseSaveFlags('p2v');

function request(text: string): SipRequest {
  const parsed = parseSipMessage(text);
  assert.ok(parsed.ok && parsed.message.kind === 'request');
  return parsed.message;
}

const instance = '"<urn:uuid:9b6e5a3c-0000-4000-8000-00000000a11c>"';
const edgePath = '<sip:edge.example.com;lr;received=sip:198.51.100.7:40001>';

// 1. A desk phone registers through the edge proxy with GRUU support.
const desk = await registrar.save(request(buildRegister({
  aor: 'sip:alice@example.com',
  contacts: [{ uri: 'sip:alice@10.0.0.5:5060', params: { '+sip.instance': instance } }],
  supported: ['path', 'gruu'],
  path: [edgePath],
  ids,
})), save);
assert.equal(desk.status, 200);
const reply = parseSipMessage(desk.response ?? new Uint8Array());
assert.ok(reply.ok);
const contact = reply.message.contacts === '*' ? undefined : reply.message.contacts[0];
const pubGruu = contact?.params['pub-gruu']?.replace(/"/g, '');
assert.equal(pubGruu, 'sip:alice@example.com;gr=urn:uuid:9b6e5a3c-0000-4000-8000-00000000a11c');
assert.equal(reply.message.header('service-route'), '<sip:orig@home.example.com;lr>');

// 2. A mobile app registers with RFC 8599 push parameters, then goes to sleep.
await registrar.save(request(buildRegister({
  aor: 'sip:bob@example.com',
  contacts: ['sip:bob@203.0.113.9:5070;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip'],
  supported: ['path'],
  path: [edgePath],
  ids,
})), save);

// 3. Lookups: the GRUU reaches only the desk phone, through the edge proxy (Path route set).
const toDesk = await registrar.lookup(pubGruu ?? '');
assert.equal(toDesk.kind, 'found');
if (toDesk.kind === 'found') {
  assert.equal(toDesk.targets[0].uri, 'sip:alice@10.0.0.5:5060');
  assert.deepEqual(toDesk.targets[0].route, [edgePath]);
  assert.equal(toDesk.targets[0].destination, 'sip:edge.example.com;lr;received=sip:198.51.100.7:40001');
}

// 4. A call for bob: his only device sleeps, so it is pushed and the lookup says "wait" (code 2).
clock.advance(60_000);
const toBob = await registrar.lookup('sip:bob@example.com');
assert.equal(toBob.kind, 'push-pending');
assert.equal(pushes[0]?.provider, 'apns');
assert.equal(pushes[0]?.prid, '00fc13adff78512');

// The push wakes the app, which re-registers from a new port: the waiting call is forked to it.
clock.advance(2_000);
await registrar.save(request(buildRegister({
  aor: 'sip:bob@example.com',
  contacts: ['sip:bob@203.0.113.9:5099;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip'],
  supported: ['path'],
  path: [edgePath],
  ids,
})), save);
if (toBob.kind === 'push-pending') {
  const woken = await toBob.pending[0].refreshed;
  assert.equal(woken?.uri, 'sip:bob@203.0.113.9:5099'); // pn-* parameters stripped for the call
}
assert.equal((await registrar.bindings('bob@example.com')).length, 1); // matched by its pn-* parameters

await registrar.close();
console.log('extensions example: all assertions passed');
