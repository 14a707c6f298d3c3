import { connect, type Socket } from 'node:net';

import { eventually } from './eventually';
import { sleep } from './sleep';

/** An event baresip's `ctrl_tcp` module reports, e.g. `{ type: 'CALL_INCOMING', peeruri: … }`. */
export interface BaresipEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

/** A connection to baresip's `ctrl_tcp` module (`ctrl_tcp_listen`), which needs `menu.so` for its commands. */
export interface BaresipControl {
  /** Every event reported since the connection was made, oldest first. */
  events(): BaresipEvent[];
  /** The first event of `type`, once it came; rejects after `timeoutMs` with `context()`. */
  event(type: string, timeoutMs: number, context: () => string): Promise<BaresipEvent>;
  /** Run a menu command (e.g. `accept`) and resolve with its answer's `data`; rejects when it is not `ok`. */
  command(command: string, params?: string): Promise<string>;
  /** Close the connection. */
  close(): void;
}

const CONNECT_ATTEMPTS = 50;
const CONNECT_RETRY_MS = 100;

/** One netstring (`LENGTH:TEXT,`) per message, as `ctrl_tcp` frames its JSON. */
const netstring = (text: string): string => `${Buffer.byteLength(text)}:${text},`;

function connectOnce(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Connect to baresip's `ctrl_tcp` on 127.0.0.1:`port`, retrying while baresip starts up. The
 * module speaks JSON in netstrings: commands `{"command","params","token"}`, answers
 * `{"response":true,"ok","data","token"}`, and unsolicited `{"event":true,"type",…}` events
 * (CALL_INCOMING, CALL_ESTABLISHED, CALL_CLOSED, REGISTER_OK, …).
 */
export async function connectBaresipControl(port: number): Promise<BaresipControl> {
  let socket: Socket | undefined;
  for (let attempt = 1; socket === undefined; attempt++) {
    try {
      socket = await connectOnce(port);
    } catch (error) {
      if (attempt >= CONNECT_ATTEMPTS) throw error;
      await sleep(CONNECT_RETRY_MS);
    }
  }
  const events: BaresipEvent[] = [];
  const waiting = new Map<string, { resolve(data: string): void; reject(error: Error): void }>();
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      const colon = buffered.indexOf(':');
      if (colon < 0) return;
      const length = Number(buffered.subarray(0, colon).toString());
      if (buffered.length < colon + 1 + length + 1) return;
      const message = JSON.parse(buffered.subarray(colon + 1, colon + 1 + length).toString()) as Record<string, unknown>;
      buffered = buffered.subarray(colon + 1 + length + 1);
      if (message.event === true) events.push(message as unknown as BaresipEvent);
      else if (message.response === true) {
        const token = String(message.token);
        const answer = waiting.get(token);
        waiting.delete(token);
        if (message.ok === true) answer?.resolve(String(message.data ?? ''));
        else answer?.reject(new Error(`baresip command ${token} failed: ${String(message.data)}`));
      }
    }
  });
  let tokens = 0;
  const open = socket;
  return {
    events: () => [...events],
    event: (type, timeoutMs, context) => eventually(() => events.find((e) => e.type === type), `baresip event ${type}`, timeoutMs,
      () => `--- baresip events: ${events.map((e) => e.type).join(', ')}\n${context()}`),
    command: (command, params = '') => new Promise((resolve, reject) => {
      const token = `${command}-${++tokens}`;
      waiting.set(token, { resolve, reject });
      open.write(netstring(JSON.stringify({ command, params, token })));
    }),
    close: () => open.destroy(),
  };
}
