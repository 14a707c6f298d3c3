/** Minimal typing of drachtio-sip, a peer measured by the benchmarks (dev dependency only). */
declare module 'drachtio-sip' {
  /** A parsed SIP message (drachtio-sip's `SipMessage`). */
  export class SipMessage {
    constructor(raw: string);
    get(name: string): string | undefined;
    getParsedHeader(name: string): unknown;
  }
  const drachtio: { SipMessage: typeof SipMessage };
  export default drachtio;
}
