import WebSocket from 'ws';
import JsSIP from 'jssip';
import type { IncomingMessageEvent, IncomingRTCSessionEvent, OutgoingMessageEvent, OutgoingRTCSessionEvent } from 'jssip/lib/UA';
import { Registerer, RegistererState, UserAgent, type Invitation, type Message } from 'sip-parser';

/** What a web phone received, in arrival order: the method and the body of MESSAGEs. */
export interface Received {
  readonly method: 'MESSAGE' | 'INVITE';
  readonly body?: string;
}

/** A SIP.js or JsSIP user agent registered over WebSocket (RFC 7118) in this Node process. */
export interface WebPhone {
  /** Every MESSAGE (answered 200) and INVITE (answered 486 Busy Here) it received. */
  readonly received: Received[];
  /** De-register (expires 0), then close the WebSocket. */
  stop(): Promise<void>;
}

/** Where and as whom a {@link WebPhone} registers. */
export interface WebPhoneOptions {
  /** `ws://127.0.0.1:PORT` or `wss://127.0.0.1:PORT`. */
  readonly server: string;
  /** The AOR, `sip:alice@example.com`. */
  readonly aor: string;
  /** The CA that signed a `wss:` server's certificate (PEM), trusted by this client only. */
  readonly ca?: string;
  /** Registration lifetime asked for, in seconds. @defaultValue 600 */
  readonly expires?: number;
}

/**
 * `globalThis.WebSocket` for clients written for browsers (SIP.js and JsSIP call
 * `new WebSocket(url, 'sip')`): the `ws` client, trusting `ca` for `wss:` when given. Node 20 has no
 * WebSocket of its own.
 */
function installWebSocket(ca: string | undefined): void {
  class TrustingWebSocket extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, ca === undefined ? {} : { ca });
    }
  }
  (globalThis as { WebSocket?: unknown }).WebSocket = TrustingWebSocket;
}

/**
 * JsSIP answers every INVITE 488 unless `window.RTCPeerConnection` exists (it checks before its
 * application sees the call), and Node has neither `window` nor WebRTC. This phone never answers a
 * call, so it gets a `window` whose `RTCPeerConnection` only refuses to be built: JsSIP then hands
 * the INVITE to the application, which rejects it before any media would be set up.
 */
function installNoMedia(): void {
  class NoMedia {
    constructor() {
      throw new Error('no WebRTC in this Node test phone: it rejects calls, it never answers one');
    }
  }
  (globalThis as { window?: unknown }).window ??= { RTCPeerConnection: NoMedia };
}

/**
 * A SIP.js 0.21 `UserAgent` + `Registerer` registered as `aor` (its Contact host is a random
 * `.invalid` name, RFC 7118 §5): resolves once the registration is accepted.
 */
export async function startSipJsPhone(options: WebPhoneOptions): Promise<WebPhone> {
  installWebSocket(options.ca);
  const received: Received[] = [];
  const uri = UserAgent.makeURI(options.aor);
  if (uri === undefined) throw new Error(`not a SIP URI: ${options.aor}`);
  const ua = new UserAgent({
    uri,
    transportOptions: { server: options.server },
    logLevel: 'error',
    delegate: {
      onMessage(message: Message): void {
        received.push({ method: 'MESSAGE', body: message.request.body });
        void message.accept();
      },
      onInvite(invitation: Invitation): void {
        received.push({ method: 'INVITE' });
        void invitation.reject({ statusCode: 486 });
      },
    },
  });
  await ua.start();
  const registerer = new Registerer(ua, { expires: options.expires ?? 600 });
  const registered = new Promise<void>((resolve, reject) => {
    registerer.stateChange.addListener((state) => {
      if (state === RegistererState.Registered) resolve();
      if (state === RegistererState.Terminated) reject(new Error('SIP.js registerer terminated before registering'));
    });
  });
  await registerer.register({ requestDelegate: { onReject: (response) => { throw new Error(`SIP.js REGISTER refused: ${response.message.statusCode}`); } } });
  await registered;
  return {
    received,
    async stop(): Promise<void> {
      const gone = new Promise<void>((resolve) => {
        registerer.stateChange.addListener((state) => { if (state === RegistererState.Unregistered) resolve(); });
      });
      await registerer.unregister();
      await gone;
      await ua.stop();
    },
  };
}

/**
 * A JsSIP 3 `UA` registered as `aor` over a `JsSIP.WebSocketInterface` (it registers with RFC 5626
 * outbound: `+sip.instance`, `reg-id`, `;ob`): resolves once the registration is accepted.
 */
export async function startJsSipPhone(options: WebPhoneOptions): Promise<WebPhone> {
  installWebSocket(options.ca);
  installNoMedia();
  const received: Received[] = [];
  const ua = new JsSIP.UA({
    sockets: [new JsSIP.WebSocketInterface(options.server)],
    uri: options.aor,
    password: 'unused',
    register: true,
    register_expires: options.expires ?? 600,
    session_timers: false,
  });
  ua.on('newMessage', (e: IncomingMessageEvent | OutgoingMessageEvent) => {
    if (e.originator !== 'remote') return;
    received.push({ method: 'MESSAGE', body: e.request.body });
  });
  ua.on('newRTCSession', (e: IncomingRTCSessionEvent | OutgoingRTCSessionEvent) => {
    if (e.originator !== 'remote') return;
    received.push({ method: 'INVITE' });
    e.session.terminate({ status_code: 486 });
  });
  await new Promise<void>((resolve, reject) => {
    ua.once('registered', () => resolve());
    ua.once('registrationFailed', (e) => reject(new Error(`JsSIP REGISTER refused: ${e.cause}`)));
    ua.start();
  });
  return {
    received,
    async stop(): Promise<void> {
      await new Promise<void>((resolve) => {
        ua.once('unregistered', () => resolve());
        ua.unregister();
      });
      await new Promise<void>((resolve) => {
        ua.once('disconnected', () => resolve());
        ua.stop();
      });
    },
  };
}
