import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookPushNotifier } from '../../../src/features/push/webhook-push-notifier';
import { ConfigError } from '../../../src/errors/sdk-error';
import type { PushRequest } from '../../../src/features/push/push-notifier';

const push: PushRequest = {
  provider: 'apns', prid: 'tok1', param: 'TEAM.com.example.voip', aor: 'alice@example.com',
  contact: 'sip:alice@192.0.2.1;pn-provider=apns;pn-prid=tok1;pn-param=TEAM.com.example.voip', reason: 'lookup', attempt: 1,
};

async function gateway(status: number) {
  const received: { body: unknown; auth?: string; type?: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      received.push({ body: JSON.parse(body), auth: req.headers.authorization, type: req.headers['content-type'] });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/push`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('createWebhookPushNotifier', () => {
  it('POSTs the push as JSON with the configured headers', async () => {
    const gw = await gateway(202);
    try {
      await createWebhookPushNotifier(gw.url, { headers: { authorization: 'Bearer t' } }).notify(push);
      expect(gw.received).toEqual([{ body: push, auth: 'Bearer t', type: 'application/json' }]);
    } finally {
      await gw.close();
    }
  });

  it('rejects on a non-2xx answer, so the registrar reports and retries', async () => {
    const gw = await gateway(503);
    try {
      await expect(createWebhookPushNotifier(gw.url).notify(push)).rejects.toThrow(/answered 503/);
    } finally {
      await gw.close();
    }
  });

  it('refuses a bad URL or timeout with a ConfigError', () => {
    expect(() => createWebhookPushNotifier('not a url')).toThrow(ConfigError);
    expect(() => createWebhookPushNotifier('ftp://127.0.0.1/x')).toThrow(/http: or https:/);
    expect(() => createWebhookPushNotifier('http://127.0.0.1/x', { timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
