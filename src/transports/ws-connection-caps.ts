/** Which cap an accepted connection would exceed. */
export type WsConnectionCap = 'maxConnections' | 'maxConnectionsPerIp';

/**
 * The caps on the connections a WebSocket listener accepts, in total and per remote address
 * (Kamailio/OpenSIPS `tcp_max_connections`, applied to the TCP connections under the WebSocket
 * ones, upgraded or not yet), so that one host cannot take every slot.
 */
export class WsConnectionCaps {
  private readonly byAddress = new Map<string, number>();
  private open = 0;

  constructor(
    private readonly maxConnections: number,
    private readonly maxConnectionsPerIp: number,
  ) {}

  /** Count a connection from `address` and return `undefined`, or the cap it would exceed (then nothing is counted). */
  admit(address: string): WsConnectionCap | undefined {
    if (this.open >= this.maxConnections) return 'maxConnections';
    const count = this.byAddress.get(address) ?? 0;
    if (count >= this.maxConnectionsPerIp) return 'maxConnectionsPerIp';
    this.open++;
    this.byAddress.set(address, count + 1);
    return undefined;
  }

  /** Uncount a connection {@link admit} counted. */
  release(address: string): void {
    this.open--;
    const count = (this.byAddress.get(address) ?? 1) - 1;
    if (count > 0) this.byAddress.set(address, count);
    else this.byAddress.delete(address);
  }

  /** Connections counted now. */
  get count(): number {
    return this.open;
  }
}
