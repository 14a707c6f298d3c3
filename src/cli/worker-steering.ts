import { Buffer } from 'node:buffer';
import cluster from 'node:cluster';
import type { Endpoint, Source, TransportProtocol } from '../ports/transport';
import { TransportError } from '../errors/sdk-error';
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
    /** Absent for UDP; a response on a connection of the sender's (`UdpSteering.relay`) gives its protocol and id. */
    readonly protocol?: TransportProtocol;
    readonly connectionId?: string;
  };
}

/** A worker's request to the worker at place `to` to write bytes on its connection (`UdpSteering.relay`). */
export interface RelayRequest {
  readonly sipregRelay: { readonly to: number; readonly from: number; readonly id: number; readonly connectionId: string; readonly bytes: string };
}

/** The outcome of a {@link RelayRequest}, for the worker at place `to` that asked: `error` when the bytes were not written. */
export interface RelayDone {
  readonly sipregRelayDone: { readonly to: number; readonly id: number; readonly error?: string };
}

/** An IPC message one worker sends another through the primary, which passes it to the worker at place `to`. */
export type PlacedMessage = SteeredDatagram | RelayRequest | RelayDone;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const isSteeredDatagram = (message: unknown): message is SteeredDatagram => isObject(message) && isObject(message.sipregSteer);
const isRelayRequest = (message: unknown): message is RelayRequest => isObject(message) && isObject(message.sipregRelay);
const isRelayDone = (message: unknown): message is RelayDone => isObject(message) && isObject(message.sipregRelayDone);

/** The place an IPC message from a worker is for, when it is one the primary passes on. */
export function placeOf(message: unknown): number | undefined {
  if (isSteeredDatagram(message)) return message.sipregSteer.to;
  if (isRelayRequest(message)) return message.sipregRelay.to;
  if (isRelayDone(message)) return message.sipregRelayDone.to;
  return undefined;
}

/**
 * What the primary answers, in place of the worker at `message.to`, when none runs there: a
 * {@link RelayRequest} fails at once (its connection went with that worker), anything else is lost.
 */
export function undeliverable(message: PlacedMessage): RelayDone | undefined {
  if (!isRelayRequest(message)) return undefined;
  const { from, id, to } = message.sipregRelay;
  return { sipregRelayDone: { to: from, id, error: `no worker runs at place ${to}: its connections are closed` } };
}

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

/** How long a worker waits for another to say whether it wrote on its connection (`UdpSteering.relay`). */
const RELAY_TIMEOUT_MS = 5_000;

const base64Of = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** A worker's {@link UdpSteering}, and how it takes what the other workers send it. */
export interface WorkerSteering extends UdpSteering {
  /** Handle with `transport` every datagram, relay request and relay outcome another worker sends here. */
  attach(transport: NodeTransport): void;
}

/**
 * In a `--workers` worker, its {@link UdpSteering}: its {@link workerPlace}, a `forward` that
 * sends the datagram to the primary, which passes it to the worker at that place (`runWorkers`),
 * and a `relay` that asks the worker at a place to write on its connection and waits for its
 * answer ({@link RELAY_TIMEOUT_MS} at most). Undefined outside a worker.
 */
export function workerSteering(): WorkerSteering | undefined {
  const send = process.send?.bind(process);
  const place = workerPlace();
  if (send === undefined || place === undefined) return undefined;
  // A closed channel (the primary ending) loses the message, as the network may: the callback
  // keeps it from becoming an 'error' event that would end this worker.
  const post = (message: PlacedMessage, lost: (error: Error | null) => void = ignoreLoss): void => {
    send(message, undefined, undefined, lost);
  };
  const waiting = new Map<number, { readonly settle: (error?: string) => void }>();
  let nextId = 1;
  return {
    ...place,
    forward(owner: number, bytes: Uint8Array, source: Source): void {
      const { address, port, local, protocol, connectionId } = source;
      const steer = protocol === 'udp' ? { to: owner, bytes: base64Of(bytes), address, port, local } : { to: owner, bytes: base64Of(bytes), address, port, local, protocol, connectionId };
      post({ sipregSteer: steer });
    },
    relay(owner: number, connectionId: string, bytes: Uint8Array): Promise<void> {
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const settle = (error?: string): void => {
          clearTimeout(timer);
          waiting.delete(id);
          if (error === undefined) resolve();
          else reject(new TransportError(`connection ${connectionId}: ${error}`));
        };
        timer = setTimeout(() => settle(`the worker at place ${owner} did not answer within ${RELAY_TIMEOUT_MS} ms`), RELAY_TIMEOUT_MS);
        timer.unref();
        waiting.set(id, { settle });
        post({ sipregRelay: { to: owner, from: place.index, id, connectionId, bytes: base64Of(bytes) } }, (error) => {
          if (error !== null) settle(`cannot reach the worker at place ${owner}: ${error.message}`);
        });
      });
    },
    attach(transport: NodeTransport): void {
      process.on('message', (message: unknown) => {
        if (isSteeredDatagram(message)) {
          const { bytes, address, port, local, protocol, connectionId } = message.sipregSteer;
          transport.receiveSteered(Buffer.from(bytes, 'base64'), { protocol: protocol ?? 'udp', address, port, local, connectionId });
        } else if (isRelayRequest(message)) {
          const { from, id, connectionId, bytes } = message.sipregRelay;
          const done = (error?: string): void => post({ sipregRelayDone: error === undefined ? { to: from, id } : { to: from, id, error } });
          transport.sendRelayed(connectionId, Buffer.from(bytes, 'base64'), from).then(() => done(), (error: unknown) => done(error instanceof Error ? error.message : String(error)));
        } else if (isRelayDone(message)) {
          const { id, error } = message.sipregRelayDone;
          waiting.get(id)?.settle(error);
        }
      });
    },
  };
}
