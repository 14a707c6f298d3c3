/**
 * Interop: the sipreg CLI mid-registrar (`sipreg mid-registrar`, modelled on OpenSIPS
 * mid_registrar) in front of a real main registrar, Kamailio (usrloc in memory, registrar
 * `save`/`lookup`, stateless `forward`), over UDP on 127.0.0.1. The test itself plays the phone
 * (the UA) and a caller with plain UDP sockets.
 *
 * For each mode (mirror, throttle-contact, throttle-aor), with a fresh Kamailio and mid-registrar,
 * it proves the acceptance text "the UA's REGISTERs are absorbed as predicted, Kamailio's location
 * holds the rewritten contacts, a request sent by Kamailio to the AOR reaches the UA through the
 * mid-registrar, and a vanished UA is removed from Kamailio":
 *
 * 1. The UA's REGISTER is answered 200 listing the UA's own Contact, and Kamailio's location
 *    (read with a REGISTER without Contact, RFC 3261 §10.2.3) holds the rewritten contact:
 *    `sip:alice@127.0.0.1:MID;ctid=<16 hex>` (mirror, throttle-contact) or
 *    `sip:alice%40example.com@127.0.0.1:MID` (throttle-aor), with the UA's lifetime (mirror) or
 *    `--outgoing-expires` (throttling).
 * 2. Absorption as predicted, counted from Kamailio's own log of every REGISTER it receives: in
 *    mirror mode the UA's refresh reaches Kamailio; when throttling it is answered by the
 *    mid-registrar alone, since Kamailio's binding (60 s) outlives the UA's lifetime by far.
 * 3. A MESSAGE sent to the AOR through Kamailio (`lookup("location")` + `forward()`) reaches the
 *    UA through the mid-registrar, whose lookup maps the rewritten contact back to the UA's
 *    Contact (RFC 3261 §16.5); the UA's 200 travels back along the Vias to the caller (§16.11).
 * 4. Once the UA stops refreshing, its contact leaves Kamailio's location within about a second
 *    of the UA's lifetime: in the throttling modes because the mid-registrar de-REGISTERs it
 *    itself (`expires=0`, RFC 3261 §10.2.2) — Kamailio alone would keep it for 60 s — and in
 *    mirror mode because Kamailio's binding expires at the same time.
 *
 * Kamailio is started in the foreground (`-DD -E`) with a minimal in-memory registrar config the
 * test writes to a temporary directory. In CI (env CI set) a missing kamailio fails the test;
 * locally it is skipped with a warning.
 */
import type { SipResponse } from '../../src/sip/message';
import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { parseSip } from '../helpers/parse-sip';
import { queryBindings } from '../helpers/query-bindings';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startMidRegistrar } from '../helpers/start-mid-registrar';
import { kamailioRegistrarConfig, startKamailio } from '../helpers/start-kamailio';
import { sleep } from '../helpers/sleep';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const KAMAILIO = interopPrerequisites('the Kamailio mid-registrar interop tests', { kamailio: 'kamailio' });

const DOMAIN = 'example.com';
const AOR = `sip:alice@${DOMAIN}`;
/** The UA's registration lifetime: short, so that its vanishing is seen quickly. */
const UA_LIFETIME_S = 5;
/** What the throttling modes ask of Kamailio: far longer than the UA's lifetime. */
const OUTGOING_EXPIRES_S = 60;
/**
 * How late after the UA's lifetime its contact may leave Kamailio: the mid-registrar purges expired
 * bindings every second, then de-REGISTERs; plus polling and a loaded machine's lag.
 */
const VANISH_SLACK_MS = 3_000;
/** How long Kamailio's log line of a query it answered may take to appear. */
const LOG_TIMEOUT_MS = 5_000;
const POLL_MS = 200;
/** Polling Kamailio's log for a line it wrote before its reply: normally there already. */
const LOG_POLL_MS = 10;

// ---------------------------------------------------------------------------------------------
// Kamailio as the main registrar
// ---------------------------------------------------------------------------------------------

/** Marker of the line Kamailio logs for every REGISTER it receives. */
const REGISTER_LOG_MARKER = 'kamailio-register';
const REGISTER_LOG_LINE = /kamailio-register source=(\S+) call-id=(\S+) cseq=(\d+) expires=(\S+) contact=(.*)$/gm;

/**
 * A minimal in-memory registrar on `udp:127.0.0.1:port`: REGISTERs go to `save("location")`
 * (logged first, to count them), any other request to the registered contact by
 * `lookup("location")` and a stateless `forward()`. Lifetimes between 1 s and 2 h are kept as
 * asked, so Kamailio's bindings live exactly as long as the mid-registrar asks.
 */
function kamailioConfig(port: number): string {
  return kamailioRegistrarConfig(port, `
	if (method == "REGISTER") {
		xlog("L_NOTICE", "${REGISTER_LOG_MARKER} source=$si:$sp call-id=$ci cseq=$cs expires=$hdr(Expires) contact=$ct\\n");
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	forward();
	exit;`);
}

/** One REGISTER as Kamailio logged it. */
interface LoggedRegister {
  /** `ip:port` it came from. */
  readonly source: string;
  readonly callId: string;
  readonly cseq: number;
  /** The lifetime it asks: its Contact's `expires` parameter, else its Expires header (undefined: neither). */
  readonly lifetime: number | undefined;
}

function loggedRegisters(output: string): LoggedRegister[] {
  return [...output.matchAll(REGISTER_LOG_LINE)].map(([, source, callId, cseq, expires, contact]) => {
    const lifetime = /;expires=(\d+)/i.exec(contact)?.[1] ?? (/^\d+$/.test(expires) ? expires : undefined);
    return { source, callId, cseq: Number(cseq), lifetime: lifetime === undefined ? undefined : Number(lifetime) };
  });
}

/** A Contact of a registrar's 200: its URI and `expires` parameter. */
interface ListedContact {
  readonly uri: string;
  readonly expires: number | undefined;
}

/** The Contacts of a 200 to a REGISTER (Kamailio may list several in one header, comma-separated). */
function listedContacts(response: SipResponse): ListedContact[] {
  if (response.contacts === '*') throw new Error('Contact: * in a 200 to REGISTER');
  return response.contacts.map((c) => ({ uri: c.uri, expires: typeof c.params.expires === 'string' ? Number(c.params.expires) : undefined }));
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ---------------------------------------------------------------------------------------------
// What each mode is predicted to do
// ---------------------------------------------------------------------------------------------

type Mode = 'mirror' | 'throttle-contact' | 'throttle-aor';

interface ModeCase {
  readonly mode: Mode;
  /** The contact Kamailio's location holds for the AOR, given the mid-registrar's port. */
  readonly upstreamContact: (midPort: number) => RegExp;
  /** The lifetime Kamailio gives it. */
  readonly upstreamLifetimeS: number;
  /** Whether a refresh by the UA reaches Kamailio (mirror) or is absorbed (throttling). */
  readonly refreshReachesKamailio: boolean;
  /** Whether the vanished UA is de-REGISTERed by the mid-registrar (throttling) or simply expires. */
  readonly midDeregisters: boolean;
}

const contactIdContact = (midPort: number): RegExp => new RegExp(`^sip:alice@127\\.0\\.0\\.1:${midPort};ctid=[0-9a-f]{16}$`);

const MODES: readonly ModeCase[] = [
  { mode: 'mirror', upstreamContact: contactIdContact, upstreamLifetimeS: UA_LIFETIME_S, refreshReachesKamailio: true, midDeregisters: false },
  { mode: 'throttle-contact', upstreamContact: contactIdContact, upstreamLifetimeS: OUTGOING_EXPIRES_S, refreshReachesKamailio: false, midDeregisters: true },
  {
    mode: 'throttle-aor',
    upstreamContact: (midPort) => new RegExp(`^${escapeRegExp(`sip:alice%40${DOMAIN}@127.0.0.1:${midPort}`)}$`),
    upstreamLifetimeS: OUTGOING_EXPIRES_S,
    refreshReachesKamailio: false,
    midDeregisters: true,
  },
];

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

KAMAILIO.describe.each(MODES)('sipreg CLI mid-registrar ($mode) in front of Kamailio over UDP', (expected) => {
  let kamailio: ManagedProcess | undefined;
  let mid: ManagedProcess | undefined;
  let ua: UdpSipPeer | undefined;
  let caller: UdpSipPeer | undefined;
  let kamailioPort = 0;
  let midPort = 0;
  let uaContact = '';
  const uaCallId = `ua-${expected.mode}-${process.pid}-${Date.now()}@127.0.0.1`;
  /** When the UA's last REGISTER was sent: its binding lasts UA_LIFETIME_S from then. */
  let lastRefreshAt = 0;

  const context = (): string =>
    `--- kamailio output:\n${kamailio?.output() ?? ''}\n--- mid-registrar output:\n${mid?.output() ?? ''}`;

  /** The UA's REGISTER for `UA_LIFETIME_S` seconds with CSeq `cseq`, sent to the mid-registrar; its final response. */
  const uaRegister = async (cseq: number): Promise<SipResponse> => {
    if (ua === undefined) throw new Error('no UA socket');
    lastRefreshAt = Date.now();
    const text = buildRegister({
      aor: AOR,
      contacts: [{ uri: uaContact, expires: UA_LIFETIME_S }],
      callId: uaCallId,
      cseq,
      fromTag: `ua-${expected.mode}`,
      via: { port: ua.port, rport: true },
    });
    return ua.request(text, midPort);
  };

  /** The REGISTERs of the UA's registration (its Call-ID) that reached Kamailio so far. */
  const uaRegistersAtKamailio = (): LoggedRegister[] => loggedRegisters(kamailio?.output() ?? '').filter((r) => r.callId === uaCallId);

  /**
   * Kamailio's location for the AOR: the Contacts of the 200 to a REGISTER without Contact sent
   * straight to Kamailio. Resolves only once Kamailio's log shows that query, so every REGISTER
   * Kamailio got before it is in the log too.
   */
  const kamailioLocation = async (): Promise<ListedContact[]> => {
    const answer = await queryBindings(kamailioPort, AOR);
    const response = parseSip(answer.text);
    if (response.kind !== 'response' || response.status !== 200) throw new Error(`Kamailio answered the query with:\n${answer.text}\n${context()}`);
    await eventually(
      () => (loggedRegisters(kamailio?.output() ?? '').some((r) => r.callId === response.callId) ? true : undefined),
      `Kamailio's log line of the query ${response.callId}`,
      LOG_TIMEOUT_MS,
      context,
      LOG_POLL_MS,
    );
    return listedContacts(response);
  };

  beforeAll(async () => {
    kamailioPort = await freePort('udp');
    do midPort = await freePort('udp');
    while (midPort === kamailioPort);
    kamailio = await startKamailio({ kamailioPath: KAMAILIO.path('kamailio'), port: kamailioPort, config: kamailioConfig(kamailioPort), killAfterMs: 120_000 });
    const throttling = expected.mode === 'mirror' ? [] : ['--outgoing-expires', String(OUTGOING_EXPIRES_S)];
    mid = await startMidRegistrar({
      port: midPort,
      upstreamPort: kamailioPort,
      mode: expected.mode,
      extraArgs: ['--min-expires', '1', ...throttling],
    });
    // Phones: they answer every request they get with 200 OK, but for REGISTERs.
    ua = await UdpSipPeer.open({ context, unanswered: ['REGISTER'] });
    caller = await UdpSipPeer.open({ context, unanswered: ['REGISTER'] });
    uaContact = `sip:alice@127.0.0.1:${ua.port}`;
  }, 30_000);

  afterAll(async () => {
    await ua?.close();
    await caller?.close();
    await mid?.stop();
    await kamailio?.stop();
  });

  it("answers the UA's REGISTER with its own contact, and Kamailio holds the rewritten contact", async () => {
    const reply = await uaRegister(1);
    expect(reply.status).toBe(200);
    expect(listedContacts(reply)).toEqual([{ uri: uaContact, expires: UA_LIFETIME_S }]);

    const location = await kamailioLocation();
    expect(location).toHaveLength(1);
    expect(location[0].uri).toMatch(expected.upstreamContact(midPort));
    // Kamailio reports the time left, in whole seconds.
    expect(location[0].expires).toBeLessThanOrEqual(expected.upstreamLifetimeS);
    expect(location[0].expires).toBeGreaterThanOrEqual(expected.upstreamLifetimeS - 2);

    const forwarded = uaRegistersAtKamailio();
    expect(forwarded.map((r) => [r.source, r.cseq])).toEqual([[`127.0.0.1:${midPort}`, 1]]);
    expect(forwarded[0].lifetime).toBe(expected.upstreamLifetimeS);
  });

  it(`${expected.refreshReachesKamailio ? 'forwards' : 'absorbs'} the UA's refresh`, async () => {
    await sleep(1_000);
    const before = (await kamailioLocation())[0]?.uri;
    const reply = await uaRegister(2);
    expect(reply.status).toBe(200);
    expect(listedContacts(reply)).toEqual([{ uri: uaContact, expires: UA_LIFETIME_S }]);

    const location = await kamailioLocation();
    expect(location.map((c) => c.uri)).toEqual([before]);
    // Distinct CSeqs: a retransmitted REGISTER counts once.
    const cseqs = [...new Set(uaRegistersAtKamailio().map((r) => r.cseq))];
    expect(cseqs).toEqual(expected.refreshReachesKamailio ? [1, 2] : [1]);
  });

  it('delivers a MESSAGE that Kamailio sends to the AOR to the UA through the mid-registrar, and the 200 back', async () => {
    if (ua === undefined || caller === undefined) throw new Error('no sockets');
    const callId = `message-${expected.mode}-${process.pid}@127.0.0.1`;
    const message = buildRequest('MESSAGE', {
      requestUri: AOR,
      to: AOR,
      from: `sip:carol@${DOMAIN}`,
      callId,
      via: { port: caller.port, rport: true },
      body: `hello alice, via Kamailio and the ${expected.mode} mid-registrar`,
    });
    const response = await caller.request(message, kamailioPort);

    const delivered = ua.requests().find((r) => r.method === 'MESSAGE' && r.callId === callId);
    expect(delivered).toBeDefined();
    expect(delivered?.uri).toBe(uaContact);
    // Forwarded by Kamailio (to the rewritten contact) and then by the mid-registrar.
    expect(delivered?.via.map((v) => `${v.host}:${v.port}`)).toEqual([
      `127.0.0.1:${midPort}`,
      `127.0.0.1:${kamailioPort}`,
      `127.0.0.1:${caller.port}`,
    ]);
    expect(response.status).toBe(200);
    expect(response.via).toHaveLength(1);
  });

  it("proxies the UA's own requests to Kamailio (same address, another port than Kamailio's)", async () => {
    if (ua === undefined) throw new Error('no sockets');
    const message = buildRequest('MESSAGE', {
      requestUri: `sip:nobody@${DOMAIN}`,
      to: `sip:nobody@${DOMAIN}`,
      from: AOR,
      callId: `outgoing-${expected.mode}-${process.pid}@127.0.0.1`,
      via: { port: ua.port, rport: true },
      body: 'to an AOR Kamailio does not know',
    });
    const response = await ua.request(message, midPort);
    // Kamailio's own 404 (its lookup found nothing), relayed back through the mid-registrar.
    expect(response.status).toBe(404);
    expect(response.header('server') ?? '').toMatch(/kamailio/i);
  });

  it('removes the vanished UA from Kamailio once its lifetime is over', async () => {
    const expiresAt = lastRefreshAt + UA_LIFETIME_S * 1_000;
    // Shortly before the UA's binding ends, Kamailio still holds the contact ...
    await sleep(expiresAt - 2_000 - Date.now());
    expect(await kamailioLocation()).toHaveLength(1);
    // ... and soon after, it does not.
    const goneAt = await eventually(
      async () => ((await kamailioLocation()).length === 0 ? Date.now() : undefined),
      "the removal of the UA's contact from Kamailio",
      expiresAt + VANISH_SLACK_MS + 1_000 - Date.now(),
      context,
      POLL_MS,
    );
    if (goneAt - expiresAt >= VANISH_SLACK_MS) throw new Error(`removed ${goneAt - expiresAt} ms after the UA's lifetime\n${context()}`);
    expect(goneAt - expiresAt).toBeLessThan(VANISH_SLACK_MS);

    // Throttling: Kamailio alone would have kept it OUTGOING_EXPIRES_S, the mid-registrar removed
    // it. Mirror: Kamailio's binding ended with the UA's, nothing was left to de-register.
    // (A de-REGISTER retransmitted by the mid-registrar counts once.)
    const deRegisteredBy = new Set(uaRegistersAtKamailio().filter((r) => r.lifetime === 0).map((r) => r.source));
    expect([...deRegisteredBy]).toEqual(expected.midDeregisters ? [`127.0.0.1:${midPort}`] : []);
    // The caller now finds nobody at the AOR.
    const callId = `late-message-${expected.mode}-${process.pid}@127.0.0.1`;
    const late = await caller!.request(
      buildRequest('MESSAGE', { requestUri: AOR, to: AOR, from: `sip:carol@${DOMAIN}`, callId, via: { port: caller!.port, rport: true }, body: 'anyone?' }),
      kamailioPort,
    );
    expect(late.status).toBe(404);
  }, 20_000);
});
