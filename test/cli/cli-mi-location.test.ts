import { join } from 'node:path';

import { SqliteLocationStore } from '../../src/stores/sqlite-location-store';
import { buildBinding } from '../../src/testing/build-binding';
import { buildRegister } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import { miCall } from '../helpers/mi-call';
import { queryBindings } from '../helpers/query-bindings';
import { spawnManaged } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { useCliFixture } from '../helpers/use-cli-fixture';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

interface DumpPage {
  readonly Domains: readonly { readonly name: string; readonly AORs: readonly { readonly AOR: string; readonly Contacts: readonly { readonly Contact: string }[] }[] }[];
  readonly count?: { readonly aors: number; readonly bindings: number };
  readonly next_cursor: string | null;
}

describe('sipreg registrar --mi-listen: the usrloc MI commands over HTTP', () => {
  const fixture = useCliFixture('sipreg-cli-mi-location-');
  const { started, peers } = fixture;

  /** A CLI registrar with the management interface on a free port; its SIP port and MI URL. */
  const startRegistrar = async (store = 'memory'): Promise<{ sip: number; url: string }> => {
    const sip = await freePort();
    const mi = await freePort('tcp');
    const server = spawnManaged(process.execPath, [...CLI, 'registrar', '--listen', `udp:127.0.0.1:${sip}`, '--store', store, '--mi-listen', `http:127.0.0.1:${mi}`], { cwd: fixture.dir, killAfterMs: 120_000 });
    started.push(server);
    const url = `http://127.0.0.1:${mi}/mi`;
    await server.waitForLine(`sipreg registrar mi on ${url}`, 30_000);
    return { sip, url };
  };

  /** The Contact URIs a Contact-less REGISTER for `user` gets back from the registrar (RFC 3261 §10.2.3). */
  const contactsOf = async (sip: number, user: string): Promise<string[]> => {
    const answer = await queryBindings(sip, `sip:${user}@example.com`);
    expect(answer.status).toBe(200);
    return answer.contacts.map((c) => /<([^>]*)>/.exec(c)?.[1] ?? c);
  };

  it('ul_show_contact, ul_add, ul_rm_contact, ul_rm, ul_dump and ul_sync act on what REGISTERs see on the wire', async () => {
    const { sip, url } = await startRegistrar();
    const phone = await UdpSipPeer.open({ user: 'alice' });
    peers.push(phone);
    const alice = `sip:alice@127.0.0.1:${phone.port}`;
    const registered = await phone.request(buildRegister({ aor: 'sip:alice@example.com', requestUri: 'sip:example.com', via: { port: phone.port }, contacts: [{ uri: alice, expires: 600 }] }), sip);
    expect(registered.status).toBe(200);

    const shown = await miCall(url, 'ul_show_contact', ['location', 'sip:alice@example.com']);
    expect(shown.result).toMatchObject({ AOR: 'alice@example.com', Contacts: [{ Contact: alice, Expires: expect.any(Number), Cseq: 1 }] });
    expect((await miCall(url, 'ul_show_contact', { table_name: 'aliases', aor: 'alice@example.com' })).error)
      .toMatchObject({ code: -32602, data: { param: 'table_name' } });

    expect((await miCall(url, 'ul_add', ['location', 'bob@example.com', 'sip:bob@192.0.2.20:5060', 300, '0.7', '', 0, 0, 4294967295])).result).toBe('OK');
    expect(await contactsOf(sip, 'bob')).toEqual(['sip:bob@192.0.2.20:5060']);
    expect((await miCall(url, 'ul_add', { table_name: 'location', aor: 'bob@example.com', contact: 'sip:bob@192.0.2.21', expires: 0 })).error)
      .toMatchObject({ code: -32602, data: { param: 'expires' } });

    expect((await miCall(url, 'ul_rm_contact', { table_name: 'location', aor: 'bob@example.com', contact: 'sip:bob@192.0.2.20:5060' })).result).toBe('OK');
    expect(await contactsOf(sip, 'bob')).toEqual([]);
    expect((await miCall(url, 'ul_rm_contact', ['location', 'bob@example.com', 'sip:bob@192.0.2.20:5060'])).error).toMatchObject({ code: -32004, message: 'AOR not found' });

    const dump = (await miCall(url, 'ul_dump')).result as DumpPage;
    expect(dump).toEqual({ Domains: [{ name: 'location', AORs: [{ AOR: 'alice@example.com', Contacts: [expect.objectContaining({ Contact: alice })] }] }], count: { aors: 1, bindings: 1 }, next_cursor: null });
    expect((await miCall(url, 'ul_dump', ['brief'])).result).toMatchObject({ Domains: [{ AORs: [{ AOR: 'alice@example.com' }] }] });

    expect((await miCall(url, 'ul_rm', ['location', 'alice@example.com'])).result).toBe('OK');
    expect(await contactsOf(sip, 'alice')).toEqual([]);
    expect((await miCall(url, 'ul_rm', ['location', 'alice@example.com'])).error).toMatchObject({ code: -32004 });

    expect((await miCall(url, 'ul_sync')).result).toMatch(/nothing to sync/);
  }, 60_000);

  it('ul_dump pages 100,000 bindings of a SQLite location in answers of 1000 AORs: every binding once, no answer larger than a page', async () => {
    const path = join(fixture.dir, 'location.db');
    const fill = new SqliteLocationStore({ path });
    const expiresAt = Date.now() + 3_600_000;
    for (let i = 0; i < 50_000; i++) {
      const bindings = [0, 1].map((k) => buildBinding(`sip:u${i}@198.51.100.${k}:5060`, { expiresAt, callId: `call-${i}-${k}` }));
      fill.commit(`u${i}@example.com`, null, bindings);
    }
    fill.close();
    const { url } = await startRegistrar(`sqlite:${path}`);
    const seen = new Set<string>();
    let bindings = 0;
    let largestBody = 0;
    let cursor: string | null | undefined;
    let pages = 0;
    do {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', method: 'ul_dump', params: cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor }, id: pages }),
      });
      const body = await response.text();
      largestBody = Math.max(largestBody, body.length);
      const page = (JSON.parse(body) as { result: DumpPage }).result;
      if (pages === 0) expect(page.count).toEqual({ aors: 50_000, bindings: 100_000 });
      for (const aor of page.Domains[0].AORs) {
        seen.add(aor.AOR);
        bindings += aor.Contacts.length;
      }
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null);
    expect(seen.size).toBe(50_000);
    expect(bindings).toBe(100_000);
    expect(pages).toBeLessThanOrEqual(51);
    // 1000 AORs of two contacts: about 400 kB of JSON; the whole location would be about 20 MB.
    expect(largestBody).toBeLessThan(1024 * 1024);
  }, 180_000);
});
