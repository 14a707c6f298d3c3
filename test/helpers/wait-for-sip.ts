import { createSocket } from 'node:dgram';

/**
 * Resolve once a SIP server on `udp:127.0.0.1:port` answers an OPTIONS request with any
 * response (RFC 3261 §11: OPTIONS to query a server; a 404 also proves it is serving).
 * The request is re-sent every 200 ms; rejects after `timeoutMs`.
 */
export function waitForSip(port: number, timeoutMs: number): Promise<void> {
  const socket = createSocket('udp4');
  return new Promise<void>((resolve, reject) => {
    let attempt = 0;
    const send = (): void => {
      attempt += 1;
      const { port: localPort } = socket.address();
      const request = [
        `OPTIONS sip:probe@127.0.0.1:${port} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-probe-${attempt}`,
        'Max-Forwards: 70',
        `From: <sip:probe@127.0.0.1:${localPort}>;tag=probe`,
        `To: <sip:probe@127.0.0.1:${port}>`,
        `Call-ID: probe-${localPort}@127.0.0.1`,
        `CSeq: ${attempt} OPTIONS`,
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n');
      socket.send(request, port, '127.0.0.1');
    };
    const finish = (error?: Error): void => {
      clearInterval(resend);
      clearTimeout(deadline);
      socket.close();
      if (error === undefined) resolve();
      else reject(error);
    };
    const resend = setInterval(send, 200);
    const deadline = setTimeout(
      () => finish(new Error(`no SIP reply from udp:127.0.0.1:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on('message', (data) => {
      if (data.subarray(0, 8).toString('latin1') === 'SIP/2.0 ') finish();
    });
    socket.on('error', (error) => finish(error));
    socket.bind(0, '127.0.0.1', send);
  });
}
