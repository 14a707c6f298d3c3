/**
 * Interop: a real phone, baresip, registers through the sipreg CLI registrar (`--store memory`)
 * as a SIP Outbound UA (RFC 5626 §4.2) over TCP on loopback. Its Contact carries
 * `+sip.instance` (§4.1) and `reg-id` (§4.2), so the registrar keeps the binding as a flow
 * (§6) and answers `Require: outbound` (§5.2). A query (REGISTER without Contact, RFC 3261
 * §10.2.3) over UDP proves the stored binding carries the instance and reg-id; baresip's
 * de-registration on SIGTERM (RFC 3261 §10.2.2, `expires=0`) must remove it again.
 */
import { randomUUID } from 'node:crypto';

import { isResponseTo, tracedMessages } from '../helpers/baresip-trace';
import { freeBaresipPorts, freeUdpTcpPort } from '../helpers/free-udp-tcp-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { queryBindings, type BindingQueryAnswer } from '../helpers/query-bindings';
import { startBaresip, type BaresipProcess } from '../helpers/start-baresip';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';

const BARESIP = interopPrerequisites('the baresip interop tests', { baresip: 'baresip' });
const USER = 'alice';
const AOR = `sip:${USER}@127.0.0.1`;
const REGISTERED_WITHIN_MS = 10_000;
const POLL_MS = 100;

BARESIP.describe('baresip registering with SIP Outbound against the sipreg CLI registrar over TCP', () => {
  const instanceUuid = randomUUID();
  let server: ManagedProcess | undefined;
  let phone: BaresipProcess | undefined;
  let registrarPort = 0;
  let phonePort = 0;

  let lastQueryAnswer = '';

  /** Retry `probe` every 100 ms until it yields a value; fails after 10 s with both peers' output. */
  const eventually = async <T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> => {
    const deadline = Date.now() + REGISTERED_WITHIN_MS;
    for (;;) {
      const found = await probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `${what} not seen within ${REGISTERED_WITHIN_MS} ms; last query answer:\n${lastQueryAnswer}\n` +
            `baresip output:\n${phone?.process.output() ?? ''}\nsipreg output:\n${server?.output() ?? ''}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  };

  /** The current bindings of the AOR, as the registrar lists them in the 200 to a query. */
  const query = async (): Promise<BindingQueryAnswer> => {
    const answer = await queryBindings(registrarPort, AOR);
    lastQueryAnswer = answer.text;
    return answer;
  };

  /** baresip's SIP trace so far. */
  const traced = (): string[] => tracedMessages(phone?.process.output() ?? '');

  beforeAll(async () => {
    registrarPort = await freeUdpTcpPort();
    phonePort = await freeBaresipPorts();
    server = await startSipreg({ port: registrarPort, extraArgs: ['--listen', `tcp:127.0.0.1:${registrarPort}`] });
    await server.waitForLine(`sipreg registrar listening on tcp:127.0.0.1:${registrarPort}`, 5_000);
    phone = startBaresip({ baresipPath: BARESIP.path('baresip'), sipPort: phonePort, registrarPort, user: USER, instanceUuid });
  }, 25_000);

  afterAll(async () => {
    await phone?.stop();
    await server?.stop();
  });

  it("stores baresip's binding with its +sip.instance and reg-id", async () => {
    const answer = await eventually(async () => {
      const reply = await query();
      return reply.contacts.length > 0 ? reply : undefined;
    }, `a binding of ${AOR}`);
    expect(answer.status).toBe(200);
    expect(answer.contacts).toHaveLength(1);
    const [contact] = answer.contacts;
    expect(contact).toMatch(new RegExp(`^<sip:${USER}-[^@>]+@127\\.0\\.0\\.1:${phonePort};transport=tcp>`));
    expect(contact).toContain(`;+sip.instance="<urn:uuid:${instanceUuid}>"`);
    expect(contact).toMatch(/;reg-id=1(?:;|$)/);
  });

  it('received an outbound REGISTER from baresip and answered it with Require: outbound', async () => {
    // baresip's output pipe may lag the registrar's answer to the query.
    const ok = await eventually(() => traced().find((message) => isResponseTo(message, 200, 'REGISTER')), "the 200 OK to baresip's REGISTER");
    const register = traced().find((message) => /\nREGISTER /.test(message));
    expect(register).toMatch(/\nSupported: [^\n]*\boutbound\b/);
    expect(register).toContain(`;expires=60;+sip.instance="<urn:uuid:${instanceUuid}>";reg-id=1\n`);
    expect(ok).toMatch(/\nRequire: outbound\n/);
  });

  it('removes the binding when baresip unregisters on SIGTERM', async () => {
    const exit = await phone?.process.stop(5_000);
    expect(exit).toEqual({ code: 0, signal: null });
    const messages = traced();
    const unregister = messages.find((message) => /\nREGISTER /.test(message) && /;expires=0\b/.test(message));
    const cseq = /\nCSeq: (\d+) REGISTER\n/.exec(unregister ?? '')?.[1];
    expect(cseq).toBeDefined();
    const ok = messages.find((message) => isResponseTo(message, 200, 'REGISTER', cseq));
    expect(ok).toBeDefined();
    expect(ok).not.toMatch(/\nContact:/i);
    const answer = await query();
    expect({ status: answer.status, contacts: answer.contacts }).toEqual({ status: 200, contacts: [] });
  });
});
