/**
 * STUN keep-alives on the registrar's UDP socket (RFC 5626 §4.4.2, §8; RFC 5389 §7.3): a UA that
 * registered a UDP flow (`+sip.instance` and `reg-id`, answered `Require: outbound`) sends STUN
 * Binding requests to the registrar's SIP port and takes the flow for failed when none is
 * answered. baresip (`sipnat=outbound` over UDP, see test/interop/forking-baresip.test.ts) logs
 * `Register: Connection timed out` after seven unanswered ones, about 40 s after registering,
 * when the registrar drops them (as it did, logging each as an invalid SIP message).
 */
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';

import { freePort } from '../helpers/free-port';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';

/** RFC 5389 §6: the magic cookie every STUN message carries in bytes 4–7. */
const MAGIC_COOKIE = 0x2112a442;
const BINDING_REQUEST = 0x0001;
const BINDING_SUCCESS = 0x0101;
/** Long enough for an answer on loopback; the test only waits this long when none comes. */
const ANSWER_WITHIN_MS = 2_000;

/** A STUN Binding request without attributes (RFC 5389 §6), as a UA's keep-alive (RFC 5626 §4.4.2). */
function bindingRequest(transactionId: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(BINDING_REQUEST, 0);
  header.writeUInt16BE(0, 2);
  header.writeUInt32BE(MAGIC_COOKIE, 4);
  return Buffer.concat([header, transactionId]);
}

/** The first datagram that comes back on a socket that sent `request` to `port`, or undefined after {@link ANSWER_WITHIN_MS}. */
function exchange(port: number, request: Buffer): Promise<Buffer | undefined> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => {
    const done = (answer: Buffer | undefined): void => {
      clearTimeout(timer);
      socket.close();
      resolve(answer);
    };
    const timer = setTimeout(() => done(undefined), ANSWER_WITHIN_MS);
    socket.on('message', (answer) => done(answer));
    socket.send(request, port, '127.0.0.1');
  });
}

describe('STUN keep-alives on the CLI registrar UDP socket (RFC 5626 §4.4.2)', () => {
  let registrar: ManagedProcess | undefined;

  afterEach(async () => {
    await registrar?.stop();
    registrar = undefined;
  });

  it('answers a Binding request with a Binding success response of the same transaction', async () => {
    const port = await freePort('udp');
    registrar = await startSipreg({ port });
    const transactionId = randomBytes(12);

    const answer = await exchange(port, bindingRequest(transactionId));

    expect({
      type: answer?.readUInt16BE(0),
      cookie: answer?.readUInt32BE(4),
      transactionId: answer?.subarray(8, 20).toString('hex'),
    }).toEqual({ type: BINDING_SUCCESS, cookie: MAGIC_COOKIE, transactionId: transactionId.toString('hex') });
  }, 30_000);
});
