import { ConfigError } from '../../errors/sdk-error';
import type { PushNotifier, PushRequest } from './push-notifier';

/** Options of {@link createWebhookPushNotifier}. */
export interface WebhookPushNotifierOptions {
  /** Abort a POST that has not answered after this many milliseconds. @defaultValue 5000 */
  readonly timeoutMs?: number;
  /** Extra request headers, e.g. an `authorization` token for the push gateway. @defaultValue {} */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * A {@link PushNotifier} that POSTs each push as JSON (the {@link PushRequest} fields) to an HTTP
 * endpoint: the bridge to a push gateway that talks to APNs, FCM or WebPush (RFC 8599 §6 leaves
 * the PNS protocol to the proxy's operator). The CLI's `--pn-webhook URL` uses it. A non-2xx
 * answer or a timeout rejects, which the registrar reports and retries per its push retry policy.
 */
export function createWebhookPushNotifier(url: string, options: WebhookPushNotifierOptions = {}): PushNotifier {
  let target: URL;
  try {
    target = new URL(url);
  } catch (e) {
    throw new ConfigError(`push webhook URL '${url}' is not a URL; give e.g. http://127.0.0.1:8080/push`, { cause: e });
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    throw new ConfigError(`push webhook URL must be http: or https:, got '${url}'`);
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new ConfigError(`WebhookPushNotifierOptions.timeoutMs must be a positive integer, got ${timeoutMs}`);
  const headers = { 'content-type': 'application/json', ...options.headers };
  return {
    async notify(request: PushRequest): Promise<void> {
      const answer = await fetch(target, { method: 'POST', headers, body: JSON.stringify(request), signal: AbortSignal.timeout(timeoutMs) });
      await answer.arrayBuffer();
      if (!answer.ok) throw new Error(`push webhook ${target.href} answered ${answer.status} ${answer.statusText}`);
    },
  };
}
