/**
 * Reg-event benchmark (not a timed test; run with `node --expose-gc --import tsx bench/reginfo.bench.ts`):
 * 1. what reg-event costs the REGISTER path: REGISTERs saved in-process by a bare registrar, by
 *    one with `createReginfo` attached and no watcher, and by one whose every AOR has a watcher
 *    (each change builds a partial NOTIFY and sends it through a fake transport that answers 200);
 * 2. what a NOTIFY costs the watcher: `parseReginfo` + `applyRegistration` of a one-contact
 *    document, next to fast-xml-parser alone on the same bytes (the floor any XML reader pays),
 *    measured in the same run.
 * Part 1 for both REGISTERs of `bench-kit.ts`: the realistic one a modern phone sends and the
 * minimal one. Alternating rounds; each figure is the median of its rounds.
 */
import { XMLParser } from 'fast-xml-parser';
import { REGISTER_KINDS, fmt, median, parseRequest, rate, requireGc } from './bench-kit';
import { createRegistrar } from '../src/registrar/registrar';
import type { SaveResult } from '../src/registrar/save-result';
import { createReginfo } from '../src/reginfo/reginfo';
import { buildReginfo } from '../src/reginfo/build-reginfo';
import { parseReginfo } from '../src/reginfo/parse-reginfo';
import { applyRegistration } from '../src/reginfo/apply-registration';
import { registrationOf } from '../src/reginfo/registration-from-bindings';
import type { Endpoint, Source, TransactionOutcome, Transport } from '../src/ports/transport';
import type { SipResponse } from '../src/sip/message';
import { parseSipMessage } from '../src/sip/sip-parser';
import { buildRequest, buildResponseText } from '../src/testing/message-builders';

const gc = requireGc();
const ROUNDS = 9;
const N = 50_000;
/** N new REGISTERs of each kind of `REGISTER_KINDS`, in its order. */
const datagramsOf = REGISTER_KINDS.map(({ datagram }) => Array.from({ length: N }, (_, i) => datagram(i)));
let sink: unknown;

type Setup = 'bare registrar' | 'reg-event, no watcher' | 'reg-event, a watcher per AOR';

const LOCAL: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: 5060 };
const WATCHER: Source = { protocol: 'udp', address: '127.0.0.1', port: 6000, local: LOCAL };

/** A transport that sends nothing: every request is answered 200 at once, counted (the cost measured is sipreg's, not a socket's). */
class CountingTransport implements Transport {
  sent = 0;
  readonly #ok: TransactionOutcome;
  constructor(ok: SipResponse) {
    this.#ok = { kind: 'response', response: ok };
  }
  async sendResponse(): Promise<void> {}
  async send(): Promise<void> {}
  request(): Promise<TransactionOutcome> {
    this.sent++;
    return Promise.resolve(this.#ok);
  }
  onRequest(): void {}
  endpoints(): readonly Endpoint[] {
    return [LOCAL];
  }
  async close(): Promise<void> {}
}

const subscribeText = (i: number): string => buildRequest('SUBSCRIBE', {
  requestUri: `sip:user${i}@example.com`, to: `sip:user${i}@example.com`, from: 'sip:w@127.0.0.1:6000',
  contacts: ['<sip:w@127.0.0.1:6000>'], headers: [['Event', 'reg']], expires: 3600, callId: `w${i}`,
});
const okParsed = parseSipMessage(buildResponseText(subscribeText(0), 200, 'OK'));
if (!okParsed.ok || okParsed.message.kind !== 'response') throw new Error('the 200 does not parse');
const okResponse: SipResponse = okParsed.message;

/**
 * One round: N new REGISTERs (`datagrams`) into a fresh registrar set up as `setup`; REGISTER/s
 * (the NOTIFYs they cause sent before the clock stops).
 */
async function registerRound(setup: Setup, datagrams: readonly Buffer[]): Promise<number> {
  const registrar = createRegistrar({ purgeIntervalMs: 0 });
  const transport = new CountingTransport(okResponse);
  const reginfo = setup === 'bare registrar' ? undefined : createReginfo({ registrar, transport, serverAddress: 'sip:reginfo@127.0.0.1:5060', publish: false });
  const watched = setup === 'reg-event, a watcher per AOR';
  if (watched && reginfo !== undefined) {
    for (let i = 0; i < N; i++) await reginfo.handleRequest(parseRequest(Buffer.from(subscribeText(i))), WATCHER);
  }
  while (transport.sent < (watched ? N : 0)) await new Promise((resolve) => setImmediate(resolve));
  const before = transport.sent;
  gc();
  const started = performance.now();
  for (let i = 0; i < N; i++) sink = (registrar.saveNow(parseRequest(datagrams[i])) as SaveResult).response;
  while (watched && transport.sent < before + N) await new Promise((resolve) => setImmediate(resolve));
  const perSec = N / ((performance.now() - started) / 1000);
  await reginfo?.close();
  await registrar.close();
  return perSec;
}

// A one-contact NOTIFY body as a sipreg notifier writes it.
const now = Date.now();
const binding = { contact: 'sip:alice@192.0.2.10:5060', callId: 'c1@phone', cseq: 2, expiresAt: now + 3_600_000, q: 500, updatedAt: now, flags: 0, userAgent: 'Phone/1.0' };
const body = Buffer.from(buildReginfo({ version: 1, state: 'partial', registrations: [registrationOf('sip:alice@example.com', [binding], new Map([[binding.contact, { binding, event: 'registered' as const }]]), now, false)] }));
const xml = new XMLParser({ ignoreAttributes: false, processEntities: false });

function notifyRound(): { sipreg: number; floor: number } {
  const sipreg = rate(N, () => {
    const parsed = parseReginfo(body);
    if (!parsed.ok) throw new Error(parsed.error.reason);
    sink = applyRegistration('alice@example.com', [], parsed.value.registrations[0], false, now);
  });
  const floor = rate(N, () => { sink = xml.parse(body); });
  return { sipreg, floor };
}

const setups: Setup[] = ['bare registrar', 'reg-event, no watcher', 'reg-event, a watcher per AOR'];
for (const datagrams of datagramsOf) await registerRound('bare registrar', datagrams); // warm-up
notifyRound();
/** The rounds of each setup, per REGISTER kind. */
const registers = datagramsOf.map(() => new Map<Setup, number[]>(setups.map((s) => [s, []])));
const notifies: { sipreg: number[]; floor: number[] } = { sipreg: [], floor: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another setup, so that none always runs after the same one.
  for (let k = 0; k < setups.length; k++) {
    const s = setups[(round + k) % setups.length];
    for (const [kind, datagrams] of datagramsOf.entries()) registers[kind].get(s)!.push(await registerRound(s, datagrams));
  }
  const n = notifyRound();
  notifies.sipreg.push(n.sipreg);
  notifies.floor.push(n.floor);
}

console.log(`\nREGISTER with reg-event (in-process, ${N.toLocaleString('en-US')} new AORs per round, median of ${ROUNDS} rounds)\n`);
console.log('| setup | REGISTER | REGISTER/s | vs bare |\n|---|---|---:|---:|');
for (const [kind, { name }] of REGISTER_KINDS.entries()) {
  const bare = median(registers[kind].get('bare registrar')!);
  for (const s of setups) {
    const r = median(registers[kind].get(s)!);
    console.log(`| ${s} | ${name} | ${fmt(r)} | ${(r / bare).toFixed(2)}× |`);
  }
}
console.log(`\nNOTIFY applied by a watcher (${body.length} B one-contact document)\n`);
console.log('| work | documents/s |\n|---|---:|');
console.log(`| sipreg: parseReginfo + applyRegistration | ${fmt(median(notifies.sipreg))} |`);
console.log(`| fast-xml-parser alone, same bytes (floor) | ${fmt(median(notifies.floor))} |`);
void sink;
