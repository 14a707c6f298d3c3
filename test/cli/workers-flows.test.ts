/**
 * A phone reached only over its own connection (RFC 5626 outbound over TCP, §5.3) behind
 * `sipreg registrar --workers 2`: the primary hands its connection to one worker, while a caller's
 * INVITEs (UDP) go to the worker their Call-ID places them on (`UdpSteering`). A worker that does
 * not hold the connection asks the holder to write the INVITE on it (`UdpSteering.relay`), and
 * the holder hands the phone's responses back to it by their Via branch: every call reaches the
 * phone and gets its final response, never `430 Flow Failed`. The same for a browser phone
 * (SIP.js over `ws:`, whose `.invalid` Contact is reached only over its WebSocket, RFC 7118 §5).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { StreamFramer } from '../../src/transports/stream-framer';
import { steeringOwner } from '../../src/transports/udp-steering';
import { buildRegister, buildRequest, buildResponseText, IdSequence } from '../../src/testing/message-builders';
import { freeUdpTcpPort } from '../helpers/free-udp-tcp-port';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startCliCommand } from '../helpers/start-sipreg';
import { startRedis, type RedisServer } from '../helpers/start-redis';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { eventually } from '../helpers/eventually';
import { startSipJsPhone, type WebPhone } from '../helpers/web-phones';

const ids = new IdSequence('workers-flows');
/** An audio offer (RFC 4566): SIP.js answers an INVITE without one 400 before its application sees it. */
const OFFER = 'v=0\r\no=caller 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const CALLS = 20;

/** A phone on one TCP connection to the registrar: keeps what it receives, writes what it is given. */
class TcpPhone {
  readonly received: SipMessage[] = [];
  readonly #framer = new StreamFramer(1 << 16);

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#framer.push(chunk, {
        message: (bytes) => {
          const parsed = parseSipMessage(bytes);
          if (parsed.ok) this.received.push(parsed.message);
        },
        ping: () => {},
      });
    });
  }

  static open(port: number): Promise<TcpPhone> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new TcpPhone(socket)));
      socket.once('error', reject);
    });
  }

  get port(): number {
    return this.socket.localPort ?? 0;
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** The first message received that `match`es, once one is, or undefined after `timeoutMs`. */
  async waitFor<T extends SipMessage>(match: (m: SipMessage) => m is T, timeoutMs: number): Promise<T | undefined> {
    try {
      return await eventually(() => this.received.find(match), 'a message', timeoutMs, () => '', 20);
    } catch {
      return undefined;
    }
  }
}

let redis: RedisServer;
let server: ManagedProcess | undefined;
let phone: TcpPhone | undefined;
let webPhone: WebPhone | undefined;
let caller: UdpSipPeer | undefined;

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});
afterAll(async () => {
  phone?.socket.destroy();
  await webPhone?.stop().catch(() => undefined);
  await caller?.close();
  await server?.stop();
  await redis?.stop();
});

const isInvite = (callId: string) => (m: SipMessage): m is SipRequest => m.kind === 'request' && m.method === 'INVITE' && m.callId === callId;
const isAck = (callId: string) => (m: SipMessage): m is SipRequest => m.kind === 'request' && m.method === 'ACK' && m.callId === callId;
const isFinal = (callId: string) => (m: SipMessage): m is SipResponse => m.kind === 'response' && m.status >= 200 && m.callId === callId;

describe('sipreg registrar --workers 2 reaching a phone over its own connection', () => {
  it('writes every call on the phone\'s TCP flow from whichever worker handles it, and brings its answers back: 486 to each caller, never 430', async () => {
    const port = await freeUdpTcpPort();
    server = await startCliCommand('registrar', `udp:127.0.0.1:${port}`, [
      '--listen', `tcp:127.0.0.1:${port}`, '--store', redis.url, '--store-key-prefix', 'workers-flows:', '--workers', '2',
    ], 30_000);
    phone = await TcpPhone.open(port);
    phone.send(buildRegister({
      aor: 'sip:dave@127.0.0.1',
      contacts: [{ uri: `sip:dave@127.0.0.1:${phone.port};transport=tcp;ob`, params: { '+sip.instance': '"<urn:uuid:00000000-0000-4000-8000-00000000da7e>"', 'reg-id': '1' } }],
      via: { transport: 'TCP', port: phone.port },
      supported: ['outbound', 'path'],
      expires: 600,
      callId: 'workers-flows-register',
      ids,
    }));
    const registered = await phone.waitFor(isFinal('workers-flows-register'), 10_000);
    expect(registered?.status).toBe(200);
    expect(registered?.header('require')).toBe('outbound');

    caller = await UdpSipPeer.open({ context: () => server!.output() });
    const finals: number[] = [];
    const places = new Set<number>();
    for (let i = 0; i < CALLS; i++) {
      const callId = `workers-flow-call-${i}`;
      places.add(steeringOwner(callId, 2));
      caller.send(buildRequest('INVITE', { to: 'sip:dave@127.0.0.1', callId, via: { port: caller.port, rport: true }, ids }), port);
      const invite = await phone.waitFor(isInvite(callId), 5_000);
      expect(invite).toBeDefined();
      phone.send(buildResponseText(invite!, 180, 'Ringing', undefined, { toTag: `callee-${i}` }));
      phone.send(buildResponseText(invite!, 486, 'Busy Here', undefined, { toTag: `callee-${i}` }));
      const final = await caller.waitFor(isFinal(callId), 5_000);
      finals.push(final?.status ?? 0);
      // RFC 3261 §17.1.1.3: the proxy's client transaction ACKs the 486, on the same flow.
      expect(await phone.waitFor(isAck(callId), 5_000)).toBeDefined();
    }
    // Both workers handled calls: half of them went through the worker not holding the connection.
    expect(places).toEqual(new Set([0, 1]));
    expect(finals).toEqual(Array.from({ length: CALLS }, () => 486));
    expect(caller.requests()).toEqual([]);
  }, 120_000);

  it('reaches a SIP.js phone over its WebSocket from either worker: every INVITE gets its 486, never 430', async () => {
    await server?.stop();
    await caller?.close();
    const [port, wsPort] = [await freeUdpTcpPort(), await freeUdpTcpPort()];
    server = await startCliCommand('registrar', `udp:127.0.0.1:${port}`, [
      '--listen', `ws:127.0.0.1:${wsPort}`, '--store', redis.url, '--store-key-prefix', 'workers-ws-flows:', '--workers', '2',
    ], 30_000);
    webPhone = await startSipJsPhone({ server: `ws://127.0.0.1:${wsPort}`, aor: 'sip:erin@example.com' });
    caller = await UdpSipPeer.open({ context: () => server!.output() });
    const finals: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const callId = `workers-ws-call-${i}`;
      caller.send(buildRequest('INVITE', { to: 'sip:erin@example.com', callId, via: { port: caller.port, rport: true }, contacts: [`sip:caller@127.0.0.1:${caller.port}`], body: OFFER, contentType: 'application/sdp', ids }), port);
      const final = await caller.waitFor(isFinal(callId), 5_000);
      finals.push(final?.status ?? 0);
    }
    expect(finals).toEqual(Array.from({ length: CALLS }, () => 486));
    expect(webPhone.received.filter((r) => r.method === 'INVITE')).toHaveLength(CALLS);
  }, 120_000);

  it('reaches a phone registered over TCP without a flow on the connection a worker holds to it, from either worker (not a new one it would refuse)', async () => {
    await server?.stop();
    await caller?.close();
    phone?.socket.destroy();
    const port = await freeUdpTcpPort();
    server = await startCliCommand('registrar', `udp:127.0.0.1:${port}`, [
      '--listen', `tcp:127.0.0.1:${port}`, '--store', redis.url, '--store-key-prefix', 'workers-tcp:', '--workers', '2',
    ], 30_000);
    phone = await TcpPhone.open(port);
    // Its Contact names its end of the connection, where nothing listens: only that connection reaches it.
    phone.send(buildRegister({ aor: 'sip:frank@127.0.0.1', contacts: [`sip:frank@127.0.0.1:${phone.port};transport=tcp`], via: { transport: 'TCP', port: phone.port }, expires: 600, callId: 'workers-tcp-register', ids }));
    expect((await phone.waitFor(isFinal('workers-tcp-register'), 10_000))?.status).toBe(200);
    caller = await UdpSipPeer.open({ context: () => server!.output() });
    const finals: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const callId = `workers-tcp-call-${i}`;
      caller.send(buildRequest('INVITE', { to: 'sip:frank@127.0.0.1', callId, via: { port: caller.port, rport: true }, ids }), port);
      const invite = await phone.waitFor(isInvite(callId), 5_000);
      if (invite !== undefined) phone.send(buildResponseText(invite, 486, 'Busy Here', undefined, { toTag: `callee-${i}` }));
      finals.push((await caller.waitFor(isFinal(callId), 5_000))?.status ?? 0);
    }
    expect(finals).toEqual(Array.from({ length: CALLS }, () => 486));
  }, 180_000);
});
