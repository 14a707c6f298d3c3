import { randomBytes } from 'node:crypto';

/** `<8 hex>` or `<8 hex>.p<place>`, between the protocol and the counter of a connection id. */
const PLACED_ID = /^[a-z]+-[0-9a-f]{8}\.p(\d{1,5})-\d+$/;

/**
 * The middle of the connection ids one pool or WebSocket listener gives (`<protocol>-<salt>-<n>`):
 * 8 random hex digits, so that an id stored with a binding by another process or an earlier run
 * (a shared location) names no connection here and its flow fails (RFC 5626 §5.3) instead of
 * reaching some other client; followed by `.p<place>` in a process at `place` among several
 * sharing the sockets (`UdpSteering`), so that any of them can tell which one holds the
 * connection ({@link connectionPlace}).
 */
export function connectionIdSalt(place?: number): string {
  const salt = randomBytes(4).toString('hex');
  return place === undefined ? salt : `${salt}.p${place}`;
}

/** The place of the process holding connection `connectionId`, when its id names one (see {@link connectionIdSalt}). */
export function connectionPlace(connectionId: string): number | undefined {
  const m = PLACED_ID.exec(connectionId);
  return m === null ? undefined : Number(m[1]);
}
