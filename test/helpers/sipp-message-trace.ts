import { readFileSync } from 'node:fs';

import type { SipMessage } from '../../src/sip/message';
import { parseSip } from './parse-sip';

/** One message SIPp sent or received, from its message trace (`-trace_msg -message_file FILE`). */
export interface TracedMessage {
  /** When SIPp logged it: epoch milliseconds with SIPp's microseconds, by SIPp's loop clock. */
  readonly at: number;
  /** `in`: SIPp received it; `out`: SIPp sent it. */
  readonly direction: 'in' | 'out';
  readonly message: SipMessage;
}

/** The separator line SIPp writes before each traced message: dashes, then its local date and time. */
const ENTRY = /^-{47} (\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)$/m;

/**
 * The messages of a SIPp message trace, in the order SIPp logged them; an absent file (SIPp has
 * not written it yet) has none. SIPp writes each message as it goes, so a running SIPp's trace can
 * be polled.
 */
export function readSippMessageTrace(file: string): TracedMessage[] {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch {
    return [];
  }
  const parts = text.split(ENTRY);
  const messages: TracedMessage[] = [];
  // Split on a pattern with 3 groups: [before, date, time, fraction, entry, date, time, fraction, entry, ...].
  for (let index = 1; index + 3 < parts.length; index += 4) {
    const [date, time, fraction, entry] = parts.slice(index, index + 4);
    const blank = entry.indexOf('\n\n');
    const head = entry.slice(0, blank);
    const sip = entry.slice(blank + 2).replace(/\n+$/, '\n');
    const at = new Date(`${date}T${time}`).getTime() + Number(fraction) * 1000;
    messages.push({ at, direction: /message sent/.test(head) ? 'out' : 'in', message: parseSip(sip.replaceAll(/\r?\n/g, '\r\n')) });
  }
  return messages;
}

/**
 * A message as a short label for comparing whole exchanges with `toEqual`: direction, then the
 * method of a request or the status and CSeq method of a response, e.g. `in INVITE`, `out 180 INVITE`.
 */
export function messageLabel({ direction, message }: Pick<TracedMessage, 'direction' | 'message'>): string {
  return message.kind === 'request' ? `${direction} ${message.method}` : `${direction} ${message.status} ${message.cseq.method}`;
}
