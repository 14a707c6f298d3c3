import type { SipRequest, SipResponse } from './message';

/**
 * The state of a dialog (RFC 3261 §12): what a UA needs to send requests within it. A
 * subscription is one (RFC 6665 §4.1.2.4). Mutable on purpose: the local CSeq counts up, the
 * remote target and the remote tag can change.
 */
export interface Dialog {
  readonly callId: string;
  readonly localTag: string;
  /** Unknown until the first response or NOTIFY of a subscription we asked for. */
  remoteTag: string | undefined;
  /** Local and remote URIs: the From and To of requests we send. */
  readonly localUri: string;
  readonly remoteUri: string;
  /** The CSeq of the last request we sent in it. */
  localCseq: number;
  /** Where requests in the dialog go: the peer's Contact URI (RFC 3261 §12.1.1, §12.1.2). */
  remoteTarget: string;
  /** Route set, in the order our requests list it (RFC 3261 §12.1); loose routers assumed. */
  routeSet: readonly string[];
}

/** A key for the dialogs one UA holds: its Call-ID and our tag (RFC 3261 §12: the remote tag may not be known yet). */
export const dialogKey = (callId: string, localTag: string): string => `${callId}\n${localTag}`;

/** The URI of a Contact value (`<sip:x>;p` or a bare URI). */
export function contactUri(message: SipRequest | SipResponse): string | undefined {
  const contacts = message.contacts;
  return contacts === '*' || contacts.length === 0 ? undefined : contacts[0].uri;
}

/**
 * The dialog a UAS creates when it accepts a request (RFC 3261 §12.1.1): remote target from its
 * Contact, route set from its Record-Route in order, our To tag.
 */
export function uasDialog(request: SipRequest, localTag: string): Dialog {
  return {
    callId: request.callId,
    localTag,
    remoteTag: request.from.params.tag ?? undefined,
    localUri: request.to.uri,
    remoteUri: request.from.uri,
    localCseq: 0,
    remoteTarget: contactUri(request) ?? request.from.uri,
    routeSet: request.recordRoute.map((r) => `<${r.uri}>`),
  };
}

/**
 * Complete a UAC dialog from the response or the request that established it (RFC 3261
 * §12.1.2; a NOTIFY may arrive before the 2xx of its SUBSCRIBE, RFC 6665 §4.1.2.4): the remote
 * tag, the remote target, and the route set from Record-Route (reversed for a response, as is
 * for a NOTIFY, which is a request from the other side). Without Record-Route the dialog keeps
 * the route it was created with (an outbound proxy, RFC 3261 §8.1.2), so that its requests keep
 * taking the path the first one took.
 */
export function establishUacDialog(dialog: Dialog, message: SipRequest | SipResponse): void {
  const first = dialog.remoteTag === undefined;
  dialog.remoteTag = message.kind === 'response' ? message.to.params.tag ?? undefined : message.from.params.tag ?? undefined;
  dialog.remoteTarget = contactUri(message) ?? dialog.remoteTarget;
  if (first && message.recordRoute.length > 0) {
    const routes = message.recordRoute.map((r) => `<${r.uri}>`);
    dialog.routeSet = message.kind === 'response' ? routes.reverse() : routes;
  }
}

/** The dialog fields of a request sent in it (RFC 3261 §12.2.1.1). */
export interface InDialogFields {
  readonly method: string;
  readonly requestUri: string;
  readonly routes: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly callId: string;
  readonly cseq: number;
}

/**
 * The next request in `dialog` (RFC 3261 §12.2.1.1): to the remote target through the route set,
 * From and To with the tags, the Call-ID, and the local CSeq counted up by one.
 */
export function inDialogRequest(dialog: Dialog, method: string): InDialogFields {
  dialog.localCseq++;
  return {
    method,
    requestUri: dialog.remoteTarget,
    routes: dialog.routeSet,
    from: `<${dialog.localUri}>;tag=${dialog.localTag}`,
    to: dialog.remoteTag === undefined ? `<${dialog.remoteUri}>` : `<${dialog.remoteUri}>;tag=${dialog.remoteTag}`,
    callId: dialog.callId,
    cseq: dialog.localCseq,
  };
}
