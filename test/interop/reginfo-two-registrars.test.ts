/**
 * Interop: reg-event (RFC 3680; OpenSIPS `pua_reginfo`) between two real `sipreg registrar` CLI
 * processes over UDP on 127.0.0.1. Node A is the notifier; node B subscribes to
 * `sip:alice@example.com` at A (`--reginfo-subscribe`, the SUBSCRIBE routed to A with
 * `--reginfo-outbound-proxy`) and applies A's NOTIFYs to its own location. The test plays the UA
 * (plain UDP sockets) and a caller, and sees B's location the way a peer does: a MESSAGE for
 * alice sent to B is proxied to the highest-q registered contact, or answered 404 when alice has
 * no binding there.
 *
 * It proves:
 * 1. A REGISTER at A reaches B's location within 1 s of A's 200 OK (polled every 50 ms).
 * 2. A second contact and a refresh propagate too, q included: B forwards to the highest-q
 *    contact, and a refresh at A that raises the other contact's q moves B's choice.
 * 3. De-registrations at A (`expires=0`) reach B within 1 s: one contact, then the last (404).
 * 4. A binding whose lifetime runs out at A (`--min-expires 1`, a 2 s registration) leaves B too,
 *    no earlier than its expiry and within A's 1 s purge plus propagation.
 * 5. Restart resilience: B stopped (SIGTERM, it unsubscribes) or killed (SIGKILL, A keeps a stale
 *    watcher) and started again re-subscribes, gets A's full state and finds alice without the UA
 *    registering again; later changes at A still reach it.
 * 6. Two-way sync: A and B each subscribed to the other; a REGISTER at either is found at the
 *    other, and there is no NOTIFY storm: a third watcher (the test itself, subscribed to alice at
 *    both nodes) sees no NOTIFY while the bindings stay put for 2 s, and both nodes keep forwarding.
 *
 * And what a correct implementation must also do (the `extra:` tests; they fail until the
 * reg-event code is fixed):
 * - a NOTIFY with Event: reg that matches no subscription of the node is answered 481 and not
 *   applied (RFC 6665 §4.1.3) — otherwise anyone who can send B a datagram rewrites its location;
 * - a node exits promptly on SIGTERM when its notifier or one of its watchers is unreachable,
 *   instead of waiting out the 32 s client transaction of its final SUBSCRIBE or NOTIFY.
 *
 * The propagation times measured are printed with console.log.
 */
import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message';
import { buildRegister, buildRequest, type ContactSpec } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import { queryBindings } from '../helpers/query-bindings';
import type { ManagedProcess, ProcessExit } from '../helpers/spawn-managed';
import { sleep } from '../helpers/sleep';
import { startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const DOMAIN = 'example.com';
const AOR = `sip:alice@${DOMAIN}`;
/** Propagation budget from A's 200 OK to B's lookup (the acceptance criterion). */
const PROPAGATION_MS = 1_000;
/** How long a poll keeps trying past the budget, so a failure reports the time it did take. */
const POLL_GIVE_UP_MS = 4_000;
const POLL_INTERVAL_MS = 50;
/** How long one probe waits for the forwarded request or B's final answer (loopback: a few ms). */
const PROBE_TIMEOUT_MS = 250;
/** How long the test's watcher waits for the NOTIFYs it expects. */
const NOTIFY_TIMEOUT_MS = 5_000;
/** Waiting for a node's subscription to become active (its first SUBSCRIBE may need a retransmission). */
const SUBSCRIBED_TIMEOUT_MS = 6_000;
/** The lifetime of the registration that is left to expire at A. */
const SHORT_LIFETIME_S = 2;
/** A's purge runs every second; plus propagation and a loaded machine's lag. */
const EXPIRY_SLACK_MS = 1_500;
/** The two-way no-storm window. */
const STABLE_WINDOW_MS = 2_000;
/** How long a node may take to exit after SIGTERM (it normally needs a few hundred ms). */
const STOP_BUDGET_MS = 1_500;
/** Teardown: SIGKILL after this (the shutdown itself is what the stop tests check). */
const TEARDOWN_GRACE_MS = 500;

// ---------------------------------------------------------------------------------------------
// The registrar nodes
// ---------------------------------------------------------------------------------------------

/** A `sipreg registrar` process with reg-event on, and the port it listens on. */
interface Node {
  readonly name: string;
  readonly port: number;
  process: ManagedProcess;
}

/**
 * Start `sipreg registrar` on `udp:127.0.0.1:port` with reg-event on (no PUBLISH: no presence
 * server here); with `subscribeTo`, subscribed to alice's reg-event at that port.
 */
async function startNode(name: string, port: number, options: { subscribeTo?: number; extraArgs?: readonly string[] } = {}): Promise<Node> {
  const subscribe = options.subscribeTo === undefined
    ? []
    : ['--reginfo-outbound-proxy', `sip:127.0.0.1:${options.subscribeTo}`, '--reginfo-subscribe', `${AOR},600`];
  const process = await startSipreg({
    port,
    extraArgs: [
      '--reginfo-server-address', `sip:reginfo@127.0.0.1:${port}`,
      '--reginfo-publish', '0',
      '--log-level', 'info',
      ...subscribe,
      ...(options.extraArgs ?? []),
    ],
  });
  return { name, port, process };
}

/** The JSON log lines of a node. */
function logEntries(node: Node): Record<string, unknown>[] {
  const entries: Record<string, unknown>[] = [];
  for (const line of node.process.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      entries.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line cut by the output limit
    }
  }
  return entries;
}

/** Resolve once `node` logged its reg-event subscription to alice as active. */
async function waitSubscribed(node: Node): Promise<void> {
  const deadline = Date.now() + SUBSCRIBED_TIMEOUT_MS;
  const active = (): boolean =>
    logEntries(node).some((e) => e.msg === 'reg-event subscription' && e.uri === AOR && e.status === 'active');
  while (!active()) {
    if (Date.now() > deadline) {
      throw new Error(`${node.name} did not log an active reg-event subscription to ${AOR} within ${SUBSCRIBED_TIMEOUT_MS} ms; output:\n${node.process.output()}`);
    }
    await sleep(POLL_INTERVAL_MS);
  }
}

// ---------------------------------------------------------------------------------------------
// Lookups seen from outside: a MESSAGE to alice, forwarded to a contact or answered 404
// ---------------------------------------------------------------------------------------------

/** What one probe of a node's lookup for alice saw. */
type LookupSeen =
  | { readonly kind: 'forwarded'; readonly to: number }
  | { readonly kind: 'answered'; readonly status: number }
  | { readonly kind: 'nothing' };

const describeSeen = (seen: LookupSeen): string =>
  seen.kind === 'forwarded' ? `forwarded to port ${seen.to}` : seen.kind === 'answered' ? `answered ${seen.status}` : 'no forward and no answer';

/** Sends MESSAGEs for alice to a node and watches where they end up. */
class LookupProbe {
  readonly #caller: UdpSipPeer;
  readonly #contacts: readonly UdpSipPeer[];
  /** Shared by every probe, so that each MESSAGE has a Call-ID of its own. */
  static #count = 0;

  constructor(caller: UdpSipPeer, contacts: readonly UdpSipPeer[]) {
    this.#caller = caller;
    this.#contacts = contacts;
  }

  /** One MESSAGE for alice sent to `port`: which contact socket it reached, or the node's final answer. */
  async probe(port: number): Promise<LookupSeen> {
    LookupProbe.#count += 1;
    const callId = `probe-${process.pid}-${LookupProbe.#count}@127.0.0.1`;
    this.#caller.send(buildRequest('MESSAGE', {
      requestUri: AOR,
      to: AOR,
      from: `sip:carol@${DOMAIN}`,
      callId,
      via: { port: this.#caller.port, rport: true },
      body: 'where is alice?',
    }), port);
    const isProbe = (m: SipMessage): m is SipRequest => m.kind === 'request' && m.method === 'MESSAGE' && m.callId === callId;
    const isAnswer = (m: SipMessage): m is SipResponse => m.kind === 'response' && m.status >= 300 && m.callId === callId;
    const seen = await Promise.race<LookupSeen>([
      ...this.#contacts.map(async (contact): Promise<LookupSeen> =>
        (await contact.waitFor(isProbe, PROBE_TIMEOUT_MS)) === undefined ? { kind: 'nothing' } : { kind: 'forwarded', to: contact.port }),
      this.#caller.waitFor(isAnswer, PROBE_TIMEOUT_MS).then((r): LookupSeen => (r === undefined ? { kind: 'nothing' } : { kind: 'answered', status: r.status })),
      sleep(PROBE_TIMEOUT_MS).then((): LookupSeen => ({ kind: 'nothing' })),
    ]);
    return seen;
  }

  /**
   * Probe `node` every 50 ms until `wanted` holds; resolves with the ms from `since` to that probe's
   * outcome. Rejects after `giveUpMs` with the last outcome seen.
   */
  async until(node: Node, wanted: (seen: LookupSeen) => boolean, what: string, since: number, giveUpMs = POLL_GIVE_UP_MS): Promise<number> {
    let last: LookupSeen = { kind: 'nothing' };
    for (;;) {
      last = await this.probe(node.port);
      if (wanted(last)) return Date.now() - since;
      if (Date.now() - since > giveUpMs) {
        const location = await queryBindings(node.port, AOR).then((a) => `${a.status} ${a.contacts.join(' | ')}`, (e: unknown) => String(e));
        throw new Error(`${node.name}: ${what} not seen within ${giveUpMs} ms; last probe: ${describeSeen(last)}; ${node.name}'s location for ${AOR}: ${location}\n--- ${node.name} output:\n${node.process.output()}`);
      }
      await sleep(POLL_INTERVAL_MS);
    }
  }
}

const forwardedTo = (contact: UdpSipPeer) => (seen: LookupSeen): boolean => seen.kind === 'forwarded' && seen.to === contact.port;
const notFound = (seen: LookupSeen): boolean => seen.kind === 'answered' && seen.status === 404;

/** A registration of one contact of alice: its own Call-ID, CSeq counted up per REGISTER. */
class Registration {
  readonly #contact: UdpSipPeer;
  readonly #callId: string;
  #cseq = 0;

  constructor(contact: UdpSipPeer, label: string) {
    this.#contact = contact;
    this.#callId = `reg-${label}-${process.pid}-${Date.now()}@127.0.0.1`;
  }

  /** REGISTER (or refresh, or with `expires: 0` de-register) the contact at `node`; resolves at its 200 OK with the time it arrived. */
  async register(node: Node, expires: number, q?: number): Promise<{ response: SipResponse; at: number }> {
    this.#cseq += 1;
    const contact: ContactSpec = q === undefined ? { uri: this.#contact.uri, expires } : { uri: this.#contact.uri, expires, q };
    const response = await this.#contact.request(buildRegister({
      aor: AOR,
      contacts: [contact],
      callId: this.#callId,
      cseq: this.#cseq,
      fromTag: `ua-${this.#contact.port}`,
      via: { port: this.#contact.port, rport: true },
    }), node.port);
    const at = Date.now();
    if (response.status !== 200) throw new Error(`${node.name} answered the REGISTER of ${this.#contact.uri} (expires ${expires}) with ${response.status} ${response.reason}`);
    return { response, at };
  }
}

/** The Contacts of a 200 to a binding query (one header line may list several): URI to its `q`. */
function listed(headerValues: readonly string[]): Map<string, string | undefined> {
  const contacts = new Map<string, string | undefined>();
  for (const value of headerValues) {
    for (const m of value.matchAll(/<([^>]*)>([^,]*)/g)) contacts.set(m[1], /;q=([\d.]+)/.exec(m[2])?.[1]);
  }
  return contacts;
}

/**
 * SIGTERM `node` and wait for its exit (SIGKILL once `STOP_BUDGET_MS` + 500 ms have passed), then
 * expect it to have exited by itself (code 0: the CLI's shutdown finished) within `STOP_BUDGET_MS`.
 */
async function expectPromptStop(node: Node, situation: string): Promise<void> {
  const started = Date.now();
  const exit: ProcessExit = await node.process.stop(STOP_BUDGET_MS + 500);
  const ms = Date.now() - started;
  report(`${node.name} SIGTERM -> exit (${situation})`, ms);
  const outcome = exit.signal === 'SIGKILL' ? `still running after ${ms} ms: SIGKILLed` : `exited with code ${exit.code} (signal ${exit.signal}) after ${ms} ms`;
  expect({ situation, outcome, prompt: exit.code === 0 && exit.signal === null && ms <= STOP_BUDGET_MS })
    .toEqual({ situation, outcome: expect.stringMatching(/^exited with code 0 \(signal null\)/), prompt: true });
}

/** The NOTIFY a reg-event notifier would send: full state, alice registered at `contact`. */
function reginfoNotify(target: number, from: UdpSipPeer, contact: string, toTag: string): string {
  const body = [
    '<?xml version="1.0"?>',
    '<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full">',
    `  <registration aor="${AOR}" id="r1" state="active">`,
    '    <contact id="c1" state="active" event="registered" expires="600" q="1.0">',
    `      <uri>${contact}</uri>`,
    '    </contact>',
    '  </registration>',
    '</reginfo>',
    '',
  ].join('\n');
  return buildRequest('NOTIFY', {
    requestUri: `sip:reginfo@127.0.0.1:${target}`,
    to: `sip:reginfo@127.0.0.1:${target}`,
    toTag,
    from: `sip:reginfo@127.0.0.1:${from.port}`,
    via: { port: from.port, rport: true },
    contacts: [`sip:reginfo@127.0.0.1:${from.port}`],
    headers: [['Event', 'reg'], ['Subscription-State', 'active;expires=600']],
    contentType: 'application/reginfo+xml',
    body,
  });
}

function report(what: string, ms: number): void {
  console.log(`reg-event propagation: ${what}: ${ms} ms`);
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort('udp'));
  return [...ports];
}

// ---------------------------------------------------------------------------------------------
// B subscribed to A
// ---------------------------------------------------------------------------------------------

describe('reg-event between two sipreg registrars: B subscribed to alice at A', () => {
  let a: Node | undefined;
  let b: Node | undefined;
  let ua1: UdpSipPeer;
  let ua2: UdpSipPeer;
  let caller: UdpSipPeer;
  let probe: LookupProbe;

  const nodes = (): { a: Node; b: Node } => {
    if (a === undefined || b === undefined) throw new Error('the registrars did not start');
    return { a, b };
  };

  beforeAll(async () => {
    const [portA, portB] = await distinctPorts(2);
    [ua1, ua2, caller] = await Promise.all([UdpSipPeer.open(), UdpSipPeer.open(), UdpSipPeer.open()]);
    probe = new LookupProbe(caller, [ua1, ua2]);
    // Started together: a SUBSCRIBE of B that arrives before A listens is retransmitted.
    [a, b] = await Promise.all([startNode('A', portA, { extraArgs: ['--min-expires', '1'] }), startNode('B', portB, { subscribeTo: portA })]);
    await waitSubscribed(b);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.process.stop(TEARDOWN_GRACE_MS), b?.process.stop(TEARDOWN_GRACE_MS)]);
    await Promise.all([ua1?.close(), ua2?.close(), caller?.close()]);
  });

  it('1. a REGISTER at A is found by B within 1 s', async () => {
    const { a, b } = nodes();
    expect(describeSeen(await probe.probe(b.port))).toBe('answered 404');
    const { at } = await new Registration(ua1, 'first').register(a, 600);
    const ms = await probe.until(b, forwardedTo(ua1), `a MESSAGE for alice forwarded to ${ua1.uri}`, at);
    report('REGISTER at A -> found at B', ms);
    expect(ms).toBeLessThan(PROPAGATION_MS);
    // A itself forwards there too (the registration is A's own).
    expect(await probe.probe(a.port)).toEqual({ kind: 'forwarded', to: ua1.port });
  });

  it('2. a second contact and a refresh propagate: B forwards to the highest-q contact', async () => {
    const { a, b } = nodes();
    const first = new Registration(ua1, 'q-first');
    const second = new Registration(ua2, 'q-second');
    await first.register(a, 600, 0.5);
    await probe.until(b, forwardedTo(ua1), `a MESSAGE forwarded to ${ua1.uri}`, Date.now());

    const added = await second.register(a, 600, 0.9);
    const addedMs = await probe.until(b, forwardedTo(ua2), `a MESSAGE forwarded to the q=0.9 contact ${ua2.uri}`, added.at);
    report('second contact (q=0.9) at A -> B forwards to it', addedMs);
    expect(addedMs).toBeLessThan(PROPAGATION_MS);

    // A refresh (same Call-ID, next CSeq) raising the first contact's q above the second's.
    const refreshed = await first.register(a, 600, 1);
    const refreshedMs = await probe.until(b, forwardedTo(ua1), `a MESSAGE forwarded to the refreshed q=1 contact ${ua1.uri}`, refreshed.at);
    report('refresh at A (q 0.5 -> 1) -> B forwards to it', refreshedMs);
    expect(refreshedMs).toBeLessThan(PROPAGATION_MS);
    expect(await probe.probe(a.port)).toEqual({ kind: 'forwarded', to: ua1.port });

    // B's location holds both contacts, with A's q values.
    const atB = await queryBindings(b.port, AOR);
    expect(atB.status).toBe(200);
    expect(listed(atB.contacts)).toEqual(new Map([[ua1.uri, '1'], [ua2.uri, '0.9']]));
  });

  it('3. de-registrations at A reach B within 1 s, the last one leaving B answering 404', async () => {
    const { b, a } = nodes();
    // Both contacts of test 2 are registered (ua1 q=1, ua2 q=0.9) under the Call-IDs used there:
    // register them afresh under new Call-IDs, which replace them (RFC 3261 §10.3 step 7).
    const first = new Registration(ua1, 'dereg-first');
    const second = new Registration(ua2, 'dereg-second');
    await first.register(a, 600, 1);
    await second.register(a, 600, 0.9);
    await probe.until(b, forwardedTo(ua1), `a MESSAGE forwarded to ${ua1.uri}`, Date.now());

    const gone1 = await first.register(a, 0);
    const ms1 = await probe.until(b, forwardedTo(ua2), `after ${ua1.uri} de-registered, a MESSAGE forwarded to ${ua2.uri}`, gone1.at);
    report('de-REGISTER of the q=1 contact at A -> B forwards to the other', ms1);
    expect(ms1).toBeLessThan(PROPAGATION_MS);

    const gone2 = await second.register(a, 0);
    const ms2 = await probe.until(b, notFound, 'a 404 for alice', gone2.at);
    report('de-REGISTER of the last contact at A -> B answers 404', ms2);
    expect(ms2).toBeLessThan(PROPAGATION_MS);
    expect(await probe.probe(a.port)).toEqual({ kind: 'answered', status: 404 });
  });

  it(`4. a binding that expires at A (${SHORT_LIFETIME_S} s) leaves B too`, async () => {
    const { a, b } = nodes();
    const { response, at } = await new Registration(ua1, 'short').register(a, SHORT_LIFETIME_S);
    expect(response.contacts).not.toBe('*');
    expect(response.contacts === '*' ? undefined : response.contacts[0]?.params.expires).toBe(String(SHORT_LIFETIME_S));
    const foundMs = await probe.until(b, forwardedTo(ua1), `the ${SHORT_LIFETIME_S} s binding forwarded to at B`, at);
    report(`REGISTER (${SHORT_LIFETIME_S} s) at A -> found at B`, foundMs);
    expect(foundMs).toBeLessThan(PROPAGATION_MS);

    const goneMs = await probe.until(b, notFound, 'a 404 for alice after her binding expired at A', at, SHORT_LIFETIME_S * 1000 + POLL_GIVE_UP_MS);
    report(`binding of ${SHORT_LIFETIME_S} s expired at A -> B answers 404 (since A's 200)`, goneMs);
    expect(goneMs).toBeGreaterThanOrEqual(SHORT_LIFETIME_S * 1000 - 100);
    expect(goneMs).toBeLessThan(SHORT_LIFETIME_S * 1000 + EXPIRY_SLACK_MS);
    expect(await probe.probe(a.port)).toEqual({ kind: 'answered', status: 404 });
  });

  it.each([
    { how: 'stopped (SIGTERM: it unsubscribes first)', signal: 'SIGTERM' as const },
    { how: 'killed (SIGKILL: A keeps its old subscription)', signal: 'SIGKILL' as const },
  ])('5. B $how and started again gets A\'s full state and later changes', async ({ signal }) => {
    const { a, b } = nodes();
    const registration = new Registration(ua1, `restart-${signal}`);
    await registration.register(a, 600);
    await probe.until(b, forwardedTo(ua1), `a MESSAGE forwarded to ${ua1.uri} before the restart`, Date.now());

    if (signal === 'SIGTERM') await b.process.stop();
    else {
      b.process.child.kill('SIGKILL');
      await b.process.exited;
    }
    const restarting = Date.now();
    b.process = (await startNode('B', b.port, { subscribeTo: a.port })).process;
    const ready = Date.now();
    const foundMs = await probe.until(b, forwardedTo(ua1), `after the restart, a MESSAGE forwarded to ${ua1.uri} (no new REGISTER)`, ready);
    report(`B restarted (${signal}): ready line -> finds alice (start took ${ready - restarting} ms)`, foundMs);
    expect(foundMs).toBeLessThan(PROPAGATION_MS);
    await waitSubscribed(b);

    // The new subscription carries later changes too.
    const gone = await registration.register(a, 0);
    const goneMs = await probe.until(b, notFound, 'a 404 for alice after her de-REGISTER at A', gone.at);
    report(`B restarted (${signal}): de-REGISTER at A -> B answers 404`, goneMs);
    expect(goneMs).toBeLessThan(PROPAGATION_MS);
  });

  it('extra: B refuses a reg-event NOTIFY that belongs to no subscription of its own (RFC 6665 §4.1.3: 481) and does not apply it', async () => {
    const { b } = nodes();
    const intruder = await UdpSipPeer.open();
    try {
      expect(describeSeen(await probe.probe(b.port))).toBe('answered 404');
      const response = await intruder.request(reginfoNotify(b.port, intruder, intruder.uri, 'no-such-subscription'), b.port);
      const seen = await new LookupProbe(caller, [ua1, ua2, intruder]).probe(b.port);
      expect({ intruderPort: intruder.port, notifyAnswer: response.status, lookupAtB: describeSeen(seen) })
        .toEqual({ intruderPort: intruder.port, notifyAnswer: 481, lookupAtB: 'answered 404' });
    } finally {
      await intruder.close();
    }
  });

  it('extra: B, the subscriber, exits promptly on SIGTERM after A, its notifier, died', async () => {
    const { a, b } = nodes();
    a.process.child.kill('SIGKILL');
    await a.process.exited;
    await expectPromptStop(b, 'its notifier A is gone');
  });
});

// ---------------------------------------------------------------------------------------------
// A and B subscribed to each other
// ---------------------------------------------------------------------------------------------

/** The test's own reg-event subscription to alice at a node (RFC 3680 §4): it counts the NOTIFYs. */
class Watcher {
  readonly socket: UdpSipPeer;
  readonly node: Node;
  readonly #callId: string;

  constructor(socket: UdpSipPeer, node: Node) {
    this.socket = socket;
    this.node = node;
    this.#callId = `watch-${node.name}-${process.pid}-${Date.now()}@127.0.0.1`;
  }

  async subscribe(): Promise<void> {
    const response = await this.socket.request(buildRequest('SUBSCRIBE', {
      requestUri: AOR,
      to: AOR,
      from: `sip:watcher@127.0.0.1:${this.socket.port}`,
      callId: this.#callId,
      via: { port: this.socket.port, rport: true },
      contacts: [`sip:watcher@127.0.0.1:${this.socket.port}`],
      headers: [['Event', 'reg'], ['Accept', 'application/reginfo+xml'], ['Expires', '120']],
    }), this.node.port);
    if (response.status !== 200) throw new Error(`${this.node.name} answered the test's SUBSCRIBE with ${response.status} ${response.reason}`);
  }

  /** The NOTIFYs of this subscription received so far. */
  notifies(): SipRequest[] {
    return this.socket.requests().filter((r) => r.method === 'NOTIFY' && r.callId === this.#callId);
  }

  /** Resolve once at least `count` NOTIFYs have arrived. */
  async waitForNotifies(count: number): Promise<void> {
    const deadline = Date.now() + NOTIFY_TIMEOUT_MS;
    while (this.notifies().length < count) {
      if (Date.now() > deadline) throw new Error(`the test's watcher at ${this.node.name} got ${this.notifies().length} NOTIFYs, expected ${count}`);
      await sleep(POLL_INTERVAL_MS);
    }
  }

  /** Each NOTIFY as `version state: contact@port event, ...` for failure messages. */
  summary(): string {
    return this.notifies().map((n) => {
      const body = new TextDecoder().decode(n.body);
      const version = /version="(\d+)"/.exec(body)?.[1];
      const state = /state="(full|partial)"/.exec(body)?.[1];
      const contacts = [...body.matchAll(/<contact\b[^>]*\bevent="([^"]+)"[^>]*>[\s\S]*?<uri>([^<]*)<\/uri>/g)].map((m) => `${m[2]} ${m[1]}`);
      return `v${version} ${state}: ${contacts.join(', ') || '(none)'}`;
    }).join('\n');
  }
}

describe('reg-event between two sipreg registrars subscribed to each other', () => {
  let a: Node | undefined;
  let b: Node | undefined;
  let ua1: UdpSipPeer;
  let ua2: UdpSipPeer;
  let caller: UdpSipPeer;
  let watchSocket: UdpSipPeer;
  let probe: LookupProbe;

  beforeAll(async () => {
    const [portA, portB] = await distinctPorts(2);
    [ua1, ua2, caller, watchSocket] = await Promise.all([UdpSipPeer.open(), UdpSipPeer.open(), UdpSipPeer.open(), UdpSipPeer.open()]);
    probe = new LookupProbe(caller, [ua1, ua2]);
    // Started together: a SUBSCRIBE that arrives before the other node listens is retransmitted.
    [a, b] = await Promise.all([startNode('A', portA, { subscribeTo: portB }), startNode('B', portB, { subscribeTo: portA })]);
    await Promise.all([waitSubscribed(a), waitSubscribed(b)]);
  }, 30_000);

  afterAll(async () => {
    await Promise.all([a?.process.stop(TEARDOWN_GRACE_MS), b?.process.stop(TEARDOWN_GRACE_MS)]);
    await Promise.all([ua1?.close(), ua2?.close(), caller?.close(), watchSocket?.close()]);
  });

  it('6. a REGISTER at either node is found at the other, with no NOTIFY storm', async () => {
    if (a === undefined || b === undefined) throw new Error('the registrars did not start');
    const watchA = new Watcher(watchSocket, a);
    const watchB = new Watcher(watchSocket, b);
    await Promise.all([watchA.subscribe(), watchB.subscribe()]);
    await Promise.all([watchA.waitForNotifies(1), watchB.waitForNotifies(1)]); // the full state (no contact yet)

    const atB = await new Registration(ua1, 'two-way-b').register(b, 600, 0.5);
    const msBA = await probe.until(a, forwardedTo(ua1), `a MESSAGE forwarded by A to ${ua1.uri}, registered at B`, atB.at);
    report('two-way: REGISTER at B -> found at A', msBA);
    expect(msBA).toBeLessThan(PROPAGATION_MS);

    const atA = await new Registration(ua2, 'two-way-a').register(a, 600, 0.9);
    const msAB = await probe.until(b, forwardedTo(ua2), `a MESSAGE forwarded by B to the q=0.9 ${ua2.uri}, registered at A`, atA.at);
    report('two-way: REGISTER at A -> found at B', msAB);
    expect(msAB).toBeLessThan(PROPAGATION_MS);
    expect(await probe.probe(a.port)).toEqual({ kind: 'forwarded', to: ua2.port });

    // Let the echo of each change settle, then nothing may move for 2 s.
    await sleep(300);
    const before = { a: watchA.notifies().length, b: watchB.notifies().length };
    const windowEnd = Date.now() + STABLE_WINDOW_MS;
    while (Date.now() < windowEnd) {
      expect(await probe.probe(a.port)).toEqual({ kind: 'forwarded', to: ua2.port });
      expect(await probe.probe(b.port)).toEqual({ kind: 'forwarded', to: ua2.port });
      await sleep(200);
    }
    const after = { a: watchA.notifies().length, b: watchB.notifies().length };
    const context = `NOTIFYs the test's watcher got\n--- from A:\n${watchA.summary()}\n--- from B:\n${watchB.summary()}`;
    expect({ during2s: { a: after.a - before.a, b: after.b - before.b }, context }).toEqual({ during2s: { a: 0, b: 0 }, context });
    // The initial full state plus one partial per contact registered: each change once, no echo.
    expect({ total: after, context }).toEqual({ total: { a: 3, b: 3 }, context });

    // Both locations hold both contacts.
    for (const node of [a, b]) {
      const location = await queryBindings(node.port, AOR);
      expect({ node: node.name, contacts: listed(location.contacts) }).toEqual({ node: node.name, contacts: new Map([[ua1.uri, '0.5'], [ua2.uri, '0.9']]) });
    }
  });

  it('extra: A, a notifier, exits promptly on SIGTERM though one of its watchers no longer answers', async () => {
    if (a === undefined) throw new Error('the registrars did not start');
    // The test's watcher (subscribed in test 6) goes away without unsubscribing; B stays up.
    await watchSocket.close();
    await expectPromptStop(a, 'the watcher subscribed by the test is gone, B is up');
  });
});
