import type { Endpoint } from '../../ports/transport';
import { hopUriOf } from '../../proxy/hop-uri';
import type { LookupTarget } from '../../registrar/select-targets';
import { requestDestination, type SipResolver } from '../../sip/request-destination';
import { flowDestination, registeredSocket } from '../outbound/flow-destination';

/** Where one ping goes, and the local socket it leaves from. */
export interface PingDestination {
  readonly destination: Endpoint;
  /** The socket the binding registered through (`Binding.socket`), when it is one of the transport's of that protocol. */
  readonly local?: Endpoint;
}

/**
 * Where a ping for a binding's lookup target goes, as a request routed to it would (RFC 3261
 * §16.6, `targetOf`): over its flow, the connection it registered on, when it has one (RFC 5626
 * §5.3, {@link flowDestination}); else to the first Path hop, the NAT `received` address, or the
 * Contact, resolved per RFC 3263 through `resolver`. It leaves from the socket the binding
 * registered through when the transport has it, so the ping crosses the same NAT mapping
 * (nathelper pings from the contact's socket). Undefined when no destination resolves: a
 * WebSocket or `.invalid` Contact without a flow, a host that does not resolve.
 */
export async function pingDestination(target: LookupTarget, locals: readonly Endpoint[], resolver: SipResolver): Promise<PingDestination | undefined> {
  const registeredOn = registeredSocket(target, locals);
  if (target.flow !== undefined) return { destination: flowDestination(target, target.flow, registeredOn), local: registeredOn };
  let destination: Endpoint;
  try {
    destination = await requestDestination(hopUriOf(target), resolver);
  } catch {
    return undefined;
  }
  return { destination, local: registeredOn?.protocol === destination.protocol ? registeredOn : undefined };
}
