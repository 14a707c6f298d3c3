import type { SipMessage } from '../../src/sip/message';
import { parseSip } from './parse-sip';

/** The SIP messages of baresip's trace (`-s`), each as `TCP a -> b` (or UDP, TLS) plus its text, line ends as `\n`. */
export function tracedMessages(output: string): string[] {
  return output
    .split(/^(?=(?:TCP|UDP|TLS) \S+ -> \S+$)/m)
    .filter((block) => /^(?:TCP|UDP|TLS) /.test(block))
    .map((block) => block.replaceAll('\r\n', '\n'));
}

/**
 * Whether a traced message is a response of `status` (RFC 3261 §7.2) to a request of `method`
 * (whose CSeq number is `cseq`, if given).
 */
export function isResponseTo(message: string, status: number, method: string, cseq = '\\d+'): boolean {
  return new RegExp(`\\nSIP/2\\.0 ${status} `).test(message) && new RegExp(`\\nCSeq: ${cseq} ${method}\\n`).test(message);
}

/** One message of baresip's trace, seen from baresip: `in` it received it, `out` it sent it. */
export interface BaresipTracedMessage {
  readonly direction: 'in' | 'out';
  readonly message: SipMessage;
}

/** The terminal colour codes baresip wraps each traced message in. */
const COLOURS = /\x1b\[[0-9;]*m/g;

/**
 * The messages of baresip's trace (`-s`) parsed, each as received or sent by the baresip at
 * `address` (`HOST:PORT`, its `sip_listen`). A message ends after its Content-Length (RFC 3261
 * §20.14): what baresip logs after it is no part of it.
 */
export function baresipExchange(output: string, address: string): BaresipTracedMessage[] {
  return tracedMessages(output).map((block) => {
    const firstLine = block.indexOf('\n');
    const destination = block.slice(0, firstLine).split(' -> ')[1];
    const text = block.slice(firstLine + 1).replaceAll(COLOURS, '');
    const headerEnd = text.indexOf('\n\n');
    const length = Number(/^Content-Length:\s*(\d+)$/im.exec(text.slice(0, headerEnd))?.[1] ?? 0);
    const sip = text.slice(0, headerEnd + 2 + length).replaceAll('\n', '\r\n');
    return { direction: destination === address ? 'in' : 'out', message: parseSip(sip) };
  });
}
