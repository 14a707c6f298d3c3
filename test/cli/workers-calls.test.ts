/**
 * Calls through `sipreg registrar --workers 2` (issue 22): the workers share one UDP socket, so a
 * phone's response to a forwarded INVITE sent to it would reach either worker. Each worker names
 * a UDP socket only it binds in the Via of what it forwards, without `rport`
 * (`Transport.responseSentBy`), so the phone's 200 comes back to the worker holding the
 * transaction: every call gets its 200 and no late 408 from a worker that never saw it. And the
 * caller's CANCEL, which the kernel may hand to the other worker, is steered to the worker holding
 * the INVITE (`UdpSteering`): 200 to the CANCEL and 487, never 481.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import type { SipMessage, SipRequest, SipResponse } from '../../src/sip/message';
import { buildRegister, buildRequest, buildResponseText, IdSequence } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { startSipreg } from '../helpers/start-sipreg';
import { startRedis, type RedisServer } from '../helpers/start-redis';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const ids = new IdSequence('workers-calls');
const CALLS = 20;

let redis: RedisServer;
let server: ManagedProcess | undefined;
const peers: UdpSipPeer[] = [];

beforeAll(async () => {
  redis = await startRedis({ appendOnly: false });
});
afterAll(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await server?.stop();
  await redis?.stop();
});

const isInvite = (callId: string) => (m: SipMessage): m is SipRequest => m.kind === 'request' && m.method === 'INVITE' && m.callId === callId;
const isFinal = (callId: string) => (m: SipMessage): m is SipResponse => m.kind === 'response' && m.status >= 200 && m.callId === callId;

describe('sipreg registrar --workers 2 routing calls', () => {
  it('brings every phone response back to the worker that forwarded the INVITE: each call gets its 200 and never a 408', async () => {
    const port = await freePort();
    server = await startSipreg({ port, store: redis.url, extraArgs: ['--workers', '2', '--store-key-prefix', 'workers-calls:', '--fr-timeout', '1'], readyTimeoutMs: 30_000 });
    const context = (): string => server!.output();
    const [phone, caller] = [await UdpSipPeer.open({ context }), await UdpSipPeer.open({ context })];
    peers.push(phone, caller);
    const registered = await phone.request(buildRegister({
      aor: 'sip:bob@127.0.0.1', contacts: [{ uri: `sip:bob@127.0.0.1:${phone.port}` }], via: { port: phone.port, rport: true }, expires: 600, ids,
    }), port, 10_000);
    expect(registered.status).toBe(200);

    const vias: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const callId = `workers-call-${i}`;
      caller.send(buildRequest('INVITE', { to: 'sip:bob@127.0.0.1', callId, via: { port: caller.port, rport: true }, ids }), port);
      const invite = await phone.waitFor(isInvite(callId), 5_000);
      expect(invite).toBeDefined();
      const top = invite!.via[0];
      vias.push(top.raw);
      // RFC 3261 §18.2.2 (RFC 3581 with rport): to the source address, at the sent-by port unless rport asks for the source port.
      phone.send(buildResponseText(invite!, 200, 'OK', undefined, { toTag: `callee-${i}` }), top.rport === undefined ? top.port ?? 5060 : port);
      const final = await caller.waitFor(isFinal(callId), 5_000);
      expect(final?.status).toBe(200);
    }
    // Past --fr-timeout: a worker that had not seen its phone's 200 would answer 408 now.
    await new Promise((r) => setTimeout(r, 1_500));
    const late = await caller.waitFor((m): m is SipResponse => m.kind === 'response' && m.status >= 300, 0);
    expect(late).toBeUndefined();
    expect(vias.every((v) => !/;rport\b/.test(v) && !v.includes(`:${port};`))).toBe(true);
    expect(phone.requests().filter((r) => r.method === 'CANCEL')).toEqual([]);
  }, 90_000);

  it("hands every caller's CANCEL to the worker holding its INVITE: 200 to the CANCEL, CANCEL to the phone, 487 to the caller, never 481", async () => {
    const port = await freePort();
    await server?.stop();
    server = await startSipreg({ port, store: redis.url, extraArgs: ['--workers', '2', '--store-key-prefix', 'workers-cancel:'], readyTimeoutMs: 30_000 });
    const context = (): string => server!.output();
    const [phone, caller] = [await UdpSipPeer.open({ context, unanswered: ['INVITE', 'CANCEL'] }), await UdpSipPeer.open({ context })];
    peers.push(phone, caller);
    const registered = await phone.request(buildRegister({
      aor: 'sip:carol@127.0.0.1', contacts: [{ uri: `sip:carol@127.0.0.1:${phone.port}` }], via: { port: phone.port, rport: true }, expires: 600, ids,
    }), port, 10_000);
    expect(registered.status).toBe(200);

    const isResponse = (callId: string, method: string) => (m: SipMessage): m is SipResponse => m.kind === 'response' && m.callId === callId && m.cseq.method === method;
    const cancelAnswers: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const callId = `workers-cancel-${i}`;
      const call = { to: 'sip:carol@127.0.0.1', callId, fromTag: `caller-${i}`, via: { port: caller.port, rport: true, branch: `z9hG4bK-cancel-${i}` }, ids };
      caller.send(buildRequest('INVITE', call), port);
      const invite = await phone.waitFor(isInvite(callId), 5_000);
      expect(invite).toBeDefined();
      const back = invite!.via[0].rport === undefined ? invite!.via[0].port ?? 5060 : port;
      phone.send(buildResponseText(invite!, 180, 'Ringing', undefined, { toTag: `callee-${i}` }), back);
      const ringing = await caller.waitFor((m): m is SipResponse => isResponse(callId, 'INVITE')(m) && m.status === 180, 5_000);
      expect(ringing).toBeDefined();
      caller.send(buildRequest('CANCEL', call), port);
      const answer = await caller.waitFor(isResponse(callId, 'CANCEL'), 5_000);
      cancelAnswers.push(answer?.status ?? 0);
      const cancel = await phone.waitFor((m): m is SipRequest => m.kind === 'request' && m.method === 'CANCEL' && m.callId === callId, 5_000);
      expect(cancel).toBeDefined();
      phone.send(buildResponseText(cancel!, 200, 'OK', undefined, { toTag: `callee-${i}` }), back);
      phone.send(buildResponseText(invite!, 487, 'Request Terminated', undefined, { toTag: `callee-${i}` }), back);
      const terminated = await caller.waitFor((m): m is SipResponse => isResponse(callId, 'INVITE')(m) && m.status === 487, 5_000);
      expect(terminated).toBeDefined();
    }
    expect(cancelAnswers).toEqual(Array.from({ length: CALLS }, () => 200));
  }, 120_000);
});
