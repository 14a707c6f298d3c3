/**
 * The process each relayed request came from, by the branch of its top Via (RFC 3261 §17.1.3: a
 * response carries the branch of the request it answers), so that the holder of a connection
 * hands a response arriving on it to the process whose client transaction waits for it
 * (`UdpSteering.relay`). Bounded: past `max` entries the oldest is forgotten, as a response that
 * late would only find its transaction gone.
 */
export class RelayedBranches {
  readonly #places = new Map<string, number>();

  constructor(readonly max = 65_536) {}

  /** Remember that the request of `branch` came from the process at `place`. */
  note(branch: string, place: number): void {
    const places = this.#places;
    places.delete(branch);
    places.set(branch, place);
    if (places.size > this.max) places.delete(places.keys().next().value as string);
  }

  /** The place a response of `branch` goes to, when a relayed request had that branch. */
  placeOf(branch: string): number | undefined {
    return this.#places.get(branch);
  }
}
