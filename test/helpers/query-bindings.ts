import { createSocket } from 'node:dgram';

import { buildRegister, IdSequence } from '../../src/testing/message-builders';

/** The registrar's final answer to a binding query. */
export interface BindingQueryAnswer {
  /** Status code of the final response. */
  readonly status: number;
  /** Every Contact header value of the response, in order (one binding each). */
  readonly contacts: readonly string[];
  /** The whole response text, for failure messages. */
  readonly text: string;
}

const RETRANSMIT_MS = 500;
const DEFAULT_TIMEOUT_MS = 4_000;
const ids = new IdSequence('query');

/** The values of every `Contact:`/`m:` line of a response head (one value per line here). */
function contactValues(text: string): string[] {
  const [head] = text.split('\r\n\r\n', 1);
  const values: string[] = [];
  for (const line of head.split('\r\n')) {
    const match = /^(?:contact|m)\s*:\s*(.*)$/i.exec(line);
    if (match !== null) values.push(match[1]);
  }
  return values;
}

/**
 * Ask a registrar on 127.0.0.1 for the current bindings of `aor` with a REGISTER without
 * Contact (RFC 3261 §10.2.3) over UDP, retransmitting every 500 ms (Timer E, §17.1.2.2) until a
 * final response arrives.
 *
 * @param registrarPort - the registrar's UDP port.
 * @param aor - the address-of-record, e.g. `"sip:alice@127.0.0.1"`.
 * @param timeoutMs - give up after this long. @defaultValue 4000
 */
export function queryBindings(registrarPort: number, aor: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<BindingQueryAnswer> {
  const socket = createSocket('udp4');
  return new Promise<BindingQueryAnswer>((resolve, reject) => {
    let retransmit: NodeJS.Timeout | undefined;
    const deadline = setTimeout(() => finish(new Error(`no final response to the binding query of ${aor} within ${timeoutMs} ms`)), timeoutMs);
    const finish = (error: Error | undefined, answer?: BindingQueryAnswer): void => {
      clearTimeout(deadline);
      clearInterval(retransmit);
      socket.close();
      if (answer !== undefined) resolve(answer);
      else reject(error);
    };
    socket.once('error', (error) => finish(error));
    socket.on('message', (bytes) => {
      const text = bytes.toString('latin1');
      const status = /^SIP\/2\.0 (\d{3}) /.exec(text);
      if (status === null || Number(status[1]) < 200) return;
      finish(undefined, { status: Number(status[1]), contacts: contactValues(text), text });
    });
    socket.bind(0, '127.0.0.1', () => {
      const request = buildRegister({ aor, contacts: [], via: { port: socket.address().port, rport: true }, ids });
      const send = (): void => socket.send(request, registrarPort, '127.0.0.1');
      send();
      retransmit = setInterval(send, RETRANSMIT_MS);
    });
  });
}
