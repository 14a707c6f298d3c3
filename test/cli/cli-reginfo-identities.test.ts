/**
 * reg-event public identities (OpenSIPS pua_reginfo `ul_identities_key`) from the command line:
 * `--reginfo-identities FILE` and the MI commands, over real UDP and HTTP on 127.0.0.1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import type { SipMessage, SipRequest } from '../../src/sip/message';
import { buildRegister } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { miCall } from '../helpers/mi-call';
import { runToExit } from '../helpers/run-to-exit';
import { spawnManaged } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';
import { useCliFixture } from '../helpers/use-cli-fixture';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

/** The presentity of a PUBLISH and the AORs of its `<registration>` elements. */
function published(r: SipRequest): [string, string[]] {
  const d = parseReginfo(r.body);
  if (!d.ok) throw new Error(d.error.reason);
  return [r.uri, d.value.registrations.map((x) => x.aor)];
}

describe('sipreg registrar: reg-event identities from --reginfo-identities and the MI', () => {
  const fixture = useCliFixture('sipreg-cli-identities-');
  const { started, peers } = fixture;

  it('publishes each AOR as the identities the file or reginfo_set_identities gave it, and an AOR without any not at all', async () => {
    const presence = await UdpSipPeer.open({ user: 'presence' });
    peers.push(presence);
    const file = join(fixture.dir, 'identities.json');
    writeFileSync(file, JSON.stringify({ 'sip:bob@example.com': ['sip:bob-alias@example.com'] }));
    const sip = await freePort();
    const mi = await freePort('tcp');
    const server = spawnManaged(process.execPath, [...CLI, 'registrar', '--listen', `udp:127.0.0.1:${sip}`, '--store', 'memory',
      '--reginfo-server-address', `sip:reginfo@127.0.0.1:${sip}`, '--reginfo-outbound-proxy', `sip:127.0.0.1:${presence.port}`, '--reginfo-notifier', '0',
      '--reginfo-identities', file, '--mi-listen', `http:127.0.0.1:${mi}`], { cwd: fixture.dir, killAfterMs: 60_000 });
    started.push(server);
    const url = `http://127.0.0.1:${mi}/mi`;
    await server.waitForLine(`sipreg registrar mi on ${url}`, 20_000);

    expect((await miCall(url, 'reginfo_identities', { aor: 'sip:bob@example.com' })).result).toEqual({ aor: 'sip:bob@example.com', identities: ['sip:bob-alias@example.com'] });
    expect((await miCall(url, 'reginfo_set_identities', { aor: 'sip:alice@example.com', identities: ['sip:alias@example.com', 'tel:+15551234'] })).result)
      .toEqual({ aor: 'sip:alice@example.com', identities: ['sip:alias@example.com', 'tel:+15551234'], published: false });
    expect((await miCall(url, 'reginfo_set_identities', ['sip:alice@example.com', ['sip:a b@example.com']])).error).toMatchObject({ code: -32602, data: { param: 'identities' } });

    const register = async (user: string): Promise<void> => {
      const phone = await UdpSipPeer.open({ user });
      peers.push(phone);
      const request = buildRegister({ aor: `sip:${user}@example.com`, requestUri: 'sip:example.com', via: { port: phone.port }, contacts: [{ uri: phone.uri, expires: 600 }] });
      expect((await phone.request(request, sip)).status).toBe(200);
    };
    const publishFor = (uri: string) => (m: SipMessage): m is SipRequest => m.kind === 'request' && m.method === 'PUBLISH' && m.uri === uri;
    // carol has no identities: nothing is published for her (her PUBLISH would come before bob's).
    await register('carol');
    await register('alice');
    expect(await presence.waitFor(publishFor('sip:alias@example.com'), 10_000)).toBeDefined();
    await register('bob');
    expect(await presence.waitFor(publishFor('sip:bob-alias@example.com'), 10_000)).toBeDefined();
    expect(presence.requests().filter((r) => r.method === 'PUBLISH').map(published)).toEqual([
      ['sip:alias@example.com', ['sip:alias@example.com', 'tel:+15551234']],
      ['sip:bob-alias@example.com', ['sip:bob-alias@example.com']],
    ]);

    // SIGHUP re-reads the file: bob's next REGISTER publishes his new identities; alice's, set over the MI, stay.
    writeFileSync(file, JSON.stringify({ 'sip:bob@example.com': ['sip:bob-new@example.com'] }));
    server.child.kill('SIGHUP');
    const reloaded = async (): Promise<true | undefined> => {
      const { result } = await miCall(url, 'reginfo_identities', ['sip:bob@example.com']);
      return (result as { identities: string[] }).identities[0] === 'sip:bob-new@example.com' ? true : undefined;
    };
    await eventually(reloaded, "bob's identities reloaded", 10_000, () => server.output());
    expect((await miCall(url, 'reginfo_identities', ['sip:alice@example.com'])).result).toMatchObject({ identities: ['sip:alias@example.com', 'tel:+15551234'] });
    await register('bob');
    const fresh = await presence.waitFor(publishFor('sip:bob-new@example.com'), 10_000);
    expect(fresh && published(fresh)).toEqual(['sip:bob-new@example.com', ['sip:bob-new@example.com']]);
  });

  it('exits 2 naming the file and what is wrong in it', async () => {
    const file = join(fixture.dir, 'identities.json');
    writeFileSync(file, '{\n  "sip:alice@example.com": ["sip:alias@example.com",]\n}\n');
    const result = await runToExit(process.execPath, [...CLI, 'registrar', '--listen', 'udp:127.0.0.1:0', '--store', 'memory',
      '--reginfo-server-address', 'sip:reginfo@127.0.0.1:5999', '--reginfo-identities', file], fixture.dir);
    expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(`--reginfo-identities ${file}: not JSON at line 2 column 53: Unexpected token ']'`) });
  });
});
