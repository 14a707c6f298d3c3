import { createSocket } from 'node:dgram';

import { freePort } from '../helpers/free-port';
import { queryBindings } from '../helpers/query-bindings';
import { startSipreg } from '../helpers/start-sipreg';
import { suiteResources } from '../helpers/suite-resources';

/** Retransmission interval until a final response (RFC 3261 §17.1.2.2 Timer E at T1). */
const RETRANSMIT_MS = 500;
const REPLY_TIMEOUT_MS = 5_000;

/**
 * Send `text` from a fresh UDP socket of 127.0.0.1 to the registrar, retransmitting until the
 * first final response comes back, and resolve with that response's text (status line first).
 * The response is read as text: a 400 to a request without Call-ID or CSeq has none either.
 */
function exchange(text: string, port: number, context: () => string): Promise<string> {
  const socket = createSocket('udp4');
  return new Promise<string>((resolve, reject) => {
    let retransmit: NodeJS.Timeout | undefined;
    const finish = (error: Error | undefined, response?: string): void => {
      clearTimeout(deadline);
      clearInterval(retransmit);
      socket.close();
      if (response !== undefined) resolve(response);
      else reject(error);
    };
    const deadline = setTimeout(() => finish(new Error(`no final response within ${REPLY_TIMEOUT_MS} ms to:\n${text}\n${context()}`)), REPLY_TIMEOUT_MS);
    socket.once('error', (error) => finish(error));
    socket.on('message', (bytes) => {
      const response = bytes.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3}) /.exec(response);
      if (status !== null && Number(status[1]) >= 200) finish(undefined, response);
    });
    socket.bind(0, '127.0.0.1', () => {
      const send = (): void => socket.send(text.replaceAll('PORT', String(socket.address().port)), port, '127.0.0.1');
      send();
      retransmit = setInterval(send, RETRANSMIT_MS);
    });
  });
}

/** A REGISTER of `sip:USER@127.0.0.1` with one Contact, changed by `edit` (line by line). */
function register(user: string, edit: (lines: string[]) => string[] = (lines) => lines): string {
  const lines = [
    'REGISTER sip:127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-${user};rport`,
    'Max-Forwards: 70',
    `From: <sip:${user}@127.0.0.1>;tag=f-${user}`,
    `To: <sip:${user}@127.0.0.1>`,
    `Call-ID: ${user}@127.0.0.1`,
    'CSeq: 1 REGISTER',
    `Contact: <sip:${user}@127.0.0.1:PORT>`,
    'Expires: 600',
  ];
  return [...edit(lines), 'Content-Length: 0', '', ''].join('\r\n');
}

const replaceLine = (prefix: string, line: string) => (lines: string[]): string[] => lines.map((l) => (l.startsWith(prefix) ? line : l));
const dropLine = (prefix: string) => (lines: string[]): string[] => lines.filter((l) => !l.startsWith(prefix));

/**
 * Issue 23: each malformed REGISTER and the status line it must get. The bad Via ports come
 * without `rport`, so that a response following the Via would go to that port.
 */
const CASES: readonly [string, string, RegExp][] = [
  ['tel: Request-URI', register('m-tel', replaceLine('REGISTER ', 'REGISTER tel:+15551234567 SIP/2.0')), /^SIP\/2\.0 416 Unsupported URI Scheme\r\n/],
  ['http: Request-URI', register('m-http', replaceLine('REGISTER ', 'REGISTER http://127.0.0.1/ SIP/2.0')), /^SIP\/2\.0 416 Unsupported URI Scheme\r\n/],
  ['flipped scheme sib:', register('m-sib', replaceLine('REGISTER ', 'REGISTER sib:127.0.0.1 SIP/2.0')), /^SIP\/2\.0 416 Unsupported URI Scheme\r\n/],
  ['Max-Forwards 256', register('m-mf256', replaceLine('Max-Forwards', 'Max-Forwards: 256')), /^SIP\/2\.0 400 Bad Request \(bad-max-forwards\)\r\n/],
  ['Max-Forwards 99999999999', register('m-mfbig', replaceLine('Max-Forwards', 'Max-Forwards: 99999999999')), /^SIP\/2\.0 400 Bad Request \(bad-max-forwards\)\r\n/],
  ['a NUL byte in a header', register('m-nul', (lines) => [...lines, 'User-Agent: phone\0x']), /^SIP\/2\.0 400 Bad Request \(nul-in-header\)\r\n/],
  ['no To', register('m-noto', dropLine('To:')), /^SIP\/2\.0 400 Bad Request \(missing-to\)\r\n/],
  ['no From', register('m-nofrom', dropLine('From:')), /^SIP\/2\.0 400 Bad Request \(missing-from\)\r\n/],
  ['no Call-ID', register('m-nocallid', dropLine('Call-ID:')), /^SIP\/2\.0 400 Bad Request \(missing-call-id\)\r\n/],
  ['no CSeq', register('m-nocseq', dropLine('CSeq:')), /^SIP\/2\.0 400 Bad Request \(missing-cseq\)\r\n/],
  ['Via port 0', register('m-via0', replaceLine('Via:', 'Via: SIP/2.0/UDP 127.0.0.1:0;branch=z9hG4bK-via0')), /^SIP\/2\.0 400 Bad Request \(bad-via\)\r\n/],
  ['Via port 70000', register('m-via70000', replaceLine('Via:', 'Via: SIP/2.0/UDP 127.0.0.1:70000;branch=z9hG4bK-via7')), /^SIP\/2\.0 400 Bad Request \(bad-via\)\r\n/],
];

describe('the CLI registrar answers malformed REGISTERs over UDP and keeps nothing (issue 23)', () => {
  const resources = suiteResources();
  let port = 0;
  let context: () => string = () => '';

  beforeAll(async () => {
    port = await freePort('udp');
    const server = resources.process(await startSipreg({ port }));
    context = () => `--- registrar output:\n${server.output()}`;
  });

  it('registers the well-formed REGISTER the cases are made from', async () => {
    expect(await exchange(register('m-control'), port, context)).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect((await queryBindings(port, 'sip:m-control@127.0.0.1')).contacts).toHaveLength(1);
  });

  it.each(CASES)('%s', async (_name, text, status) => {
    const user = /^To: <sip:([^@]+)@|^From: <sip:([^@]+)@/m.exec(text)!;
    const response = await exchange(text, port, context);
    expect(response).toMatch(status);
    expect(response).toMatch(/\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;branch=z9hG4bK-/);
    const bindings = await queryBindings(port, `sip:${user[1] ?? user[2]}@127.0.0.1`);
    expect([bindings.status, bindings.contacts]).toEqual([200, []]);
  });

  it('still registers after them, and logged no socket error', async () => {
    expect(await exchange(register('m-after'), port, context)).toMatch(/^SIP\/2\.0 200 OK\r\n/);
    expect(context()).not.toMatch(/ERR_SOCKET_BAD_PORT|request handling failed/);
  });
});
