import { parseUri } from '../sip/uri';
import { unbracket } from '../sip/socket-address';

/** The host of a SIP URI, without IPv6 brackets and lower-cased (hosts compare case-insensitively, RFC 3261 §19.1.4). */
export function uriHost(uri: string): string | undefined {
  const h = parseUri(uri)?.host;
  return h === undefined ? undefined : unbracket(h).toLowerCase();
}
