import { parseUri } from '../../sip/uri';
import { hasInvalidHost } from './invalid-host';

/**
 * True for a remote target that only the flow its request came on reaches: a `.invalid` host, a
 * WebSocket client's (RFC 7118 §5), or an `ob` parameter, a UA asking that requests of the
 * dialog come over that flow (RFC 5626 §4.3, §5.3).
 */
export function isFlowOnlyTarget(uri: string): boolean {
  return hasInvalidHost(uri) || parseUri(uri)?.params.ob !== undefined;
}
