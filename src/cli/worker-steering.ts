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

/** A worker's question to the worker at place `to`: which connection of yours goes to `remote` (`UdpSteering.locate`)? */
export interface LocateRequest {
  readonly sipregLocate: { readonly to: number; readonly from: number; readonly id: number; readonly remote: Endpoint };
}

/** The answer to a {@link LocateRequest}, for the worker at place `to` that asked: no `connectionId` when it holds none. */
export interface LocateAnswer {
  readonly sipregLocated: { readonly to: number; readonly id: number; readonly connectionId?: string };
}

/** An IPC message one worker sends another through the primary, which passes it to the worker at place `to`. */
export type PlacedMessage = SteeredDatagram | RelayRequest | RelayDone | LocateRequest | LocateAnswer;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

export const isSteeredDatagram = (message: unknown): message is SteeredDatagram => isObject(message) && isObject(message.sipregSteer);
const isRelayRequest = (message: unknown): message is RelayRequest => isObject(message) && isObject(message.sipregRelay);
const isRelayDone = (message: unknown): message is RelayDone => isObject(message) && isObject(message.sipregRelayDone);
const isLocateRequest = (message: unknown): message is LocateRequest => isObject(message) && isObject(message.sipregLocate);
const isLocateAnswer = (message: unknown): message is LocateAnswer => isObject(message) && isObject(message.sipregLocated);

/** The place an IPC message from a worker is for, when it is one the primary passes on. */
export function placeOf(message: unknown): number | undefined {
  if (isSteeredDatagram(message)) return message.sipregSteer.to;
  if (isRelayRequest(message)) return message.sipregRelay.to;
  if (isRelayDone(message)) return message.sipregRelayDone.to;
  if (isLocateRequest(message)) return message.sipregLocate.to;
  if (isLocateAnswer(message)) return message.sipregLocated.to;
  return undefined;
}

/**
 * What the primary answers, in place of the worker at `message.to`, when none runs there: a
 * {@link RelayRequest} fails at once (its connection went with that worker), a
 * {@link LocateRequest} finds no connection; anything else is lost.
 */
export function undeliverable(message: PlacedMessage): RelayDone | LocateAnswer | undefined {
  if (isLocateRequest(message)) return { sipregLocated: { to: message.sipregLocate.from, id: message.sipregLocate.id } };
  if (!isRelayRequest(message)) return undefined;
  const { from, id, to, connectionId } = message.sipregRelay;
  return { sipregRelayDone: { to: from, id, error: `connection ${connectionId} is closed: no worker runs at place ${to}` } };
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

/** How long a worker waits for the others to say whether they hold a connection to a remote (`UdpSteering.locate`). */
const LOCATE_TIMEOUT_MS = 1_000;

const base64Of = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

/** A worker's {@link UdpSteering}, and how it takes what the other workers send it. */
export interface WorkerSteering extends UdpSteering {
  /** Handle with `transport` every datagram, relay or locate request, and answer to one, that another worker sends here. */
  attach(transport: NodeTransport): void;
}

/**
 * In a `--workers` worker, its {@link UdpSteering}: its {@link workerPlace}, a `forward` that
 * sends the datagram to the primary, which passes it to the worker at that place (`runWorkers`),
 * a `relay` that asks the worker at a place to write on its connection and waits for its
 * answer (`RELAY_TIMEOUT_MS` at most), and a `locate` that asks every other worker for its
 * connection to a remote (`LOCATE_TIMEOUT_MS` at most). Undefined outside a worker.
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
  const locating = new Map<number, { readonly answer: (connectionId?: string) => void }>();
  let nextId = 1;
  return {
    ...place,
    forward(owner: number, bytes: Uint8Array, source: Source): void {
      const { address, port, local, protocol, connectionId } = source;
      post({ sipregSteer: { to: owner, bytes: base64Of(bytes), address, port, local, ...(protocol === 'udp' ? {} : { protocol, connectionId }) } });
    },
    relay(owner: number, connectionId: string, bytes: Uint8Array): Promise<void> {
      const id = nextId++;
      return new Promise<void>((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const settle = (error?: string): void => {
          clearTimeout(timer);
          waiting.delete(id);
          if (error === undefined) resolve();
          else reject(new TransportError(error));
        };
        timer = setTimeout(() => settle(`connection ${connectionId}: the worker at place ${owner} did not answer within ${RELAY_TIMEOUT_MS} ms`), RELAY_TIMEOUT_MS);
        timer.unref();
        waiting.set(id, { settle });
        post({ sipregRelay: { to: owner, from: place.index, id, connectionId, bytes: base64Of(bytes) } }, (error) => {
          if (error !== null) settle(`connection ${connectionId}: cannot reach the worker at place ${owner}: ${error.message}`);
        });
      });
    },
    locate(remote: Endpoint): Promise<string | undefined> {
      const id = nextId++;
      return new Promise<string | undefined>((resolve) => {
        let unanswered = place.processes - 1;
        let timer: NodeJS.Timeout | undefined;
        const done = (connectionId?: string): void => {
          clearTimeout(timer);
          locating.delete(id);
          resolve(connectionId);
        };
        if (unanswered === 0) return done();
        timer = setTimeout(() => done(), LOCATE_TIMEOUT_MS);
        timer.unref();
        locating.set(id, {
          answer(connectionId?: string): void {
            unanswered--;
            if (connectionId !== undefined || unanswered === 0) done(connectionId);
          },
        });
        for (let to = 0; to < place.processes; to++) if (to !== place.index) post({ sipregLocate: { to, from: place.index, id, remote } });
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
        } else if (isLocateRequest(message)) {
          const { from, id, remote } = message.sipregLocate;
          const connectionId = transport.heldConnection(remote);
          post({ sipregLocated: connectionId === undefined ? { to: from, id } : { to: from, id, connectionId } });
        } else if (isLocateAnswer(message)) {
          const { id, connectionId } = message.sipregLocated;
          locating.get(id)?.answer(connectionId);
        }
      });
    },
  };
}
