/**
 * Interop: the registrant CLI (`sipreg registrant`, modelled on OpenSIPS uac_registrant)
 * registering with a `sips:` registrar (RFC 3261 §19.1, §26.2.2), Kamailio with its `tls` module,
 * answering its digest challenge (§22.2) over TLS. Kamailio's certificate names 127.0.0.1 and is
 * signed by a CA the test generates and hands to the registrant as `--tls-ca`.
 *
 * The CLI logs NOT_REGISTERED → REGISTERING → AUTHENTICATING → REGISTERED, Kamailio logs both
 * REGISTERs as received over TLS, and its location (read with a REGISTER without Contact over
 * UDP, RFC 3261 §10.2.3) holds the binding. A registrant trusting another CA only cannot verify
 * Kamailio's certificate (RFC 5922 §7.2): it logs INTERNAL_ERROR naming the failed connect, and
 * nothing reaches Kamailio.
 *
 * In CI (env CI set) a missing kamailio or tls module fails the test; locally it is skipped with a warning.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { KAMAILIO_TLS_MODULE, startTlsKamailio, type TlsKamailio } from '../helpers/kamailio-tls-config';
import { parseSip } from '../helpers/parse-sip';
import { queryBindings } from '../helpers/query-bindings';
import { cliStateChanges, FIRST_REGISTRATION_WITH_CHALLENGE, stateSteps, type LoggedStateChange } from '../helpers/registrant-state-log';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { kamailioRegistrarConfig } from '../helpers/start-kamailio';
import { startCliCommand } from '../helpers/start-sipreg';
import type { TestCertificates } from '../helpers/test-certificates';

const KAMAILIO = interopPrerequisites('the Kamailio registrant TLS interop tests', { kamailio: 'kamailio' }, [KAMAILIO_TLS_MODULE]);

/** Kamailio's password for every user (`pv_www_authenticate`). */
const PASSWORD = 'secret';
const EXPIRY_S = 60;
/** Waiting for the CLI to start (tsx compiles on the fly) and register. */
const CLI_TIMEOUT_MS = 20_000;
const REGISTER_LOG_LINE = /kamailio-register proto=(\S+) call-id=(\S+) to=(\S+) auth=(\S+)$/gm;

/**
 * Kamailio on UDP (queries, unauthenticated) and TLS: a REGISTER with a Contact is challenged
 * (qop=auth, realm = the To domain) until it carries the digest of "secret", then saved.
 */
function kamailioConfig(udpPort: number, tlsPort: number, tlsConfigFile: string): string {
  return kamailioRegistrarConfig(udpPort, `
	if (method != "REGISTER") {
		sl_send_reply("405", "Method Not Allowed");
		exit;
	}
	xlog("L_NOTICE", "kamailio-register proto=$proto call-id=$ci to=$tU auth=$au\\n");
	if (is_present_hf("Contact") && !pv_www_authenticate("$td", "${PASSWORD}", "0")) {
		www_challenge("$td", "1");
		exit;
	}
	if (!save("location")) sl_reply_error();
	exit;`, ['textops', 'auth'], { tls: { port: tlsPort, configFile: tlsConfigFile } });
}

KAMAILIO.describe('registrant CLI with a sips: registrar (Kamailio over TLS) and digest authentication', () => {
  let server: TlsKamailio | undefined;
  let certificates: TestCertificates | undefined;
  let kamailio: ManagedProcess | undefined;
  let otherCa: TestCertificates | undefined;
  const clis: ManagedProcess[] = [];
  let kamailioUdp = 0;
  let kamailioTls = 0;

  const context = (): string => [...clis.map((c) => `--- registrant CLI output:\n${c.output()}`), `--- kamailio output:\n${kamailio?.output() ?? ''}`].join('\n');

  /**
   * A registrant CLI trusting `ca`, registering `sip:USER@127.0.0.1:PORT` as `sip:USER@example.com`
   * with the registrar `sips:127.0.0.1:K`; resolves with the binding and the state changes once one
   * reaches a state `done` accepts.
   */
  const runRegistrant = async (user: string, ca: string, done: (state: string) => boolean): Promise<{ binding: string; changes: LoggedStateChange[] }> => {
    const port = await freePort('udp');
    const binding = `sip:${user}@127.0.0.1:${port}`;
    const aor = `sip:${user}@example.com`;
    const file = join(certificates!.dir, `registrants-${user}.json`);
    await writeFile(file, JSON.stringify([
      { aor, bindingUri: binding, registrar: `sips:127.0.0.1:${kamailioTls}`, username: user, password: PASSWORD, expirySec: EXPIRY_S, enabled: true },
    ]));
    const cli = await startCliCommand('registrant', `udp:127.0.0.1:${port}`, ['--registrants', file, '--tls-ca', ca, '--hash-size', '0']);
    clis.push(cli);
    const changes = await eventually(
      () => {
        const logged = cliStateChanges(cli.output()).filter((c) => c.aor === aor);
        return logged.some((c) => done(c.to)) ? logged : undefined;
      },
      `the state changes of ${aor}`,
      CLI_TIMEOUT_MS,
      context,
    );
    return { binding, changes };
  };

  /** The REGISTERs Kamailio logged for `user`: their transport and whether they carried credentials. */
  const registersOf = (user: string): string[][] =>
    [...(kamailio?.output() ?? '').matchAll(REGISTER_LOG_LINE)].filter(([, , , to]) => to === user).map(([, proto, , , auth]) => [proto, auth === '<null>' ? 'no credentials' : auth]);

  beforeAll(async () => {
    server = await startTlsKamailio(KAMAILIO.path('kamailio'), kamailioConfig);
    ({ process: kamailio, certificates, otherCa, udpPort: kamailioUdp, tlsPort: kamailioTls } = server);
  }, 40_000);

  afterAll(async () => {
    for (const cli of clis) await cli.stop();
    await server?.stop();
  });

  it('registers over TLS answering the challenge, and Kamailio holds the binding', async () => {
    const { binding, changes } = await runRegistrant('dave', certificates!.ca.path, (state) => state === 'REGISTERED');
    expect(stateSteps(changes)).toEqual(FIRST_REGISTRATION_WITH_CHALLENGE);
    expect(changes[2]).toMatchObject({ status: 200, reason: `200 registered for ${EXPIRY_S} s` });
    // Kamailio logged both before answering; its pipe may lag the CLI's.
    await eventually(() => (registersOf('dave').length >= 2 ? true : undefined), "Kamailio's log of both REGISTERs", CLI_TIMEOUT_MS, context);
    expect(registersOf('dave')).toEqual([['tls', 'no credentials'], ['tls', 'dave']]);

    const location = parseSip((await queryBindings(kamailioUdp, 'sip:dave@example.com')).text);
    if (location.kind !== 'response' || location.contacts === '*') throw new Error(`unexpected query answer\n${context()}`);
    expect(location.contacts.map((c) => c.uri)).toEqual([binding]);
  }, 40_000);

  it("ends in INTERNAL_ERROR naming the failed connect when Kamailio's certificate is not signed by the CA it trusts", async () => {
    const { changes } = await runRegistrant('erin', otherCa!.ca.path, (state) => state === 'INTERNAL_ERROR');
    expect(stateSteps(changes)).toEqual(['NOT_REGISTERED -> REGISTERING', 'REGISTERING -> INTERNAL_ERROR']);
    expect(changes[1].reason).toMatch(new RegExp(`^transport error: cannot connect to tls:127\\.0\\.0\\.1:${kamailioTls}.*certificate`));
    expect(registersOf('erin')).toEqual([]);
  }, 40_000);
});
