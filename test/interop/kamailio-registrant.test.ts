/**
 * Interop: the outbound registration scheduler (`createRegistrantScheduler`, modelled on OpenSIPS
 * uac_registrant) and its CLI (`sipreg registrant`) registering on real registrars over UDP on
 * 127.0.0.1.
 *
 * Against Kamailio (usrloc in memory, registrar `save`, digest auth without a database: every
 * user's password is "secret", challenged with qop=auth), with the scheduler running in this
 * process on the Node transport (timer interval 4 s, one bucket, so it starts at once):
 *
 * 1. A registrant with the right password goes REGISTERING → AUTHENTICATING (401 answered) →
 *    REGISTERED, and Kamailio's location (read with a REGISTER without Contact, RFC 3261
 *    §10.2.3, which the config lets through unauthenticated) holds its binding with the expiry
 *    it asked for.
 * 2. A registrant with a wrong password ends in WRONG_CREDENTIALS after exactly two REGISTERs
 *    (the first unauthenticated, the second answering the challenge), counted from Kamailio's own
 *    log of every REGISTER, and sends none in the two timer intervals that follow.
 * 3. `disable(key)` sends the unREGISTER at once (not at the next timer visit): Kamailio's location
 *    no longer holds the binding, the state is NOT_REGISTERED, and no REGISTER follows.
 * 3b. Every change a reply caused carries that reply's status in its `stateChange` event (as
 *    `RegistrantStateChange.status` documents): 401 into AUTHENTICATING and
 *    AUTHENTICATING_UNREGISTER, 200 into REGISTERED and NOT_REGISTERED.
 * 4. A registration of 20 s is refreshed (same Call-ID, next CSeq, pre-emptively authenticated)
 *    before it runs out, so Kamailio still holds it more than one expiry period later.
 * 5. The CLI, `sipreg registrant --registrants FILE.json`, logs REGISTERED for its registrant,
 *    Kamailio's location holds the binding, and SIGTERM stops it with exit code 0.
 *
 * And against the project's own registrar CLI (`sipreg registrar --store memory`), which needs no
 * Kamailio:
 *
 * 6. `sipreg registrant --registrants sqlite:PATH` (an OpenSIPS `registrant` table written with
 *    `SqliteRegistrantStore.insert`) logs REGISTERED, and the registrar lists the binding.
 *
 * The Kamailio cases run one Kamailio and one scheduler for cases 1–4, so the waits of cases 2
 * and 4 overlap; the whole file takes about 27 s. In CI (env CI set) a missing kamailio fails the
 * tests; locally they are skipped with a warning.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { RegistrantKey, RegistrantRecord } from '../../src/ports/registrant-store';
import { createRegistrantScheduler, type RegistrantScheduler, type RegistrantStateChange } from '../../src/registrant/registrant-scheduler';
import type { RegistrantState } from '../../src/registrant/registrant-state';
import type { SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { MemoryRegistrantStore } from '../../src/stores/memory-registrant-store';
import { SqliteRegistrantStore } from '../../src/stores/sqlite-registrant-store';
import { createNodeTransport, type NodeTransport } from '../../src/transports/node-transport';
import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { queryBindings } from '../helpers/query-bindings';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { kamailioRegistrarConfig, startKamailio } from '../helpers/start-kamailio';
import { startCliCommand, startSipreg } from '../helpers/start-sipreg';
import { eventually } from '../helpers/eventually';
import { sleep } from '../helpers/sleep';
import { cliStateChanges, FIRST_REGISTRATION_WITH_CHALLENGE, stateSteps } from '../helpers/registrant-state-log';

const KAMAILIO = interopPrerequisites('the Kamailio registrant interop tests', { kamailio: 'kamailio' });

const DOMAIN = 'example.com';
/** Kamailio's password for every user (`pv_www_authenticate`). */
const PASSWORD = 'secret';
/** The scheduler's `timer_interval`: every registrant is looked at once per interval. */
const TIMER_INTERVAL_S = 4;
/** Lifetime asked by the registrants that are not refreshed during the test. */
const LONG_EXPIRY_S = 60;
/** Lifetime of the registration whose refresh is watched: short, so that one period passes in the test. */
const REFRESH_EXPIRY_S = 20;
/** Kamailio reports the time left in whole seconds; a loaded machine may take a few to query. */
const EXPIRY_SLACK_S = 4;
/** Waiting for one REGISTER exchange on loopback (with its challenge): normally a few ms. */
const EXCHANGE_TIMEOUT_MS = 5_000;
/** Waiting for a CLI to start (tsx compiles on the fly) and register. */
const CLI_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Kamailio as the remote registrar, with digest authentication
// ---------------------------------------------------------------------------------------------

const REGISTER_LOG_LINE = /kamailio-register user=(\S+) call-id=(\S+) cseq=(\d+) expires=(\S+) auth=(\S+) contact=(.*)$/gm;

/**
 * An in-memory registrar on `udp:127.0.0.1:port` that challenges every REGISTER with a Contact
 * (`www_challenge` with qop=auth, realm = the To domain) until it carries the right digest for
 * password "secret", then saves it. A REGISTER without Contact (a query of the bindings) is
 * answered without authentication, so the test reads the location with `queryBindings`. Every
 * REGISTER is logged first, to count them. Lifetimes from 1 s are kept as asked (Kamailio's
 * `min_expires` default, 60, would raise the 20 s registration).
 */
function kamailioConfig(port: number): string {
  return kamailioRegistrarConfig(port, `
	if (method != "REGISTER") {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	xlog("L_NOTICE", "kamailio-register user=$tU call-id=$ci cseq=$cs expires=$hdr(Expires) auth=$au contact=$ct\\n");
	if (is_present_hf("Contact") && !pv_www_authenticate("$td", "${PASSWORD}", "0")) {
		www_challenge("$td", "1");
		exit;
	}
	if (!save("location")) sl_reply_error();
	exit;`, ['textops', 'auth']);
}

/** One REGISTER as Kamailio logged it. */
interface LoggedRegister {
  /** User part of the To URI. */
  readonly user: string;
  readonly callId: string;
  readonly cseq: number;
  /** Whether it carried credentials (`Authorization`). */
  readonly authenticated: boolean;
  /** Whether it had a Contact (false: a binding query). */
  readonly hasContact: boolean;
  /** The lifetime it asks: its Contact's `expires` parameter, else its Expires header. */
  readonly lifetime: number | undefined;
}

function loggedRegisters(output: string): LoggedRegister[] {
  return [...output.matchAll(REGISTER_LOG_LINE)].map(([, user, callId, cseq, expires, auth, contact]) => {
    const lifetime = /;expires=(\d+)/i.exec(contact)?.[1] ?? (/^\d+$/.test(expires) ? expires : undefined);
    return {
      user,
      callId,
      cseq: Number(cseq),
      authenticated: auth !== '<null>',
      hasContact: contact.trim() !== '<null>',
      lifetime: lifetime === undefined ? undefined : Number(lifetime),
    };
  });
}

/** The REGISTERs with a Contact of `user`, each counted once (a UDP retransmission has the same Call-ID and CSeq). */
function registersOf(output: string, user: string): LoggedRegister[] {
  const seen = new Set<string>();
  return loggedRegisters(output).filter((r) => {
    const key = `${r.callId} ${r.cseq}`;
    if (r.user !== user || !r.hasContact || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** A Contact of a registrar's 200: its URI and `expires` parameter. */
interface ListedContact {
  readonly uri: string;
  readonly expires: number | undefined;
}

/** The bindings a registrar on 127.0.0.1:`port` holds for `aor`: the Contacts of its 200 to a REGISTER without Contact. */
async function bindingsAt(port: number, aor: string, context: () => string): Promise<ListedContact[]> {
  const answer = await queryBindings(port, aor);
  const parsed = parseSipMessage(answer.text);
  if (!parsed.ok || parsed.message.kind !== 'response' || parsed.message.status !== 200) {
    throw new Error(`the registrar answered the query of ${aor} with:\n${answer.text}\n${context()}`);
  }
  const response: SipResponse = parsed.message;
  if (response.contacts === '*') throw new Error('Contact: * in a 200 to REGISTER');
  return response.contacts.map((c) => ({ uri: c.uri, expires: typeof c.params.expires === 'string' ? Number(c.params.expires) : undefined }));
}

/** `count` distinct free UDP ports of 127.0.0.1, none of them in `taken`. */
async function distinctPorts(count: number, taken: readonly number[] = []): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort('udp');
    if (!ports.includes(port) && !taken.includes(port)) ports.push(port);
  }
  return ports;
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

KAMAILIO.describe('registrant against Kamailio with digest authentication over UDP', () => {
  let kamailio: ManagedProcess | undefined;
  let kamailioPort = 0;
  const kamailioOutput = (): string => kamailio?.output() ?? '';

  beforeAll(async () => {
    [kamailioPort] = await distinctPorts(1);
    kamailio = await startKamailio({ kamailioPath: KAMAILIO.path('kamailio'), port: kamailioPort, config: kamailioConfig(kamailioPort), killAfterMs: 120_000 });
  }, 30_000);

  afterAll(async () => {
    await kamailio?.stop();
  });

  describe('the in-process scheduler on the Node transport', () => {
    let transport: NodeTransport | undefined;
    let scheduler: RegistrantScheduler | undefined;
    let localPort = 0;
    /** Every state change of every registrant, with when it happened. */
    const changes: (RegistrantStateChange & { readonly at: number })[] = [];

    const registrar = (): string => `sip:127.0.0.1:${kamailioPort}`;
    const registrant = (user: string, password: string, expirySec: number): RegistrantRecord => ({
      aor: `sip:${user}@${DOMAIN}`,
      bindingUri: `sip:${user}@127.0.0.1:${localPort}`,
      registrar: registrar(),
      username: user,
      password,
      expirySec,
      enabled: true,
    });
    const keyOf = (user: string): RegistrantKey => ({ aor: `sip:${user}@${DOMAIN}`, bindingUri: `sip:${user}@127.0.0.1:${localPort}`, registrar: registrar() });
    const changesOf = (user: string): (RegistrantStateChange & { readonly at: number })[] =>
      changes.filter((c) => c.registrant.aor === `sip:${user}@${DOMAIN}`);
    const context = (): string =>
      `--- state changes:\n${changes.map((c) => `${new Date(c.at).toISOString()} ${c.registrant.aor} ${c.from} -> ${c.to} (${c.reason})`).join('\n')}\n--- kamailio output:\n${kamailioOutput()}`;
    /** Resolves with the `n`-th (1-based) change of `user` into `to`. */
    const nthChangeTo = (user: string, to: RegistrantState, n: number, timeoutMs: number): Promise<RegistrantStateChange & { readonly at: number }> =>
      eventually(() => changesOf(user).filter((c) => c.to === to)[n - 1], `${user}'s change #${n} to ${to}`, timeoutMs, context);

    beforeAll(async () => {
      transport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'] });
      localPort = transport.endpoints()[0].port;
      const store = new MemoryRegistrantStore([
        registrant('alice', PASSWORD, LONG_EXPIRY_S),
        registrant('bob', 'not-the-password', LONG_EXPIRY_S),
        registrant('carol', PASSWORD, REFRESH_EXPIRY_S),
      ]);
      // The first bucket visit is a timer of 0 ms: it runs after this listener is attached.
      scheduler = await createRegistrantScheduler({ store, transport, timerIntervalSec: TIMER_INTERVAL_S, hashSize: 0 });
      scheduler.on('stateChange', (change) => changes.push({ ...change, at: Date.now() }));
    });

    afterAll(async () => {
      await scheduler?.close();
      await transport?.close();
    });

    it('registers with digest credentials (REGISTERING → AUTHENTICATING → REGISTERED), and Kamailio holds the binding for the expiry asked', async () => {
      const registered = await nthChangeTo('alice', 'REGISTERED', 1, EXCHANGE_TIMEOUT_MS);
      expect(stateSteps(changesOf('alice'))).toEqual(FIRST_REGISTRATION_WITH_CHALLENGE);
      expect(registered).toMatchObject({ status: 200, reason: `200 registered for ${LONG_EXPIRY_S} s` });

      const location = await bindingsAt(kamailioPort, `sip:alice@${DOMAIN}`, context);
      expect(location.map((c) => c.uri)).toEqual([`sip:alice@127.0.0.1:${localPort}`]);
      expect(location[0].expires).toBeLessThanOrEqual(LONG_EXPIRY_S);
      expect(location[0].expires).toBeGreaterThanOrEqual(LONG_EXPIRY_S - EXPIRY_SLACK_S);

      // Kamailio saw the unauthenticated REGISTER and the answer to its challenge, in one dialog.
      const sent = registersOf(kamailioOutput(), 'alice');
      expect(sent.map((r) => [r.cseq, r.authenticated, r.lifetime])).toEqual([[1, false, LONG_EXPIRY_S], [2, true, LONG_EXPIRY_S]]);
      expect(new Set(sent.map((r) => r.callId)).size).toBe(1);
      const [status] = scheduler!.list(keyOf('alice'));
      expect(status).toMatchObject({ state: 'REGISTERED', expiresSec: LONG_EXPIRY_S, cseq: 2, failures: 0, lastStatus: 200 });
    });

    it('ends in WRONG_CREDENTIALS after exactly two REGISTERs with a wrong password, and sends no more', async () => {
      const failed = await nthChangeTo('bob', 'WRONG_CREDENTIALS', 1, EXCHANGE_TIMEOUT_MS);
      expect(stateSteps(changesOf('bob'))).toEqual(['NOT_REGISTERED -> REGISTERING', 'REGISTERING -> AUTHENTICATING', 'AUTHENTICATING -> WRONG_CREDENTIALS']);
      expect(failed.status).toBe(401);
      await eventually(() => (registersOf(kamailioOutput(), 'bob').length >= 2 ? true : undefined), "bob's two REGISTERs in Kamailio's log", EXCHANGE_TIMEOUT_MS, context);

      // Two more visits of the bucket pass without a REGISTER.
      await sleep(failed.at + 2 * TIMER_INTERVAL_S * 1_000 + 500 - Date.now());
      const sent = registersOf(kamailioOutput(), 'bob');
      expect(sent.map((r) => [r.cseq, r.authenticated])).toEqual([[1, false], [2, true]]);
      expect(stateSteps(changesOf('bob'))).toHaveLength(3);
      const [status] = scheduler!.list(keyOf('bob'));
      expect(status).toMatchObject({ state: 'WRONG_CREDENTIALS', failures: 1, lastStatus: 401 });
      // The retry waits the expiry (no failure_retry_interval), as OpenSIPS does for a rejected password.
      expect(status.dueAt).toBeGreaterThanOrEqual(failed.at + (LONG_EXPIRY_S - 1) * 1_000);
      expect(await bindingsAt(kamailioPort, `sip:bob@${DOMAIN}`, context)).toEqual([]);
    }, 20_000);

    it('sends the unREGISTER at once on disable(): the binding leaves Kamailio, the state is NOT_REGISTERED', async () => {
      await nthChangeTo('alice', 'REGISTERED', 1, EXCHANGE_TIMEOUT_MS);
      const before = changesOf('alice').length;
      const disabledAt = Date.now();
      expect(await scheduler!.disable(keyOf('alice'))).toBe(true);

      const done = await nthChangeTo('alice', 'NOT_REGISTERED', 1, EXCHANGE_TIMEOUT_MS);
      const removal = changesOf('alice').slice(before);
      // The unREGISTER re-uses the registration's nonce (pre-emptive authentication): one round trip.
      expect(stateSteps(removal)).toEqual(['REGISTERED -> AUTHENTICATING_UNREGISTER', 'AUTHENTICATING_UNREGISTER -> NOT_REGISTERED']);
      expect(removal[0].reason).toBe('disabled');
      // At once: not at the next visit of the bucket (every 4 s).
      expect(removal[0].at - disabledAt).toBeLessThan(500);
      expect(done.at - disabledAt).toBeLessThan(2_000);

      expect(await bindingsAt(kamailioPort, `sip:alice@${DOMAIN}`, context)).toEqual([]);
      const sent = registersOf(kamailioOutput(), 'alice');
      expect(sent.slice(2).map((r) => [r.cseq, r.authenticated, r.lifetime])).toEqual([[3, true, 0]]);
      expect(scheduler!.list(keyOf('alice'))[0]).toMatchObject({ state: 'NOT_REGISTERED', registeredUntil: 0 });
      expect(scheduler!.list(keyOf('alice'))[0].record.enabled).toBe(false);
    });

    it('gives each change a reply caused the status of that reply: 401 into AUTHENTICATING, 200 into REGISTERED and NOT_REGISTERED', async () => {
      await nthChangeTo('alice', 'NOT_REGISTERED', 1, EXCHANGE_TIMEOUT_MS);
      await nthChangeTo('bob', 'WRONG_CREDENTIALS', 1, EXCHANGE_TIMEOUT_MS);
      // RegistrantStateChange.status: "The status of the reply that caused it, when a reply did."
      // The challenge (401) is what moves REGISTERING to AUTHENTICATING, as the reason says.
      const statuses = (user: string): [string, string, number | undefined][] => changesOf(user).map((c) => [`${c.from} -> ${c.to}`, c.reason, c.status]);
      expect(statuses('alice')).toEqual([
        ['NOT_REGISTERED -> REGISTERING', 'first REGISTER', undefined],
        ['REGISTERING -> AUTHENTICATING', '401 challenge answered', 401],
        ['AUTHENTICATING -> REGISTERED', `200 registered for ${LONG_EXPIRY_S} s`, 200],
        ['REGISTERED -> AUTHENTICATING_UNREGISTER', 'disabled', undefined],
        ['AUTHENTICATING_UNREGISTER -> NOT_REGISTERED', '200 unregistered', 200],
      ]);
      expect(statuses('bob')).toEqual([
        ['NOT_REGISTERED -> REGISTERING', 'first REGISTER', undefined],
        ['REGISTERING -> AUTHENTICATING', '401 challenge answered', 401],
        ['AUTHENTICATING -> WRONG_CREDENTIALS', 'the registrar rejected the credentials', 401],
      ]);
    });

    it(`refreshes a ${REFRESH_EXPIRY_S} s registration before it runs out: Kamailio still holds it after more than one expiry`, async () => {
      const first = await nthChangeTo('carol', 'REGISTERED', 1, EXCHANGE_TIMEOUT_MS);
      expect(stateSteps(changesOf('carol')).slice(0, 3)).toEqual(FIRST_REGISTRATION_WITH_CHALLENGE);

      // One expiry period and a margin after the first registration ...
      await sleep(first.at + (REFRESH_EXPIRY_S + 2) * 1_000 - Date.now());
      // ... Kamailio still holds the binding, renewed since.
      const location = await bindingsAt(kamailioPort, `sip:carol@${DOMAIN}`, context);
      expect(location.map((c) => c.uri)).toEqual([`sip:carol@127.0.0.1:${localPort}`]);
      expect(location[0].expires).toBeGreaterThan(0);
      expect(location[0].expires).toBeLessThanOrEqual(REFRESH_EXPIRY_S);

      // Each registration was renewed while it still ran, keeping the dialog; the refresh re-uses the
      // nonce (pre-emptive authentication), so Kamailio does not challenge it.
      const registeredAt = changesOf('carol').filter((c) => c.to === 'REGISTERED').map((c) => c.at);
      expect(registeredAt.length).toBeGreaterThanOrEqual(2);
      for (let i = 1; i < registeredAt.length; i++) expect(registeredAt[i] - registeredAt[i - 1]).toBeLessThan((REFRESH_EXPIRY_S - 1) * 1_000);
      expect(stateSteps(changesOf('carol')).slice(3, 5)).toEqual(['REGISTERED -> AUTHENTICATING', 'AUTHENTICATING -> REGISTERED']);
      const sent = registersOf(kamailioOutput(), 'carol');
      expect(new Set(sent.map((r) => r.callId)).size).toBe(1);
      expect(sent.map((r) => r.cseq)).toEqual(sent.map((_, i) => i + 1));
      expect(sent.map((r) => r.authenticated)).toEqual([false, ...sent.slice(1).map(() => true)]);
      expect(sent.every((r) => r.lifetime === REFRESH_EXPIRY_S)).toBe(true);

      // Meanwhile the disabled registrant sent nothing more, nor did the one with wrong credentials.
      expect(registersOf(kamailioOutput(), 'alice')).toHaveLength(3);
      expect(registersOf(kamailioOutput(), 'bob')).toHaveLength(2);
    }, 40_000);
  });

  describe('the CLI, sipreg registrant --registrants FILE.json', () => {
    let cli: ManagedProcess | undefined;
    let directory = '';

    afterAll(async () => {
      await cli?.stop();
      if (directory !== '') rmSync(directory, { recursive: true, force: true });
    });

    it('logs REGISTERED, Kamailio holds the binding, and SIGTERM stops it cleanly', async () => {
      const [port] = await distinctPorts(1, [kamailioPort]);
      directory = mkdtempSync(join(tmpdir(), 'sipreg-registrant-'));
      const file = join(directory, 'registrants.json');
      const aor = `sip:dave@${DOMAIN}`;
      const binding = `sip:dave@127.0.0.1:${port}`;
      writeFileSync(file, JSON.stringify([
        { aor, bindingUri: binding, registrar: `sip:127.0.0.1:${kamailioPort}`, username: 'dave', password: PASSWORD, expirySec: LONG_EXPIRY_S, enabled: true },
      ], null, 2));
      cli = await startCliCommand('registrant', `udp:127.0.0.1:${port}`, ['--registrants', file, '--timer-interval', String(TIMER_INTERVAL_S), '--hash-size', '0']);
      const context = (): string => `--- registrant CLI output:\n${cli?.output() ?? ''}\n--- kamailio output:\n${kamailioOutput()}`;

      const logged = await eventually(
        () => {
          const changes = cliStateChanges(cli?.output() ?? '').filter((c) => c.aor === aor);
          return changes.some((c) => c.to === 'REGISTERED') ? changes : undefined;
        },
        "the CLI's REGISTERED log line",
        CLI_TIMEOUT_MS,
        context,
      );
      expect(stateSteps(logged)).toEqual(FIRST_REGISTRATION_WITH_CHALLENGE);
      expect(logged[1].reason).toBe('401 challenge answered');
      expect(logged[2]).toMatchObject({ status: 200, reason: `200 registered for ${LONG_EXPIRY_S} s` });

      const location = await bindingsAt(kamailioPort, aor, context);
      expect(location.map((c) => c.uri)).toEqual([binding]);
      expect(location[0].expires).toBeLessThanOrEqual(LONG_EXPIRY_S);
      expect(location[0].expires).toBeGreaterThanOrEqual(LONG_EXPIRY_S - EXPIRY_SLACK_S);

      const stoppedAt = Date.now();
      const exit = await cli.stop(5_000);
      expect(exit).toEqual({ code: 0, signal: null });
      expect(Date.now() - stoppedAt).toBeLessThan(3_000);
    }, 40_000);
  });
});

describe('registrant CLI with an OpenSIPS SQLite table against the sipreg registrar CLI over UDP', () => {
  let registrarCli: ManagedProcess | undefined;
  let registrantCli: ManagedProcess | undefined;
  let directory = '';

  afterAll(async () => {
    await registrantCli?.stop();
    await registrarCli?.stop();
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  it('sipreg registrant --registrants sqlite:PATH logs REGISTERED and the sipreg registrar lists the binding', async () => {
    const [registrarPort, registrantPort] = await distinctPorts(2);
    directory = mkdtempSync(join(tmpdir(), 'sipreg-registrant-sqlite-'));
    const database = join(directory, 'opensips.db');
    const aor = 'sip:erin@127.0.0.1';
    const binding = `sip:erin@127.0.0.1:${registrantPort}`;
    const expirySec = 120;
    const table = new SqliteRegistrantStore({ path: database });
    try {
      table.insert({ aor, bindingUri: binding, registrar: `sip:127.0.0.1:${registrarPort}`, username: 'erin', password: PASSWORD, expirySec, enabled: true });
    } finally {
      table.close();
    }

    // The registrar first: a registrant that found nobody would retry only after a backoff.
    registrarCli = await startSipreg({ port: registrarPort, store: 'memory' });
    registrantCli = await startCliCommand('registrant', `udp:127.0.0.1:${registrantPort}`, [
      '--registrants', `sqlite:${database}`, '--timer-interval', String(TIMER_INTERVAL_S), '--hash-size', '0',
    ]);
    const context = (): string => `--- registrant CLI output:\n${registrantCli?.output() ?? ''}\n--- registrar CLI output:\n${registrarCli?.output() ?? ''}`;

    const logged = await eventually(
      () => {
        const changes = cliStateChanges(registrantCli?.output() ?? '').filter((c) => c.aor === aor);
        return changes.some((c) => c.to === 'REGISTERED') ? changes : undefined;
      },
      "the registrant CLI's REGISTERED log line",
      CLI_TIMEOUT_MS,
      context,
    );
    // The sipreg registrar does not challenge.
    expect(stateSteps(logged)).toEqual(['NOT_REGISTERED -> REGISTERING', 'REGISTERING -> REGISTERED']);
    expect(logged[1]).toMatchObject({ status: 200, reason: `200 registered for ${expirySec} s` });

    const location = await bindingsAt(registrarPort, aor, context);
    expect(location.map((c) => c.uri)).toEqual([binding]);
    expect(location[0].expires).toBeLessThanOrEqual(expirySec);
    expect(location[0].expires).toBeGreaterThanOrEqual(expirySec - EXPIRY_SLACK_S);

    expect(await registrantCli.stop(5_000)).toEqual({ code: 0, signal: null });
  }, 60_000);
});
