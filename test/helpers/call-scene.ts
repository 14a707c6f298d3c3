import { afterEach } from '@jest/globals';

import type { SipResponse } from '../../src/sip/message';
import { buildRequest, type IdSequence } from '../../src/testing/message-builders';
import { freePort } from './free-port';
import type { ManagedProcess } from './spawn-managed';
import { startSipreg } from './start-sipreg';
import type { UdpPhone } from './udp-phone';
import { UdpSipPeer } from './udp-sip-peer';

/** A CLI registrar for one test and a caller that INVITEs an AOR through it. */
export interface CallScene {
  readonly port: number;
  /** INVITE `aor` from the caller (retransmitted) and resolve with its final response. */
  call(aor: string): Promise<{ callId: string; final: SipResponse }>;
}

/**
 * Per-test CLI registrars serving `domain` on UDP 127.0.0.1 with a caller (`scene(args)`), and
 * phones to close after each test (`keep(phone)`); everything is stopped after each test.
 */
export function useCallScene(domain: string, ids: IdSequence) {
  let server: ManagedProcess | undefined;
  const closing: { close(): Promise<unknown> | void }[] = [];
  afterEach(async () => {
    await server?.stop();
    server = undefined;
    await Promise.all(closing.splice(0).map((c) => c.close()));
  });
  const output = (): string => server?.output() ?? '';

  /** Start the registrar with `--domain domain` and `args`, and a caller. */
  const scene = async (args: readonly string[]): Promise<CallScene> => {
    const port = await freePort();
    server = await startSipreg({ port, extraArgs: ['--domain', domain, ...args] });
    const caller = await UdpSipPeer.open({ user: 'caller', context: output });
    closing.push(caller);
    const call = async (aor: string): Promise<{ callId: string; final: SipResponse }> => {
      const callId = `${ids.next()}@caller`;
      const text = buildRequest('INVITE', { requestUri: aor, to: aor, from: `sip:caller@${domain}`, via: { port: caller.port, rport: true }, callId, ids });
      return { callId, final: await caller.request(text, port) };
    };
    return { port, call };
  };

  /** Close `phone` after the test. */
  const keep = (phone: UdpPhone): UdpPhone => {
    closing.push(phone);
    return phone;
  };
  return { scene, keep, output };
}
