import { createSocket, type Socket } from 'node:dgram';

import type { SipRequest } from '../../src/sip/message';
import { buildResponseText } from '../../src/testing/message-builders';
import { parseSip } from './parse-sip';

/**
 * A remote registrar on a UDP socket of 127.0.0.1 for `sipreg registrant` tests: every REGISTER is
 * answered 200 OK listing its Contact with the expiry asked (RFC 3261 §10.3 step 8), and kept.
 */
export class EchoRegistrar {
  /** The REGISTERs received, in order. */
  readonly received: SipRequest[] = [];
  readonly #socket: Socket;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (bytes, remote) => {
      const request = parseSip(bytes) as SipRequest;
      this.received.push(request);
      const contact = request.contacts === '*' ? undefined : request.contacts[0];
      const headers: [string, string][] = contact === undefined ? [] : [['Contact', `<${contact.uri}>;expires=${contact.params.expires ?? request.expires ?? 3600}`]];
      socket.send(buildResponseText(request, 200, 'OK', headers), remote.port, remote.address);
    });
  }

  /** Bind a registrar to a free UDP port of 127.0.0.1. */
  static async open(): Promise<EchoRegistrar> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new EchoRegistrar(socket);
  }

  /** Its URI, the `registrar` of a registrant record. */
  get uri(): string {
    return `sip:127.0.0.1:${this.#socket.address().port}`;
  }

  /** The REGISTERs received for `aor`, each with the expiry its Contact asked (0: an unREGISTER). */
  expiriesOf(aor: string): (number | undefined)[] {
    return this.received.filter((r) => r.to.uri === aor).map((r) => {
      const contact = r.contacts === '*' ? undefined : r.contacts[0];
      return contact?.params.expires == null ? undefined : Number(contact.params.expires);
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
