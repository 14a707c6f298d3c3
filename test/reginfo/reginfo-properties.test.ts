/**
 * Property tests of reg-event (RFC 3680, OpenSIPS pua_reginfo): the partial NOTIFYs a notifier
 * sends add up, at the watcher, to the notifier's full state whatever the phones do; the same
 * holds for the pure functions behind them (registrationOf → applyRegistration); and two
 * registrars subscribed to each other converge without NOTIFY ping-pong.
 */
import fc from 'fast-check';
import { BindingFlags, type Binding } from '../../src/ports/binding';
import type { Endpoint } from '../../src/ports/transport';
import { applyRegistration } from '../../src/reginfo/apply-registration';
import { buildReginfo } from '../../src/reginfo/build-reginfo';
import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import type { ContactEvent, ReginfoDocument, ReginfoRegistration } from '../../src/reginfo/reginfo-document';
import { registrationOf, type ContactChange } from '../../src/reginfo/registration-from-bindings';
import type { BindingChange } from '../../src/registrar/binding-change';
import type { SipRequest } from '../../src/sip/message';
import type { FakeReply } from '../../src/testing/fake-transport';
import { buildRegister, IdSequence, type ContactSpec } from '../../src/testing/message-builders';
import { exchange, network, settle, T0, type Network, type Node } from './reginfo-harness';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

// ---------------------------------------------------------------------------------------------
// Comparing bindings
// ---------------------------------------------------------------------------------------------

/** What must survive the trip notifier → NOTIFY → watcher (RFC 3680 §5.4 plus the OpenSIPS attributes). */
function view(b: Binding): Record<string, unknown> {
  return {
    contact: b.contact,
    callId: b.callId,
    cseq: b.cseq,
    q: b.q,
    path: b.path,
    received: b.received,
    userAgent: b.userAgent,
    instanceId: b.instanceId,
    regId: b.regId,
    params: b.params,
    methods: b.methods,
  };
}

const byContact = (bs: readonly Binding[]): Binding[] => [...bs].sort((x, y) => (x.contact < y.contact ? -1 : x.contact > y.contact ? 1 : 0));

/**
 * Throws unless `copy` holds what `truth` holds: the same contacts with the same fields, each
 * expiry within `slackMs` (a NOTIFY carries whole seconds).
 */
function expectSame(truth: readonly Binding[], copy: readonly Binding[], what: string, slackMs = 1000): void {
  const t = byContact(truth);
  const c = byContact(copy);
  const tv = JSON.stringify(t.map(view));
  const cv = JSON.stringify(c.map(view));
  if (tv !== cv) throw new Error(`${what}: bindings differ\n  expected ${tv}\n  actual   ${cv}`);
  for (let i = 0; i < t.length; i++) {
    const delta = c[i].expiresAt - t[i].expiresAt;
    if (Math.abs(delta) > slackMs) throw new Error(`${what}: ${t[i].contact} expiresAt ${c[i].expiresAt} vs ${t[i].expiresAt} (${delta} ms apart)`);
  }
}

// ---------------------------------------------------------------------------------------------
// The network: the harness's nodes, optionally with a latency
// ---------------------------------------------------------------------------------------------

/** Total messages every node sent so far: while it moves, an exchange is still running. */
const traffic = (net: Network): number => net.nodes.reduce((n, x) => n + x.transport.requests.length + x.transport.responses.length, 0);

/**
 * A {@link network} whose requests between nodes take `latencyMs` of the manual clock to arrive
 * (0: the harness's own instant wiring), so that NOTIFYs can cross and changes pile up while one
 * is outstanding.
 */
class Sim {
  readonly net: Network;
  readonly latencyMs: number;
  #inflight = 0;
  #closing = false;

  constructor(net: Network, latencyMs: number) {
    this.net = net;
    this.latencyMs = latencyMs;
    if (latencyMs === 0) return;
    for (const node of net.nodes) {
      const self: Endpoint = { protocol: 'udp', address: '127.0.0.1', port: node.port };
      node.transport.respondWith((_request, destination, data) => {
        const target = net.nodes.find((n) => n.port === destination.port && destination.address === '127.0.0.1');
        if (target === undefined || this.#closing) return 'timeout';
        this.#inflight++;
        return new Promise<FakeReply>((resolve) => {
          net.clock.setTimer(latencyMs, () => {
            if (this.#closing) {
              this.#inflight--;
              resolve('timeout');
              return;
            }
            void exchange(target.transport, data, self)
              .catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))))
              .then((reply) => {
                this.#inflight--;
                resolve(reply);
              });
          });
        });
      });
    }
  }

  get nodes(): Node[] {
    return this.net.nodes;
  }

  /** Let the promise queue drain and, while messages keep moving, run the harness's settle again. Does not move the clock. */
  async quiet(): Promise<void> {
    for (let rounds = 0; rounds < 200; rounds++) {
      const before = traffic(this.net);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      if (traffic(this.net) === before) return;
      await settle();
    }
    throw new Error('the network never went quiet (endless NOTIFY exchange?)');
  }

  /**
   * Run until no request is on its way, moving the clock by half the latency at a time; `check`
   * runs after each move (to stop a ping-pong early). Throws after 30 s of simulated time.
   */
  async drain(check: () => void = () => undefined): Promise<void> {
    await this.quiet();
    for (let waited = 0; this.#inflight > 0; waited += this.latencyMs / 2) {
      if (waited > 30_000) throw new Error('requests still on their way after 30 s (endless NOTIFY exchange?)');
      this.net.clock.advance(this.latencyMs / 2);
      await this.quiet();
      check();
    }
  }

  /** Advance the clock by `ms`, a second at a time so that the purge runs, letting exchanges finish. */
  async advance(ms: number, check?: () => void): Promise<void> {
    for (let left = ms; left > 0; left -= 1000) {
      this.net.clock.advance(Math.min(1000, left));
      await this.quiet();
    }
    await this.drain(check);
  }

  /**
   * Throws unless `copy` holds the same bindings of `aor` as `truth` (see {@link expectSame}),
   * expiries within latency + 1 s. With a latency a copy may outlive its original by up to that
   * (the NOTIFY carries whole seconds, counted from its arrival), so a contact that either side
   * ends that soon is left out on both sides.
   */
  async expectSameBindings(truth: Node, copy: Node, aor: string, what: string): Promise<void> {
    const t = await truth.registrar.bindings(aor);
    const c = await copy.registrar.bindings(aor);
    if (this.latencyMs === 0) return expectSame(t, c, what);
    const horizon = this.net.clock.now() + this.latencyMs + 1000;
    const ending = new Set([...t, ...c].filter((b) => b.expiresAt <= horizon).map((b) => b.contact));
    const keep = (bs: readonly Binding[]): Binding[] => bs.filter((b) => !ending.has(b.contact));
    expectSame(keep(t), keep(c), what, this.latencyMs + 1000);
  }

  /** Close every node; requests still on their way are dropped. */
  async close(): Promise<void> {
    this.#closing = true;
    let done = false;
    const closing = this.net.close().finally(() => {
      done = true;
    });
    while (!done) {
      this.net.clock.advance(1000);
      await settle();
    }
    await closing;
  }
}

function parsedBody(request: SipRequest): ReginfoDocument {
  const r = parseReginfo(request.body);
  if (!r.ok) throw new Error(`NOTIFY body does not parse: ${r.error.reason}`);
  return r.value;
}

/** The NOTIFYs `node` sent, by dialog (Call-ID), in the order sent, bodies parsed. */
function notifiesOf(node: Node): Map<string, ReginfoDocument[]> {
  const out = new Map<string, ReginfoDocument[]>();
  for (const { request } of node.transport.requests) {
    if (request.method !== 'NOTIFY') continue;
    let list = out.get(request.callId);
    if (list === undefined) out.set(request.callId, (list = []));
    list.push(parsedBody(request));
  }
  return out;
}

const countRequests = (node: Node, method: string): number => node.transport.requests.filter((r) => r.request.method === method).length;

/** Each subscription's NOTIFYs: versions 0, 1, 2 … without a gap (RFC 3680 §5.4), full state first, partial after. */
function expectVersionsAndStates(node: Node, subscriptions: number): void {
  const dialogs = notifiesOf(node);
  expect(dialogs.size).toBe(subscriptions);
  for (const docs of dialogs.values()) {
    expect(docs.map((d) => d.version)).toEqual(docs.map((_, i) => i));
    expect(docs.map((d) => d.state)).toEqual(docs.map((_, i) => (i === 0 ? 'full' : 'partial')));
  }
}

// ---------------------------------------------------------------------------------------------
// Phones
// ---------------------------------------------------------------------------------------------

const AORS = ['sip:u0@example.com', 'sip:u1@example.com', 'sip:u2@example.com'] as const;
const aorKey = (aorUri: string): string => aorUri.slice('sip:'.length);
const POOL = 3;
const contactUri = (aor: number, contact: number): string => `sip:u${aor}@10.0.0.${contact + 1}:5060`;
/**
 * The last pool contact of each AOR is an RFC 5626 phone: always the same `+sip.instance` and
 * `reg-id` on the same URI (a flow moving to another URI is the separate test below).
 */
const instanceOf = (aor: number, contact: number): string | undefined =>
  contact === POOL - 1 ? `<urn:uuid:00000000-0000-4000-8000-0000000000${aor}${contact}>` : undefined;

/** Something a phone does at a registrar (`overlap`: the next action starts before the network settles), or time passing. */
type PhoneAction =
  | {
      readonly kind: 'register';
      readonly node: number;
      readonly aor: number;
      readonly contact: number;
      readonly expires: number;
      /** `same`: a refresh in the phone's Call-ID (higher CSeq); `new`: a new Call-ID (a restarted phone). */
      readonly call: 'same' | 'new';
      readonly q: string | null;
      readonly userAgent: string | null;
      readonly path: readonly string[] | null;
      readonly params: string | null;
      readonly overlap: boolean;
    }
  | { readonly kind: 'deregister'; readonly node: number; readonly aor: number; readonly contact: number; readonly overlap: boolean }
  | { readonly kind: 'deregisterAll'; readonly node: number; readonly aor: number; readonly overlap: boolean }
  | { readonly kind: 'advance'; readonly ms: number };

/** Phone actions on `aors` AORs at `nodes` nodes; with `overlapping`, some start before the network settled. */
const phoneAction = (aors: number, nodes: number, overlapping = false): fc.Arbitrary<PhoneAction> => {
  const node = fc.nat(nodes - 1);
  const aor = fc.nat(aors - 1);
  const contact = fc.nat(POOL - 1);
  const overlap = overlapping ? fc.boolean() : fc.constant(false);
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.record({
        kind: fc.constant('register' as const),
        node,
        aor,
        contact,
        expires: fc.integer({ min: 1, max: 120 }),
        call: fc.constantFrom('same' as const, 'same' as const, 'new' as const),
        q: fc.option(fc.constantFrom('0', '0.1', '0.5', '0.75', '1'), { nil: null }),
        userAgent: fc.option(fc.constantFrom('Phone/1.0', 'Linphone/5.2 (belle-sip/5.2)', 'Odd <ua> & "quotes"'), { nil: null }),
        path: fc.option(fc.constantFrom(['<sip:edge1.example.com;lr>'], ['<sip:edge1.example.com;lr;ob>', '<sip:edge2.example.com;lr>']), { nil: null }),
        params: fc.option(fc.constantFrom('audio', 'language="en"', 'video'), { nil: null }),
        overlap,
      }),
    },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('deregister' as const), node, aor, contact, overlap }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('deregisterAll' as const), node, aor, overlap }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 150_000 }) }) },
  );
};

/** The phones: each pool contact keeps its Call-ID and counts its CSeq up (RFC 3261 §10.2.4), wherever it registers. */
class Phones {
  readonly ids = new IdSequence('ph');
  readonly #calls = new Map<string, { callId: string; cseq: number }>();
  #fresh = 0;

  /** The Call-ID and CSeq of a contact's next REGISTER. */
  next(aor: number, contact: number, newCall: boolean): { callId: string; cseq: number } {
    const key = `${aor}/${contact}`;
    let call = this.#calls.get(key);
    if (call === undefined || newCall) this.#calls.set(key, (call = { callId: `call-${aor}-${contact}-${++this.#fresh}@phone`, cseq: 0 }));
    call.cseq += 1;
    return { callId: call.callId, cseq: call.cseq };
  }

  /** A Call-ID never used (the `Contact: *` of another device). */
  fresh(): string {
    return `star-${++this.#fresh}@phone`;
  }
}

/** Deliver the REGISTER of `a` to its node (from a phone at 127.0.0.1:5090); resolves to the status. Does not move the clock. */
async function perform(sim: Sim, phones: Phones, a: Exclude<PhoneAction, { kind: 'advance' }>): Promise<number> {
  const node = sim.nodes[a.node];
  const aor = AORS[a.aor];
  let spec: Parameters<typeof buildRegister>[0];
  if (a.kind === 'deregisterAll') {
    spec = { aor, contacts: '*', expires: 0, callId: phones.fresh(), cseq: 1, ids: phones.ids };
  } else {
    const { callId, cseq } = phones.next(a.aor, a.contact, a.kind === 'register' && a.call === 'new');
    const params: Record<string, string | null> = {};
    const instance = instanceOf(a.aor, a.contact);
    if (instance !== undefined) Object.assign(params, { '+sip.instance': `"${instance}"`, 'reg-id': '1' });
    if (a.kind === 'register' && a.params !== null) {
      const [name, value] = a.params.split('=');
      params[name] = value ?? null;
    }
    const contact: ContactSpec = a.kind === 'register'
      ? { uri: contactUri(a.aor, a.contact), expires: a.expires, ...(a.q === null ? {} : { q: Number(a.q) }), params }
      : { uri: contactUri(a.aor, a.contact), expires: 0, params };
    spec = {
      aor,
      contacts: [contact],
      callId,
      cseq,
      ids: phones.ids,
      ...(a.kind === 'register' && a.userAgent !== null ? { userAgent: a.userAgent } : {}),
      ...(a.kind === 'register' && a.path !== null ? { path: a.path } : {}),
    };
  }
  const before = node.transport.responses.length;
  node.transport.deliver(buildRegister(spec), { address: '127.0.0.1', port: 5090 });
  await sim.quiet();
  return node.transport.responses[before]?.response.status ?? 0;
}

/**
 * Each property stops after this long (it passes in a few seconds): a failing one still reports
 * its counterexample, shrunk as far as it got, instead of hitting the test timeout.
 */
const BOUNDED = { interruptAfterTimeLimit: 20_000 };
const TEST_TIMEOUT_MS = 60_000;

/** Registrar options of every node: lifetimes as asked (no 60 s floor), Path stored, purge every second. */
const REGISTRAR = { minExpires: 0, purgeIntervalMs: 1000, defaultSaveOptions: { path: 'lazy' as const } };

/**
 * Run `actions`; after every action that does not overlap the next, once the network settled,
 * `compare` (and `check` while requests are on their way).
 */
async function run(sim: Sim, actions: readonly PhoneAction[], compare: (step: string) => Promise<void>, check?: () => void): Promise<void> {
  const phones = new Phones();
  for (const [i, action] of actions.entries()) {
    if (action.kind === 'advance') await sim.advance(action.ms, check);
    else {
      // One millisecond apart: two REGISTERs in the same millisecond at two nodes have no order the nodes could agree on.
      sim.net.clock.advance(1);
      const status = await perform(sim, phones, action);
      if (status !== 200) throw new Error(`step ${i}: REGISTER answered ${status}`);
      if (action.overlap && i < actions.length - 1) continue;
      await sim.drain(check);
    }
    await compare(`step ${i} ${JSON.stringify(action)}`);
  }
}

/** B subscribed to A for `aorCount` AORs: after every settled action B's copy equals A's bindings; the NOTIFYs are well-formed. */
async function oneWay(aorCount: number, actions: readonly PhoneAction[], latencyMs: number): Promise<void> {
  const sim = new Sim(network([
    { name: 'A', registrar: REGISTRAR },
    { name: 'B', registrar: REGISTRAR, reginfo: { outboundProxy: 'sip:127.0.0.1:5071' } },
  ]), latencyMs);
  const [a, b] = sim.nodes;
  const odd: string[] = [];
  b.reginfo.on('notify', (o) => {
    if (o.kind !== 'applied' || o.resync) odd.push(`${o.kind}${o.resync ? ' (resync)' : ''}${o.reason === undefined ? '' : `: ${o.reason}`}`);
  });
  try {
    const aors = AORS.slice(0, aorCount);
    for (const aor of aors) {
      const subscribed = b.reginfo.subscribe(aor, 7200);
      await sim.drain();
      expect((await subscribed).status).toBe('active');
    }
    await sim.drain();
    await run(sim, actions, async (step) => {
      for (const aor of aors) await sim.expectSameBindings(a, b, aor, `${step}, ${aor}: B's copy of A`);
    });
    expect(odd).toEqual([]);
    // One SUBSCRIBE per AOR, never refreshed or restarted (no resync was needed).
    expect(countRequests(b, 'SUBSCRIBE')).toBe(aorCount);
    expectVersionsAndStates(a, aorCount);
    const answers = b.transport.responses.filter((r) => r.request.method === 'NOTIFY').map((r) => r.response.status);
    expect(answers).toEqual(answers.map(() => 200));
  } finally {
    await sim.close();
  }
}

/**
 * A and B subscribed to each other for `aorCount` AORs, phones registering at both: after every
 * settled action both hold the same bindings, no NOTIFY is still flowing, and each subscription
 * carried at most its initial full NOTIFY plus one per change made by a REGISTER or a purge at
 * either end (a node's own change; at most an echo of the other's, which must stop there).
 */
async function twoWay(aorCount: number, actions: readonly PhoneAction[], latencyMs: number): Promise<void> {
  const sim = new Sim(network([
    { name: 'A', registrar: REGISTRAR, reginfo: { outboundProxy: 'sip:127.0.0.1:5072' } },
    { name: 'B', registrar: REGISTRAR, reginfo: { outboundProxy: 'sip:127.0.0.1:5071' } },
  ]), latencyMs);
  const [a, b] = sim.nodes;
  /** Changes made by REGISTERs and purges (not by NOTIFYs), per AOR, at either node. */
  const local = new Map<string, number>();
  for (const node of sim.nodes) {
    for (const kind of ['inserted', 'refreshed', 'updated', 'deleted', 'expired'] as const) {
      node.registrar.on(kind, (c: BindingChange) => {
        if (c.origin === undefined) local.set(c.aor, (local.get(c.aor) ?? 0) + 1);
      });
    }
  }
  const bounded = (): void => {
    for (const node of sim.nodes) {
      for (const docs of notifiesOf(node).values()) {
        const changes = local.get(aorKey(docs[0].registrations[0].aor)) ?? 0;
        if (docs.length > 1 + changes) {
          throw new Error(`NOTIFY ping-pong: ${node.name} sent ${docs.length} NOTIFYs in one subscription for ${changes} changes by REGISTERs and purges`);
        }
      }
    }
  };
  try {
    const aors = AORS.slice(0, aorCount);
    for (const aor of aors) {
      for (const watcher of [a, b]) {
        const subscribed = watcher.reginfo.subscribe(aor, 7200);
        await sim.drain();
        expect((await subscribed).status).toBe('active');
      }
    }
    await sim.drain();
    await run(sim, actions, async (step) => {
      const sent = countRequests(a, 'NOTIFY') + countRequests(b, 'NOTIFY');
      await settle();
      await sim.quiet();
      if (countRequests(a, 'NOTIFY') + countRequests(b, 'NOTIFY') !== sent) throw new Error(`${step}: NOTIFYs still flowing after the network settled`);
      bounded();
      for (const aor of aors) await sim.expectSameBindings(a, b, aor, `${step}, ${aor}: B vs A`);
    }, bounded);
    for (const node of sim.nodes) {
      expectVersionsAndStates(node, aorCount);
      expect(countRequests(node, 'SUBSCRIBE')).toBe(aorCount);
    }
  } finally {
    await sim.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The pure functions: registrationOf → applyRegistration
// ---------------------------------------------------------------------------------------------

const PURE_AOR = 'sip:u@example.com';
const PURE_CONTACTS = [1, 2, 3, 4, 5].map((n) => `sip:u@10.0.0.${n}:5060`);
const PURE_START = T0 + 123;

/** The attributes of a registration as a registrar stores them (plan-save: `params` never holds expires, q, +sip.instance, reg-id, methods). */
interface Attributes {
  readonly lifetimeMs: number;
  readonly q: number;
  readonly received: string | null;
  readonly path: readonly string[] | null;
  readonly userAgent: string | null;
  readonly instance: { readonly id: string; readonly regId: number | null } | null;
  readonly params: string | null;
  readonly methods: readonly string[] | null;
}

const attributes: fc.Arbitrary<Attributes> = fc.record({
  lifetimeMs: fc.integer({ min: 1, max: 300_000 }),
  q: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1000 })),
  received: fc.option(fc.constantFrom('sip:192.0.2.7:40123', 'sip:198.51.100.1:5060;transport=tcp'), { nil: null }),
  path: fc.option(fc.constantFrom(['<sip:edge1.example.com;lr>'], ['<sip:edge1.example.com;lr;ob>', '<sip:edge2.example.com;lr>']), { nil: null }),
  userAgent: fc.option(fc.constantFrom('Phone/1.0', 'Linphone/5.2 (belle-sip/5.2)', 'Odd <ua> & "quotes"\tand tab'), { nil: null }),
  instance: fc.option(fc.record({ id: fc.uuid().map((u) => `<urn:uuid:${u}>`), regId: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }) }), { nil: null }),
  params: fc.option(
    fc.subarray([';audio', ';language="en"', ';+sip.ice', ';video', ';mobility="mobile"', ';+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.mmtel"'], { minLength: 1 })
      .map((ps) => ps.join('')),
    { nil: null },
  ),
  methods: fc.option(fc.constantFrom(['INVITE', 'ACK', 'CANCEL', 'BYE', 'OPTIONS'], ['MESSAGE']), { nil: null }),
});

/** One thing a registrar does to the AOR between two documents, or time passing (then the purge expires what ran out). */
type Step =
  | { readonly kind: 'put'; readonly contact: number; readonly call: 'same' | 'new'; readonly cseqStep: number; readonly attributes: Attributes }
  | { readonly kind: 'delete'; readonly contact: number }
  | { readonly kind: 'deleteAll' }
  | { readonly kind: 'tick'; readonly ms: number }
  /** The notifier sends a document with what changed since the last one. */
  | { readonly kind: 'notify' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      contact: fc.nat(PURE_CONTACTS.length - 1),
      call: fc.constantFrom('same' as const, 'new' as const),
      cseqStep: fc.integer({ min: 1, max: 5 }),
      attributes,
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), contact: fc.nat(PURE_CONTACTS.length - 1) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'deleteAll' as const }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 1, max: 120_000 }) }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'notify' as const }) },
);

/** The RFC 3680 §5.2 event a notifier reports for a registrar change (OpenSIPS pua_reginfo's usrloc callbacks). */
const EVENT_OF: Readonly<Record<BindingChange['kind'], ContactEvent>> = {
  inserted: 'registered',
  refreshed: 'refreshed',
  updated: 'refreshed',
  deleted: 'unregistered',
  expired: 'expired',
};

/** A registrar's bindings of one AOR and the changes the notifier has not sent yet (merged by Contact URI, as ReginfoNotifier does). */
class Model {
  now = PURE_START;
  live = new Map<string, Binding>();
  pending = new Map<string, ContactChange>();
  /** Highest CSeq per Call-ID: a UA counts up within a Call-ID (RFC 3261 §8.1.1.5). */
  readonly #cseqs = new Map<string, number>();
  /** The Call-ID each contact used last, even after it was removed: a phone keeps it across a de-registration. */
  readonly #lastCall = new Map<string, string>();
  #calls = 0;

  #change(c: BindingChange): void {
    this.pending.set(c.binding.contact, { binding: c.binding, event: EVENT_OF[c.kind] });
  }

  put(contact: string, call: 'same' | 'new', cseqStep: number, a: Attributes): void {
    const found = this.live.get(contact);
    const last = this.#lastCall.get(contact);
    const callId = call === 'same' && last !== undefined ? last : `c${++this.#calls}@phone`;
    this.#lastCall.set(contact, callId);
    const cseq = (this.#cseqs.get(callId) ?? 0) + cseqStep;
    this.#cseqs.set(callId, cseq);
    const b: Mutable<Binding> = {
      contact,
      callId,
      cseq,
      expiresAt: this.now + a.lifetimeMs,
      q: a.q,
      updatedAt: this.now,
      flags: a.received === null ? 0 : BindingFlags.nat,
    };
    if (a.received !== null) b.received = a.received;
    if (a.path !== null) b.path = a.path;
    if (a.userAgent !== null) b.userAgent = a.userAgent;
    if (a.instance !== null) {
      b.instanceId = a.instance.id;
      if (a.instance.regId !== null) b.regId = a.instance.regId;
    }
    if (a.params !== null) b.params = a.params;
    if (a.methods !== null) b.methods = a.methods;
    this.live.set(contact, b);
    const kind = found === undefined ? 'inserted' : found.callId === callId ? 'refreshed' : 'updated';
    this.#change({ kind, aor: 'u@example.com', binding: b, ...(found === undefined ? {} : { previous: found }) });
  }

  delete(contact: string): void {
    const found = this.live.get(contact);
    if (found === undefined) return;
    this.live.delete(contact);
    this.#change({ kind: 'deleted', aor: 'u@example.com', binding: found });
  }

  tick(ms: number): void {
    this.now += ms;
    for (const [contact, b] of this.live) {
      if (b.expiresAt > this.now) continue;
      this.live.delete(contact);
      this.#change({ kind: 'expired', aor: 'u@example.com', binding: b });
    }
  }

  /** The partial `<registration>` of the pending changes (ReginfoNotifier.#notify), which are then sent. */
  partial(): ReginfoRegistration {
    const r = registrationOf(PURE_AOR, [...this.live.values()], this.pending, this.now, false);
    this.pending = new Map();
    return r;
  }
}

/** The registration as the watcher reads it: as is, or written and parsed back (the NOTIFY body). */
function received(r: ReginfoRegistration, version: number, state: 'full' | 'partial', viaXml: boolean): ReginfoRegistration {
  if (!viaXml) return r;
  const parsed = parseReginfo(buildReginfo({ version, state, registrations: [r] }));
  if (!parsed.ok) throw new Error(`document does not parse back: ${parsed.error.reason}`);
  return parsed.value.registrations[0];
}

describe('reg-event properties (fast-check)', () => {
  it('B subscribed to A: after every REGISTER, refresh, de-registration and expiry, the partial NOTIFYs add up to A\'s bindings; versions 0,1,2… per subscription, full first then partial', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }).chain((n) => fc.tuple(fc.constant(n), fc.array(phoneAction(n, 1), { minLength: 1, maxLength: 25, size: 'max' }))),
        ([aorCount, actions]) => oneWay(aorCount, actions, 0),
      ),
      { numRuns: 100, ...BOUNDED },
    );
  }, TEST_TIMEOUT_MS);

  it('B subscribed to A over a 100 ms network, REGISTERs arriving while NOTIFYs are on their way: the merged partial NOTIFYs still add up to A\'s bindings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(fc.constant(n), fc.array(phoneAction(n, 1, true), { minLength: 1, maxLength: 20, size: 'max' }))),
        ([aorCount, actions]) => oneWay(aorCount, actions, 100),
      ),
      { numRuns: 50, ...BOUNDED },
    );
  }, TEST_TIMEOUT_MS);

  it('pure: applying the partial registrations in order to an empty list gives the live bindings, as the full registration does', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(PURE_CONTACTS.length - 1), attributes), { maxLength: 5 }),
        fc.boolean(),
        fc.array(step, { maxLength: 40, size: 'max' }),
        fc.boolean(),
        (initial, initialFull, steps, viaXml) => {
          const model = new Model();
          for (const [contact, a] of initial) model.put(PURE_CONTACTS[contact], 'new', 1, a);
          let version = 0;
          let watcher: readonly Binding[] = [];
          const apply = (r: ReginfoRegistration, full: boolean): void => {
            const edit = applyRegistration('u@example.com', watcher, received(r, version, full ? 'full' : 'partial', viaXml), full, model.now);
            version++;
            if (edit !== undefined) watcher = edit.bindings;
          };
          if (initialFull) {
            // The first NOTIFY of a subscription: full state, then partial documents.
            model.pending = new Map();
            apply(registrationOf(PURE_AOR, [...model.live.values()], new Map(), model.now, true), true);
          }
          for (const s of steps) {
            if (s.kind === 'put') model.put(PURE_CONTACTS[s.contact], s.call, s.cseqStep, s.attributes);
            else if (s.kind === 'delete') model.delete(PURE_CONTACTS[s.contact]);
            else if (s.kind === 'deleteAll') for (const c of [...model.live.keys()]) model.delete(c);
            else if (s.kind === 'tick') model.tick(s.ms);
            else if (model.pending.size > 0) apply(model.partial(), false);
          }
          if (model.pending.size > 0) apply(model.partial(), false);
          const live = [...model.live.values()];
          const now = model.now;
          const stillLive = watcher.filter((b) => b.expiresAt > now);
          // The watcher's copy: each expiry rounded up to the second (a NOTIFY carries whole seconds).
          expectSame(live, stillLive, 'partials applied in order', 999);
          for (const b of stillLive) {
            const truth = model.live.get(b.contact);
            if (truth !== undefined && b.expiresAt < truth.expiresAt) throw new Error(`${b.contact} would expire early on the watcher: ${b.expiresAt} < ${truth.expiresAt}`);
          }
          const fullEdit = applyRegistration('u@example.com', [], received(registrationOf(PURE_AOR, live, new Map(), now, true), 0, 'full', viaXml), true, now);
          const fromFull = fullEdit?.bindings ?? [];
          expectSame(live, fromFull, 'the full registration applied', 999);
          expectSame(fromFull, stillLive, 'partials vs full', 999);
        },
      ),
      { numRuns: 300, ...BOUNDED },
    );
  }, TEST_TIMEOUT_MS);

  it('A and B subscribed to each other: phones registering at either end leave both with the same bindings, and every change costs at most one NOTIFY per subscription (no ping-pong)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(fc.constant(n), fc.array(phoneAction(n, 2), { minLength: 1, maxLength: 20, size: 'max' }))),
        ([aorCount, actions]) => twoWay(aorCount, actions, 0),
      ),
      { numRuns: 100, ...BOUNDED },
    );
  }, TEST_TIMEOUT_MS);

  it('A and B subscribed to each other over a 100 ms network, REGISTERs at both ends overlapping: both converge and the NOTIFYs stop', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 }).chain((n) => fc.tuple(fc.constant(n), fc.array(phoneAction(n, 2, true), { minLength: 1, maxLength: 20, size: 'max' }))),
        ([aorCount, actions]) => twoWay(aorCount, actions, 100),
      ),
      { numRuns: 50, ...BOUNDED },
    );
  }, TEST_TIMEOUT_MS);
});

describe('reg-event: an RFC 5626 flow that moves to another Contact URI', () => {
  it('the watcher drops the old Contact when the notifier\'s registrar replaced it by the new one (same +sip.instance and reg-id)', async () => {
    const sim = new Sim(network([
      { name: 'A', registrar: REGISTRAR },
      { name: 'B', registrar: REGISTRAR, reginfo: { outboundProxy: 'sip:127.0.0.1:5071' } },
    ]), 0);
    const [a, b] = sim.nodes;
    try {
      expect((await b.reginfo.subscribe(AORS[0], 7200)).status).toBe('active');
      await sim.quiet();
      const ids = new IdSequence('flow');
      const params = { '+sip.instance': '"<urn:uuid:00000000-0000-4000-8000-000000000001>"', 'reg-id': '1' };
      // The phone registers a flow, then (new IP address after a network change) the same flow from another URI.
      for (const [uri, cseq] of [['sip:u0@10.0.0.1:5060', 1], ['sip:u0@10.0.0.9:5060', 2]] as const) {
        a.transport.deliver(buildRegister({ aor: AORS[0], contacts: [{ uri, expires: 300, params }], callId: 'flow-call', cseq, ids }), { address: '127.0.0.1', port: 5090 });
        await sim.drain();
      }
      expect((await a.registrar.bindings(AORS[0])).map((x) => x.contact)).toEqual(['sip:u0@10.0.0.9:5060']);
      await sim.expectSameBindings(a, b, AORS[0], 'B\'s copy after the flow moved');
    } finally {
      await sim.close();
    }
  });
});
