/**
 * Interop: reg-event (RFC 3680) between the sipreg CLI registrar (`--reginfo-*` flags, modelled on
 * the OpenSIPS/Kamailio `pua_reginfo` module) and Kamailio 5.6 with `pua_reginfo`, over UDP on
 * 127.0.0.1. The test plays the UAs (and a caller) with plain UDP sockets.
 *
 * 1. Kamailio subscribes to sipreg: Kamailio (usrloc in memory, pua + pua_reginfo with
 *    `outbound_proxy` = sipreg) calls `reginfo_subscribe("sip:alice@example.com", 600)` when the
 *    test sends it an OPTIONS for `reginfo-subscribe`, and applies every NOTIFY with
 *    `reginfo_handle_notify("location")`. Kamailio's parser reads sipreg's documents:
 *    - a UA's REGISTER at sipreg puts its contact (with its Call-ID) into Kamailio's location;
 *    - a second contact joins it; de-registering one leaves only the other (sipreg's partial
 *      NOTIFY: `state="terminated" event="unregistered" expires="0"`);
 *    - de-registering the last removes the AOR (`<registration state="terminated">`), and
 *      `reginfo_handle_notify` answers 2 ("no contact left").
 * 2. sipreg subscribes to Kamailio: Kamailio is a reg-event notifier (presence + presence_reginfo,
 *    fed by pua_reginfo PUBLISHing every usrloc change to itself), the CLI runs with
 *    `--reginfo-subscribe sip:alice@example.com,600 --reginfo-outbound-proxy sip:127.0.0.1:KAM`.
 *    sipreg's parser reads Kamailio's documents:
 *    - the subscription becomes active;
 *    - a UA's REGISTER at Kamailio puts its contact into sipreg's location;
 *    - a MESSAGE sent to sipreg for the AOR is forwarded to the UA's socket;
 *    - the UA's de-REGISTER at Kamailio removes the contact from sipreg's location.
 *
 * What Kamailio 5.6.3 needs, and its quirks this test works around (see the report in the commit):
 * - pua and presence need a database even when they keep everything in memory: db_text, with the
 *   table files Debian ships in /usr/share/kamailio/dbtext/kamailio copied to a temporary directory
 *   (presence `subs_db_mode` 0 and `publ_cache` 2 keep its state in memory);
 * - `reginfo_handle_notify` stores the contacts under the AOR key `alice@example.com` (everything
 *   after `sip:` of the `<registration aor>`) even with usrloc `use_domain` 0, whose registrar and
 *   `ul.lookup` use `alice`: a REGISTER without Contact does not list them, so the test reads the
 *   location with `kamcmd ul.dump` (ctl module). With `use_domain` 1 the key is empty and the hash
 *   slot's lock is never released: the next NOTIFY deadlocks that Kamailio process.
 * - `reginfo_handle_notify` knows only the registration states `active` and `terminated`: sipreg's
 *   first full NOTIFY for an AOR without contacts (`state="init"`, RFC 3680 §5.1) makes it log
 *   "Unknown State init" and return -1, which changes nothing here.
 * - pua numbers its reg PUBLISH bodies only with `dlginfo_increase_version` 1 (it picks the
 *   reginfo body handler by that parameter, not by `reginfo_increase_version`); otherwise every
 *   document presence relays says `version="0"` and sipreg, which discards a document not newer
 *   than the last one of its subscription (RFC 3680 §5.3), applies only the first.
 * - pua_reginfo writes `received=""` and `path=""` for contacts without them.
 *
 * In CI (env CI set) a missing kamailio, kamcmd or pua_reginfo module (package
 * kamailio-presence-modules) fails the tests; locally they are skipped with a warning.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { buildRegister, buildRequest } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { queryBindings } from '../helpers/query-bindings';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { kamailioModuleDirectory, kamailioRegistrarConfig, startKamailio } from '../helpers/start-kamailio';
import { startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const run = promisify(execFile);

/** Where Debian (and a source install) keep the db_text table files of Kamailio's schema. */
const DBTEXT_SCHEMA = ['/usr/share/kamailio/dbtext/kamailio', '/usr/local/share/kamailio/dbtext/kamailio'].find((d) => existsSync(join(d, 'version')));
const KAMAILIO = interopPrerequisites('the Kamailio reg-event interop tests', { kamailio: 'kamailio', kamcmd: 'kamailio' }, [
  { what: 'the db_text schema', present: DBTEXT_SCHEMA !== undefined, apt: 'kamailio' },
  { what: 'pua_reginfo.so', present: existsSync(join(kamailioModuleDirectory(), 'pua_reginfo.so')), apt: 'kamailio-presence-modules' },
]);

const DOMAIN = 'example.com';
const AOR = `sip:alice@${DOMAIN}`;
/** The key under which Kamailio's `reginfo_handle_notify` stores the AOR (see the file comment). */
const KAMAILIO_REGINFO_KEY = `alice@${DOMAIN}`;
/** The UAs' registration lifetime: long enough to outlive the test. */
const UA_LIFETIME_S = 300;
/** Kamailio's subscription to sipreg (`reginfo_subscribe(uri, expires)`), and sipreg's to Kamailio. */
const SUBSCRIPTION_S = 600;
/** A change travelling registrar → NOTIFY → the other location: a few ms; Kamailio purges every second. Polled every 100 ms (`eventually`). */
const PROPAGATION_TIMEOUT_MS = 5_000;
/** The db_text tables pua and presence open. */
const DBTEXT_TABLES = ['version', 'pua', 'presentity', 'active_watchers', 'watchers', 'xcap'];

/** A UA's REGISTER of `contact` for AOR with `expires` (0: de-register), in its own dialog. */
function register(ua: UdpSipPeer, contact: string, cseq: number, expires: number): string {
  return buildRegister({
    aor: AOR,
    contacts: [{ uri: contact, expires }],
    callId: `reg-${contact.replace(/\W/g, '-')}-${process.pid}@127.0.0.1`,
    cseq,
    fromTag: `ua-${ua.port}`,
    via: { port: ua.port, rport: true },
  });
}

/** A fresh directory with the db_text tables pua and presence open (they need a database even in memory). */
function dbTextDirectory(): string {
  if (DBTEXT_SCHEMA === undefined) throw new Error('no db_text schema directory (/usr/share/kamailio/dbtext/kamailio, package kamailio)');
  const directory = mkdtempSync(join(tmpdir(), 'sipreg-kamailio-db-'));
  for (const table of DBTEXT_TABLES) copyFileSync(join(DBTEXT_SCHEMA, table), join(directory, table));
  return directory;
}

/** What each half needs before it starts Kamailio and sipreg. */
interface Setup {
  /** From {@link dbTextDirectory}: the caller removes it. */
  readonly dbDirectory: string;
  readonly kamailioPort: number;
  /** Another UDP port than Kamailio's. */
  readonly sipregPort: number;
}

/** Pick two distinct UDP ports and make a db_text directory. */
async function setUp(): Promise<Setup> {
  const kamailioPort = await freePort('udp');
  let sipregPort: number;
  do sipregPort = await freePort('udp');
  while (sipregPort === kamailioPort);
  return { dbDirectory: dbTextDirectory(), kamailioPort, sipregPort };
}

/** Kamailio's and sipreg's output, for failure messages. */
function outputs(kamailio: ManagedProcess | undefined, sipreg: ManagedProcess | undefined): string {
  return `--- kamailio output:\n${kamailio?.output() ?? ''}\n--- sipreg output:\n${sipreg?.output() ?? ''}`;
}

/** One contact of Kamailio's location, as `kamcmd ul.dump` lists it. */
interface KamailioContact {
  readonly address: string;
  readonly expires: number;
  readonly callId: string;
}

/** The contacts of every AoR of `kamcmd ul.dump` (one domain, `location`), by AoR key. */
function parseUlDump(text: string): Map<string, KamailioContact[]> {
  const aors = new Map<string, KamailioContact[]>();
  let contacts: KamailioContact[] | undefined;
  let contact: { address?: string; expires?: number; callId?: string } | undefined;
  const flush = (): void => {
    if (contacts !== undefined && contact?.address !== undefined) {
      contacts.push({ address: contact.address, expires: contact.expires ?? Number.NaN, callId: contact.callId ?? '' });
    }
    contact = undefined;
  };
  for (const line of text.split('\n')) {
    const match = /^\s*([\w-]+):\s*(.*?)\s*$/.exec(line);
    if (match === null) continue;
    const [, key, value] = match;
    if (key === 'AoR') {
      flush();
      contacts = [];
      aors.set(value, contacts);
    } else if (key === 'Contact') {
      flush();
      contact = {};
    } else if (contact !== undefined && key === 'Address') contact.address = value;
    else if (contact !== undefined && key === 'Expires') contact.expires = Number(value);
    else if (contact !== undefined && key === 'Call-ID') contact.callId = value;
  }
  flush();
  return aors;
}

/** The URIs of the Contacts a registrar lists for `aor` in its 200 to a REGISTER without Contact. */
async function listedUris(port: number, aor: string): Promise<string[]> {
  const answer = await queryBindings(port, aor);
  if (answer.status !== 200) throw new Error(`the binding query of ${aor} got ${answer.status}:\n${answer.text}`);
  return answer.contacts.flatMap((value) => [...value.matchAll(/<([^>]+)>/g)].map((m) => m[1]));
}

// ---------------------------------------------------------------------------------------------
// 1. Kamailio subscribes to sipreg
// ---------------------------------------------------------------------------------------------

/** What Kamailio logs for every NOTIFY: CSeq, `reginfo_handle_notify`'s return code, the body. */
const NOTIFY_LOG = /kamailio-notify cseq=(\d+) rc=(-?\d+) body=\[([\s\S]*?)\]kamailio-notify-end/g;

interface LoggedNotify {
  readonly cseq: number;
  /** `reginfo_handle_notify`: 1 a contact is registered, 2 none is, -1 invalid. */
  readonly rc: number;
  readonly body: string;
}

function loggedNotifies(output: string): LoggedNotify[] {
  // A NOTIFY retransmitted (its 200 lost or late) is logged again with the same CSeq: count it once.
  const byCseq = new Map<number, LoggedNotify>();
  for (const [, cseq, rc, body] of output.matchAll(NOTIFY_LOG)) {
    if (!byCseq.has(Number(cseq))) byCseq.set(Number(cseq), { cseq: Number(cseq), rc: Number(rc), body });
  }
  return [...byCseq.values()];
}

/**
 * Kamailio as a reg-event watcher of sipreg: an OPTIONS to `reginfo-subscribe` makes it subscribe
 * to the AOR through sipreg (pua_reginfo `outbound_proxy`), and NOTIFYs go to
 * `reginfo_handle_notify` (logged, then answered 200 whatever it returned). REGISTERs are saved as
 * usual; anything else is answered 404.
 */
function watcherConfig(port: number, sipregPort: number, dbDirectory: string): string {
  return kamailioRegistrarConfig(port, `
	if (method == "OPTIONS" && $rU == "reginfo-subscribe") {
		reginfo_subscribe("${AOR}", ${SUBSCRIPTION_S});
		sl_send_reply("200", "Subscribing");
		exit;
	}
	if (method == "NOTIFY") {
		reginfo_handle_notify("location");
		$var(rc) = $rc;
		xlog("L_NOTICE", "kamailio-notify cseq=$cs rc=$var(rc) body=[$rb]kamailio-notify-end\\n");
		sl_send_reply("200", "OK");
		exit;
	}
	if (method == "REGISTER") {
		if (!save("location")) sl_reply_error();
		exit;
	}
	sl_send_reply("404", "Not Here");
	exit;`, ['tm', 'db_text', 'ctl'], {
    lateModules: ['pua', 'pua_reginfo'],
    settings: `modparam("ctl", "binrpc", "unix:${join(dbDirectory, 'ctl.sock')}")
modparam("pua", "db_url", "text://${dbDirectory}")
modparam("pua_reginfo", "server_address", "sip:reginfo@127.0.0.1:${port}")
modparam("pua_reginfo", "outbound_proxy", "sip:127.0.0.1:${sipregPort}")
modparam("pua_reginfo", "publish_reginfo", 0)`,
  });
}

KAMAILIO.describe('Kamailio pua_reginfo subscribed to the sipreg CLI registrar (Kamailio parses sipreg NOTIFYs)', () => {
  let kamailio: ManagedProcess | undefined;
  let sipreg: ManagedProcess | undefined;
  let ua: UdpSipPeer | undefined;
  let dbDirectory = '';
  let kamailioPort = 0;
  let sipregPort = 0;
  let first = '';
  let second = '';

  const context = (): string => outputs(kamailio, sipreg);
  const notifies = (): LoggedNotify[] => loggedNotifies(kamailio?.output() ?? '');
  /** Kamailio's location for the AOR, from `kamcmd ul.dump`. */
  const kamailioLocation = async (): Promise<KamailioContact[]> => {
    const { stdout } = await run(KAMAILIO.path('kamcmd'), ['-s', `unix:${join(dbDirectory, 'ctl.sock')}`, 'ul.dump'], { timeout: 5_000 });
    return parseUlDump(stdout).get(KAMAILIO_REGINFO_KEY) ?? [];
  };
  /** Kamailio's location once it holds exactly `addresses` (in any order). */
  const kamailioHolds = (addresses: readonly string[]): Promise<KamailioContact[]> =>
    eventually(
      async () => {
        const location = await kamailioLocation();
        const held = location.map((c) => c.address).sort();
        return JSON.stringify(held) === JSON.stringify([...addresses].sort()) ? location : undefined;
      },
      `Kamailio's location holding exactly [${addresses.join(', ')}]`,
      PROPAGATION_TIMEOUT_MS,
      context,
    );

  beforeAll(async () => {
    ({ dbDirectory, kamailioPort, sipregPort } = await setUp());
    sipreg = await startSipreg({
      port: sipregPort,
      extraArgs: ['--reginfo-server-address', `sip:reginfo@127.0.0.1:${sipregPort}`, '--reginfo-publish', '0'],
    });
    kamailio = await startKamailio({ kamailioPath: KAMAILIO.path('kamailio'), port: kamailioPort, config: watcherConfig(kamailioPort, sipregPort, dbDirectory), killAfterMs: 120_000 });
    ua = await UdpSipPeer.open({ context });
    first = `sip:alice@127.0.0.1:${ua.port}`;
    second = `sip:alice@127.0.0.1:${ua.port};line=2`;
  }, 30_000);

  afterAll(async () => {
    await ua?.close();
    await kamailio?.stop();
    await sipreg?.stop();
    if (dbDirectory !== '') rmSync(dbDirectory, { recursive: true, force: true });
  });

  it('subscribes (reginfo_subscribe through the outbound proxy) and gets a full NOTIFY from sipreg', async () => {
    const trigger = await ua!.request(buildRequest('OPTIONS', {
      requestUri: `sip:reginfo-subscribe@127.0.0.1:${kamailioPort}`,
      to: `sip:reginfo-subscribe@127.0.0.1:${kamailioPort}`,
      via: { port: ua!.port, rport: true },
    }), kamailioPort);
    expect(trigger.status).toBe(200);

    const [initial] = await eventually(() => (notifies().length > 0 ? notifies() : undefined), "sipreg's first NOTIFY at Kamailio", PROPAGATION_TIMEOUT_MS, context);
    expect(initial.body).toContain('state="full"');
    expect(initial.body).toContain(`aor="${AOR}"`);
    // No contact yet: RFC 3680 §5.1 `init`, which Kamailio's parser does not know (it returns -1, changing nothing).
    expect(initial.body).toMatch(/<registration [^>]*state="init"/);
    expect(await kamailioLocation()).toEqual([]);
  });

  it("puts a UA's registration at sipreg into Kamailio's location (reginfo_handle_notify returns 1)", async () => {
    const reply = await ua!.request(register(ua!, first, 1, UA_LIFETIME_S), sipregPort);
    expect(reply.status).toBe(200);

    const [contact] = await kamailioHolds([first]);
    expect(contact.callId).toBe(`reg-${first.replace(/\W/g, '-')}-${process.pid}@127.0.0.1`);
    expect(contact.expires).toBeLessThanOrEqual(UA_LIFETIME_S);
    expect(contact.expires).toBeGreaterThanOrEqual(UA_LIFETIME_S - 5);
    const last = notifies().at(-1)!;
    expect(last.body).toContain('state="partial"');
    expect(last.body).toContain('event="registered"');
    expect(last.rc).toBe(1);
  });

  it('adds a second contact, and removes only the de-registered one (partial NOTIFY, event="unregistered" expires="0")', async () => {
    expect((await ua!.request(register(ua!, second, 1, UA_LIFETIME_S), sipregPort)).status).toBe(200);
    await kamailioHolds([first, second]);

    expect((await ua!.request(register(ua!, first, 2, 0), sipregPort)).status).toBe(200);
    await kamailioHolds([second]);
    const last = notifies().at(-1)!;
    expect(last.body).toMatch(/state="terminated" event="unregistered" expires="0"/);
    expect(last.body).toMatch(/<registration [^>]*state="active"/);
    expect(last.rc).toBe(1);
  });

  it('removes the AOR when its last contact is de-registered (registration terminated; reginfo_handle_notify returns 2)', async () => {
    expect((await ua!.request(register(ua!, second, 2, 0), sipregPort)).status).toBe(200);
    await kamailioHolds([]);
    const last = notifies().at(-1)!;
    expect(last.body).toMatch(/<registration [^>]*state="terminated"/);
    expect(last.rc).toBe(2);
    // Every NOTIFY after the first (init) was accepted; versions counted up from 0 in the one subscription.
    const all = notifies();
    expect(all.slice(1).map((n) => n.rc)).not.toContain(-1);
    expect(all.map((n) => Number(/<reginfo [^>]*version="(\d+)"/.exec(n.body)?.[1]))).toEqual(all.map((_, i) => i));
  });
});

// ---------------------------------------------------------------------------------------------
// 2. sipreg subscribes to Kamailio
// ---------------------------------------------------------------------------------------------

/** What Kamailio logs for every PUBLISH pua_reginfo sends it: the body. */
const PUBLISH_LOG = /kamailio-publish body=\[([\s\S]*?)\]kamailio-publish-end/g;

/**
 * Kamailio as a reg-event notifier: its own usrloc changes are PUBLISHed by pua_reginfo to itself
 * (`outbound_proxy`), stored by presence (`handle_publish`, in memory) and NOTIFYed to the watchers
 * that `handle_subscribe` accepted (presence_reginfo: Event reg). `dlginfo_increase_version` makes
 * pua number the reg documents (see the file comment).
 */
function notifierConfig(port: number, dbDirectory: string): string {
  return kamailioRegistrarConfig(port, `
	if (method == "PUBLISH") {
		xlog("L_NOTICE", "kamailio-publish body=[$rb]kamailio-publish-end\\n");
		handle_publish();
		exit;
	}
	if (method == "SUBSCRIBE") {
		xlog("L_NOTICE", "kamailio-subscribe $ru from $si:$sp expires=$hdr(Expires)\\n");
		handle_subscribe();
		exit;
	}
	if (method == "REGISTER") {
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (method == "OPTIONS") {
		sl_send_reply("200", "OK");
		exit;
	}
	sl_send_reply("404", "Not Here");
	exit;`, ['tm', 'db_text', 'ctl'], {
    lateModules: ['presence', 'presence_reginfo', 'pua', 'pua_reginfo'],
    settings: `modparam("ctl", "binrpc", "unix:${join(dbDirectory, 'ctl.sock')}")
modparam("presence", "db_url", "text://${dbDirectory}")
modparam("presence", "server_address", "sip:presence@127.0.0.1:${port}")
modparam("presence", "subs_db_mode", 0)
modparam("presence", "publ_cache", 2)
modparam("pua", "db_url", "text://${dbDirectory}")
modparam("pua", "dlginfo_increase_version", 1)
modparam("pua", "reginfo_increase_version", 1)
modparam("pua_reginfo", "server_address", "sip:reginfo@127.0.0.1:${port}")
modparam("pua_reginfo", "outbound_proxy", "sip:127.0.0.1:${port}")
modparam("pua_reginfo", "default_domain", "${DOMAIN}")
modparam("pua_reginfo", "publish_reginfo", 1)`,
  });
}

KAMAILIO.describe('the sipreg CLI registrar subscribed to Kamailio presence_reginfo (sipreg parses Kamailio NOTIFYs)', () => {
  let kamailio: ManagedProcess | undefined;
  let sipreg: ManagedProcess | undefined;
  let ua: UdpSipPeer | undefined;
  let caller: UdpSipPeer | undefined;
  let dbDirectory = '';
  let kamailioPort = 0;
  let sipregPort = 0;
  let contact = '';

  const context = (): string => outputs(kamailio, sipreg);
  const publishes = (): string[] => [...(kamailio?.output() ?? '').matchAll(PUBLISH_LOG)].map((m) => m[1]);
  /** sipreg's location once it lists exactly `uris`. */
  const sipregHolds = (uris: readonly string[]): Promise<string[]> =>
    eventually(
      async () => {
        const listed = await listedUris(sipregPort, AOR);
        return JSON.stringify(listed) === JSON.stringify(uris) ? listed : undefined;
      },
      `sipreg's location listing exactly [${uris.join(', ')}]`,
      PROPAGATION_TIMEOUT_MS,
      context,
    );

  beforeAll(async () => {
    ({ dbDirectory, kamailioPort, sipregPort } = await setUp());
    // Kamailio first: the CLI subscribes as it starts.
    kamailio = await startKamailio({ kamailioPath: KAMAILIO.path('kamailio'), port: kamailioPort, config: notifierConfig(kamailioPort, dbDirectory), killAfterMs: 120_000 });
    sipreg = await startSipreg({
      port: sipregPort,
      extraArgs: [
        '--reginfo-server-address', `sip:reginfo@127.0.0.1:${sipregPort}`,
        '--reginfo-publish', '0',
        '--reginfo-subscribe', `${AOR},${SUBSCRIPTION_S}`,
        '--reginfo-outbound-proxy', `sip:127.0.0.1:${kamailioPort}`,
      ],
    });
    ua = await UdpSipPeer.open({ context });
    caller = await UdpSipPeer.open({ context });
    contact = `sip:alice@127.0.0.1:${ua.port}`;
  }, 30_000);

  afterAll(async () => {
    await ua?.close();
    await caller?.close();
    await sipreg?.stop();
    await kamailio?.stop();
    if (dbDirectory !== '') rmSync(dbDirectory, { recursive: true, force: true });
  });

  it("subscribes through the outbound proxy, and Kamailio's presence accepts it (the CLI logs it active)", async () => {
    const active = await eventually(
      () => (sipreg?.output() ?? '').split('\n').find((line) => line.includes('"reg-event subscription"') && line.includes('"status":"active"')),
      "the CLI's active subscription",
      PROPAGATION_TIMEOUT_MS,
      context,
    );
    expect(JSON.parse(active)).toMatchObject({ uri: AOR, status: 'active', lastStatus: 200 });
    expect(kamailio?.output()).toMatch(new RegExp(`kamailio-subscribe ${AOR.replace(/[.]/g, '\\.')} from 127\\.0\\.0\\.1:${sipregPort} expires=${SUBSCRIPTION_S}`));
  });

  it("puts a UA's registration at Kamailio into sipreg's location", async () => {
    const reply = await ua!.request(register(ua!, contact, 1, UA_LIFETIME_S), kamailioPort);
    expect(reply.status).toBe(200);
    expect(await sipregHolds([contact])).toEqual([contact]);
    // pua_reginfo published the contact (full state, numbered from 0).
    expect(publishes().at(-1)).toMatch(/<reginfo [^>]*version="0" state="full"/);
    expect(publishes().at(-1)).toContain(`<uri>${contact}</uri>`);
  });

  it("forwards a MESSAGE for the AOR to the UA's socket (the contact learnt from Kamailio's NOTIFY)", async () => {
    await sipregHolds([contact]);
    const callId = `message-${process.pid}@127.0.0.1`;
    const response = await caller!.request(buildRequest('MESSAGE', {
      requestUri: AOR,
      to: AOR,
      from: `sip:carol@${DOMAIN}`,
      callId,
      via: { port: caller!.port, rport: true },
      body: 'hello alice, via sipreg, which learnt your contact from Kamailio',
    }), sipregPort);
    const delivered = ua!.requests().find((r) => r.method === 'MESSAGE' && r.callId === callId);
    // Kamailio's documents carry received="" for a contact without NAT: it must not become the destination.
    expect({ status: response.status, deliveredTo: delivered?.uri }).toEqual({ status: 200, deliveredTo: contact });
  });

  it("removes the contact from sipreg's location when the UA de-registers at Kamailio", async () => {
    const reply = await ua!.request(register(ua!, contact, 2, 0), kamailioPort);
    expect(reply.status).toBe(200);
    expect(await sipregHolds([])).toEqual([]);
    // The second document pua_reginfo published is numbered 1: presence relays it, sipreg applies it.
    expect(publishes().at(-1)).toMatch(/<reginfo [^>]*version="1" state="full"/);
    expect(publishes().at(-1)).toMatch(/<registration [^>]*state="terminated"/);
  });
});
