import { MI_ERROR_CODES } from '../../src/management/mi-command';
import { reginfoCommands } from '../../src/management/reginfo-commands';
import { parseReginfo } from '../../src/reginfo/parse-reginfo';
import { runMiCommand } from '../helpers/run-mi-command';
import { network, T0, type Network } from '../reginfo/reginfo-harness';

const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(() => { throw new Error('resolved'); }, (e: unknown) => e);

describe('reg-event MI commands (OpenSIPS pua_reginfo reginfo_subscribe / reginfo_update)', () => {
  let net: Network;
  afterEach(async () => net.close());

  it('reginfo_subscribe: B subscribes to an AOR at A, answers the active subscription, and learns A\'s registrations', async () => {
    net = network([{ name: 'A' }, { name: 'B', reginfo: { outboundProxy: 'sip:127.0.0.1:5071' } }]);
    const [a, b] = net.nodes;
    const commands = reginfoCommands(b.reginfo);
    expect(await runMiCommand(commands, 'reginfo_subscribe', { aor: 'sip:alice@example.com', expires: '600' })).toEqual({
      uri: 'sip:alice@example.com', status: 'active', expires_at: new Date(T0 + 600_000).toISOString(), last_reply: 200,
    });
    await net.step(0);
    expect(await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.10:5060', 300)).toBe(200);
    await net.step(0);
    expect((await b.registrar.bindings('alice@example.com')).map((x) => x.contact)).toEqual(['sip:alice@192.0.2.10:5060']);
  });

  it('reginfo_subscribe: an AOR that is not a sip: URI and expires below 1 are -32602 naming the parameter', async () => {
    net = network([{ name: 'B' }]);
    const commands = reginfoCommands(net.nodes[0].reginfo);
    expect(await rejection(runMiCommand(commands, 'reginfo_subscribe', { aor: 'alice' }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'aor' } });
    expect(await rejection(runMiCommand(commands, 'reginfo_subscribe', { aor: 'sip:alice@example.com', expires: 0 }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'expires' } });
    expect(net.strays).toEqual([]);
  });

  it('reginfo_update publishes the AOR\'s full state now; -32004 for an AOR without bindings, -32602 for one that is not an AOR', async () => {
    net = network([{ name: 'A', reginfo: { publish: true, outboundProxy: 'sip:127.0.0.1:5080', defaultDomain: 'example.com' } }]);
    const a = net.nodes[0];
    await net.register(a, 'sip:alice@example.com', 'sip:alice@192.0.2.1:5060', 300);
    await net.step(0);
    const published = net.strays.length;
    const commands = reginfoCommands(a.reginfo);
    expect(await runMiCommand(commands, 'reginfo_update', { aor: 'sip:alice@example.com' })).toBe('OK');
    await net.step(0);
    expect(net.strays).toHaveLength(published + 1);
    const doc = parseReginfo(net.strays.at(-1)!.body);
    expect(doc.ok && doc.value.registrations.map((r) => [r.aor, r.state, r.contacts.map((c) => c.uri)])).toEqual([['sip:alice@example.com', 'active', ['sip:alice@192.0.2.1:5060']]]);
    expect(await rejection(runMiCommand(commands, 'reginfo_update', { aor: 'sip:nobody@example.com' }))).toMatchObject({ code: MI_ERROR_CODES.notFound, data: { aor: 'sip:nobody@example.com' } });
    expect(await rejection(runMiCommand(commands, 'reginfo_update', { aor: 'tel:+15551234' }))).toMatchObject({ code: MI_ERROR_CODES.invalidParams, data: { param: 'aor' } });
  });
});
