import { MI_ERROR_CODES } from '../../src/management/mi-command';
import { reginfoCommands } from '../../src/management/reginfo-commands';
import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import { runMiCommand } from '../helpers/run-mi-command';
import { network, type Network } from '../reginfo/reginfo-harness';

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => { throw new Error('resolved'); }, (e: unknown) => e);

describe('reg-event MI identity commands (ul_identities_key): reginfo_set_identities, reginfo_identities', () => {
  let net: Network;
  afterEach(async () => net.close());

  it('sets the identities of an AOR, answers them, and publishes them at once when the AOR has bindings', async () => {
    net = network([{ name: 'A', reginfo: { publish: true, outboundProxy: 'sip:127.0.0.1:5080', useIdentities: true, defaultDomain: 'example.com' } }]);
    const a = net.nodes[0];
    const commands = reginfoCommands(a.reginfo);
    expect(await runMiCommand(commands, 'reginfo_set_identities', { aor: 'sip:alice@example.com', identities: ['alias', 'tel:+15551234'] }))
      .toEqual({ aor: 'sip:alice@example.com', identities: ['sip:alias@example.com', 'tel:+15551234'], published: false });
    expect(await runMiCommand(commands, 'reginfo_identities', ['sip:alice@example.com'])).toEqual({ aor: 'sip:alice@example.com', identities: ['sip:alias@example.com', 'tel:+15551234'] });
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    await net.step(0);
    expect(net.strays).toHaveLength(1);
    expect(await runMiCommand(commands, 'reginfo_set_identities', { aor: 'sip:alice@example.com', identities: 'sip:new@example.com' }))
      .toEqual({ aor: 'sip:alice@example.com', identities: ['sip:new@example.com'], published: true });
    await net.step(0);
    const doc = parseReginfo(net.strays.at(-1)!.body);
    expect(doc.ok && doc.value.registrations.map((r) => r.aor)).toEqual(['sip:new@example.com']);
  });

  it('-32004 for an AOR without identities; -32602 naming the parameter for a bad AOR, a bad identity or too many', async () => {
    net = network([{ name: 'A', reginfo: { publish: true, useIdentities: true } }]);
    const commands = reginfoCommands(net.nodes[0].reginfo);
    expect(await rejection(runMiCommand(commands, 'reginfo_identities', { aor: 'sip:nobody@example.com' }))).toMatchObject({ code: MI_ERROR_CODES.notFound, data: { aor: 'sip:nobody@example.com' } });
    const set = (aor: string, identities: unknown): Promise<unknown> => rejection(runMiCommand(commands, 'reginfo_set_identities', { aor, identities }));
    expect(await set('tel:+1555', ['sip:a@example.com'])).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'aor' } });
    expect(await set('sip:a@example.com', ['sip:a b@example.com'])).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'identities' } });
    expect(await set('sip:a@example.com', Array.from({ length: 33 }, (_, i) => `sip:a${i}@example.com`))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, message: expect.stringContaining('at most 32'), data: { param: 'identities' } });
    expect(await set('sip:a@example.com', [1, 2])).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'identities' } });
  });

  it('are not offered when the identities are not used (useIdentities off or publishing off)', () => {
    net = network([{ name: 'A', reginfo: { publish: true } }, { name: 'B', reginfo: { publish: false, useIdentities: true } }]);
    for (const node of net.nodes) expect(reginfoCommands(node.reginfo).map((c) => c.name)).toEqual(['reginfo_subscribe', 'reginfo_update']);
  });
});
