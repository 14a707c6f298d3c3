/**
 * Interop: sipreg's own outbound registration (`sipreg registrant --registrants FILE.json`, with
 * a username and password) at sipreg's own registrar challenging with SHA-256 only
 * (`sipreg registrar --auth-db sqlite:PATH --auth-algorithms sha-256`, RFC 8760 §2, RFC 7616
 * §3.3), both CLIs over UDP on loopback. The realm is the To domain, 127.0.0.1.
 *
 * The registrant goes NOT_REGISTERED → REGISTERING → AUTHENTICATING (401 answered) → REGISTERED;
 * the registrar lists its binding to an authenticated query (REGISTER without Contact, RFC 3261
 * §10.2.3), and the 401 of that query carries one challenge, `algorithm=SHA-256`: the one the
 * registrant answered. Needs no external peer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { registerWithDigest } from '../helpers/register-with-digest';
import { cliStateChanges, FIRST_REGISTRATION_WITH_CHALLENGE, stateSteps } from '../helpers/registrant-state-log';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startCliCommand, startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { writeSubscribers } from '../helpers/write-subscribers';

const REALM = '127.0.0.1';
const USER = 'frank';
const AOR = `sip:${USER}@${REALM}`;
const PASSWORD = 'frank-sha-256-secret';
const EXPIRY_SEC = 120;
/** Waiting for the CLIs to start (tsx compiles on the fly) and register. */
const CLI_TIMEOUT_MS = 20_000;

describe('sipreg registrant with a password at the sipreg registrar challenging with SHA-256', () => {
  let registrar: ManagedProcess | undefined;
  let registrant: ManagedProcess | undefined;
  let query: UdpSipPeer | undefined;
  let directory = '';

  afterAll(async () => {
    await query?.close();
    await registrant?.stop();
    await registrar?.stop();
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  it('registers through a SHA-256 challenge: state REGISTERED, and the registrar lists the binding', async () => {
    directory = mkdtempSync(join(tmpdir(), 'sipreg-auth-registrant-'));
    const database = join(directory, 'auth.db');
    writeSubscribers(database, [{ username: USER, realm: REALM, password: PASSWORD }]);
    const [registrarPort, registrantPort] = [await freePort('udp'), await freePort('udp')];
    const binding = `sip:${USER}@127.0.0.1:${registrantPort}`;
    const registrants = join(directory, 'registrants.json');
    writeFileSync(registrants, JSON.stringify([
      { aor: AOR, bindingUri: binding, registrar: `sip:127.0.0.1:${registrarPort}`, username: USER, password: PASSWORD, expirySec: EXPIRY_SEC, enabled: true },
    ], null, 2));

    // The registrar first: a registrant that found nobody would retry only after a backoff.
    registrar = await startSipreg({ port: registrarPort, extraArgs: ['--auth-db', `sqlite:${database}`, '--auth-algorithms', 'sha-256'] });
    registrant = await startCliCommand('registrant', `udp:127.0.0.1:${registrantPort}`, ['--registrants', registrants, '--timer-interval', '4', '--hash-size', '0']);
    const context = (): string => `--- registrant CLI output:\n${registrant?.output() ?? ''}\n--- registrar CLI output:\n${registrar?.output() ?? ''}`;

    const logged = await eventually(() => {
      const changes = cliStateChanges(registrant?.output() ?? '').filter((c) => c.aor === AOR);
      return changes.some((c) => c.to === 'REGISTERED' || c.to.endsWith('_ERROR') || c.to === 'WRONG_CREDENTIALS') ? changes : undefined;
    }, "the registrant CLI's REGISTERED log line", CLI_TIMEOUT_MS, context);
    expect(stateSteps(logged)).toEqual(FIRST_REGISTRATION_WITH_CHALLENGE);
    expect(logged[1]).toMatchObject({ status: 401, reason: '401 challenge answered' });
    expect(logged[2]).toMatchObject({ status: 200, reason: `200 registered for ${EXPIRY_SEC} s` });

    query = await UdpSipPeer.open({ context });
    const { challenge, final } = await registerWithDigest(query, registrarPort, { aor: AOR, username: USER, password: PASSWORD, contacts: [] });
    const offered = challenge?.headerAll('WWW-Authenticate') ?? [];
    expect(offered).toHaveLength(1);
    expect(offered[0]).toMatch(/^Digest /);
    expect(offered[0]).toMatch(/\balgorithm=SHA-256\b/);
    expect(offered[0]).toContain(`realm="${REALM}"`);
    expect(final.status).toBe(200);
    expect(final.contacts === '*' ? [] : final.contacts.map((c) => c.uri)).toEqual([binding]);

    expect(await registrant.stop(5_000)).toEqual({ code: 0, signal: null });
  }, 45_000);
});
