import { Buffer } from 'node:buffer';
import cluster from 'node:cluster';
import type { Endpoint, Source } from '../ports/transport';
import type { NodeTransport } from '../transports/node-transport';
import type { UdpSteering } from '../transports/udp-steering';

/** The environment that gives a `--workers` worker its place (0 ..) and the number of workers. */
export const WORKER_INDEX_ENV = 'SIPREG_WORKER_INDEX';
export const WORKER_COUNT_ENV = 'SIPREG_WORKERS';

/** A datagram one worker hands another through the primary ({@link UdpSteering}). */
export interface SteeredDatagram {
  readonly sipregSteer: {
    /** The place of the worker it is for. */
    readonly to: number;
    /** The datagram, in base64 (IPC messages are JSON). */
    readonly bytes: string;
    readonly address: string;
    readonly port: number;
    /** The shared socket it came to. */
    readonly local: Endpoint;
  };
}

export const isSteeredDatagram = (message: unknown): message is SteeredDatagram =>
  typeof message === 'object' && message !== null && typeof (message as SteeredDatagram).sipregSteer === 'object';

/** The callback of an IPC send whose failure only loses one datagram. */
export const ignoreLoss = (): void => {};

/** A `--workers` worker's place (0 ..) among `processes` workers. */
export interface WorkerPlace {
  readonly processes: number;
  readonly index: number;
}

/** In a `--workers` worker, its place, from the environment the primary set; undefined outside one. */
export function workerPlace(env: NodeJS.ProcessEnv = process.env): WorkerPlace | undefined {
  const index = Number(env[WORKER_INDEX_ENV]);
  const processes = Number(env[WORKER_COUNT_ENV]);
  if (!cluster.isWorker || !Number.isInteger(index) || !Number.isInteger(processes) || processes < 2 || index < 0 || index >= processes) return undefined;
  return { processes, index };
}

/**
 * In a `--workers` worker, its {@link UdpSteering}: its {@link workerPlace}, and a `forward` that
 * sends the datagram to the primary, which passes it to the worker at that place (`runWorkers`).
 * Undefined outside a worker.
 */
export function workerSteering(): UdpSteering | undefined {
  const send = process.send?.bind(process);
  const place = workerPlace();
  if (send === undefined || place === undefined) return undefined;
  return {
    ...place,
    forward(owner: number, bytes: Uint8Array, source: Source): void {
      const message: SteeredDatagram = {
        sipregSteer: { to: owner, bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), address: source.address, port: source.port, local: source.local },
      };
      // A closed channel (the primary ending) loses the datagram, as the network may: the
      // callback keeps it from becoming an 'error' event that would end this worker.
      send(message, undefined, undefined, ignoreLoss);
    },
  };
}

/** In a worker with {@link workerSteering}: hand `transport` every datagram another worker steers here. */
export function acceptSteered(transport: NodeTransport): void {
  process.on('message', (message: unknown) => {
    if (!isSteeredDatagram(message)) return;
    const { bytes, address, port, local } = message.sipregSteer;
    transport.receiveSteered(Buffer.from(bytes, 'base64'), { protocol: 'udp', address, port, local });
  });
}
