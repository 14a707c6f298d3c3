import { ConfigError } from '../errors/sdk-error';
import type { Endpoint, Source } from '../ports/transport';
import { fnv1a } from '../sip/fnv1a';

/**
 * How processes that share one UDP socket (node:cluster workers, `NodeTransportOptions.sharedSockets`)
 * keep every message of a call on one of them. The kernel hands each datagram to any process, but
 * an INVITE server transaction lives in the process that received the INVITE: its caller's CANCEL
 * (RFC 3261 §9.2), a retransmission (§17.2.1) or an ACK to a non-2xx (§17.2.1) must reach that one
 * too. So a process that receives a request other than REGISTER (whose handling keeps no
 * transaction state), or a response that matches none of its client transactions, for a Call-ID
 * that {@link steeringOwner} gives to another process, hands the datagram to that process, which
 * handles it as if the kernel had given it the datagram (`NodeTransport.receiveSteered`): it
 * answers from the same shared socket, so the sender sees nothing.
 */
export interface UdpSteering {
  /** How many processes share the sockets. */
  readonly processes: number;
  /** This process's place among them, 0 to `processes - 1`. */
  readonly index: number;
  /**
   * Hand `bytes`, as received from `source` on the shared socket `source.local`, to the process
   * at place `owner` (a host sends them over its IPC channel). Nothing waits on it: a datagram
   * lost on the way is one the sender retransmits, as if the network had lost it.
   */
  forward(owner: number, bytes: Uint8Array, source: Source): void;
  /**
   * Ask the process at place `owner` to write `bytes` on its connection `connectionId` (a host
   * passes them over its IPC channel to that process's `NodeTransport.sendRelayed` and back with
   * its outcome). A phone registered over TCP, TLS or WebSocket is reached only over its own
   * connection (RFC 5626 §5.3, RFC 7118 §5), which one process holds: the id of a connection
   * names the place of its holder, and a request for such a phone handled by another process is
   * written by the holder. Its responses come back to the holder, which hands each, by the branch
   * of its top Via, to the process that sent the request (with `forward`). Resolves once written;
   * rejects when the connection is closed (the flow failed: `430`) or the holder does not answer.
   * Without it a connection held by another process counts as closed.
   */
  relay?(owner: number, connectionId: string, bytes: Uint8Array): Promise<void>;
  /**
   * The id of a connection one of the other processes holds to `remote` (a TCP or TLS endpoint,
   * with its `serverName` for TLS), asked of each of them (a host passes the question to their
   * `NodeTransport.heldConnection`); undefined when none does, or none answers in time. With
   * `relay`, a request for a phone registered over TCP without a flow (a NATed phone whose
   * `received` names its connection) goes over the connection another process holds, as a
   * single process reuses its own (RFC 3261 §18.2.2), instead of a new one the phone would not
   * accept. Without it this process connects anew.
   */
  locate?(remote: Endpoint): Promise<string | undefined>;
}

/**
 * The place, among `processes` processes, of the one that handles the messages of Call-ID
 * `callId` (32-bit FNV-1a over its UTF-16 units, modulo `processes`): the same in every
 * process, so whichever receives a datagram of a call knows where it belongs.
 */
export function steeringOwner(callId: string, processes: number): number {
  return fnv1a(callId) % processes;
}

/**
 * `steering` checked: `processes` a positive integer and `index` one of `0 .. processes - 1`.
 * @throws {@link ConfigError} naming `NodeTransportOptions.udpSteering` otherwise.
 */
export function checkUdpSteering(steering: UdpSteering | undefined): UdpSteering | undefined {
  if (steering === undefined) return undefined;
  const { processes, index } = steering;
  if (!Number.isInteger(processes) || processes < 1) {
    throw new ConfigError(`udpSteering.processes must be a positive integer, got ${String(processes)}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= processes) {
    throw new ConfigError(`udpSteering.index must be an integer from 0 to ${processes - 1}, got ${String(index)}`);
  }
  if (typeof steering.forward !== 'function') throw new ConfigError('udpSteering.forward must be a function');
  if (steering.relay !== undefined && typeof steering.relay !== 'function') throw new ConfigError('udpSteering.relay must be a function when given');
  if (steering.locate !== undefined && typeof steering.locate !== 'function') throw new ConfigError('udpSteering.locate must be a function when given');
  return steering;
}
