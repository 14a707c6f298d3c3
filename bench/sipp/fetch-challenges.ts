/**
 * The challenges a registrar under test issues, fetched over UDP before a bench step, so the
 * step's REGISTERs can carry credentials answering nonces that registrar issued (RFC 3261 §22.4;
 * RFC 7616 §3.3: a server may keep state about the nonces it issued, as sipreg and Kamailio's
 * `nonce_count` do). Not a bench itself.
 */
import { createSocket } from 'node:dgram';
import { Buffer } from 'node:buffer';

import { parseDigestChallenge, type DigestChallenge } from '../../src/sip/digest';
import { parseSipMessage } from '../../src/sip/sip-parser';

/** REGISTERs in flight at once. */
const WINDOW = 256;
/** Without an answer for this long, the REGISTERs in flight are sent again (same branch: the server's transaction answers). */
const RESEND_MS = 1000;
const DEADLINE_MS = 60_000;

/**
 * `count` challenges from the registrar on UDP 127.0.0.1:`port`, each the 401 to a REGISTER
 * without credentials for `sip:u@domain` (one challenge per 401: start the server with one
 * algorithm). Rejects when they do not all arrive within a minute.
 */
export async function fetchChallenges(port: number, domain: string, count: number): Promise<DigestChallenge[]> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const localPort = socket.address().port;
  const challenges: DigestChallenge[] = [];
  const pending = new Set<number>();
  let next = 0;
  const request = (k: number): Buffer => Buffer.from(
    `REGISTER sip:${domain} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${localPort};branch=z9hG4bK-fetch-${localPort}-${k}\r\nMax-Forwards: 70\r\n`
    + `From: <sip:u@${domain}>;tag=f${k}\r\nTo: <sip:u@${domain}>\r\nCall-ID: fetch-${localPort}-${k}\r\nCSeq: 1 REGISTER\r\n`
    + `Contact: <sip:u@127.0.0.1:${localPort}>\r\nContent-Length: 0\r\n\r\n`, 'latin1');
  const send = (k: number): void => socket.send(request(k), port, '127.0.0.1');
  const fill = (): void => {
    for (; pending.size < WINDOW && next < count; next++) {
      pending.add(next);
      send(next);
    }
  };
  try {
    return await new Promise<DigestChallenge[]>((resolve, reject) => {
      let lastAnswer = Date.now();
      const started = lastAnswer;
      const timer = setInterval(() => {
        if (Date.now() - started > DEADLINE_MS) reject(new Error(`fetchChallenges: ${challenges.length} of ${count} challenges in ${DEADLINE_MS} ms`));
        else if (Date.now() - lastAnswer > RESEND_MS) for (const k of pending) send(k);
      }, RESEND_MS);
      socket.on('message', (datagram) => {
        const parsed = parseSipMessage(datagram);
        if (!parsed.ok || parsed.message.kind !== 'response' || parsed.message.status !== 401) return;
        const k = Number(parsed.message.callId.slice(parsed.message.callId.lastIndexOf('-') + 1));
        if (!pending.delete(k)) return;
        const challenge = parseDigestChallenge(parsed.message.headerAll('WWW-Authenticate')[0] ?? '');
        if (challenge === undefined) {
          clearInterval(timer);
          reject(new Error('fetchChallenges: a 401 without a digest challenge'));
          return;
        }
        challenges.push(challenge);
        lastAnswer = Date.now();
        if (challenges.length === count) {
          clearInterval(timer);
          resolve(challenges);
        } else fill();
      });
      fill();
    });
  } finally {
    socket.close();
  }
}
