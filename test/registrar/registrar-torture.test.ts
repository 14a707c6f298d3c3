import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRegistrar } from '../../src/registrar/registrar';
import { parseSipMessage } from '../../src/sip/sip-parser';
import { ManualClock } from '../../src/testing/manual-clock';
import { res } from './sip-text';

/** The RFC 4475 REGISTER torture messages the project carries (test/fixtures/rfc4475/README.md says where from). */
const torture = (name: string): Buffer => readFileSync(fileURLToPath(new URL(`../fixtures/rfc4475/invalid/${name}.dat`, import.meta.url)));

describe('registrar on the RFC 4475 REGISTER torture messages', () => {
  const registrar = createRegistrar({ clock: new ManualClock(1_700_000_000_000), purgeIntervalMs: 0 });

  it('regescrt (§3.3.14): stores the Contact with its escaped header unchanged', async () => {
    const parsed = parseSipMessage(torture('regescrt'));
    expect(parsed.ok && parsed.message.kind).toBe('request');
    if (!parsed.ok || parsed.message.kind !== 'request') return;
    const r = await registrar.save(parsed.message);
    expect(res(r.response).status).toBe(200);
    expect((await registrar.bindings('user@example.com')).map((b) => b.contact)).toEqual(['sip:user@example.com?Route=%3Csip:sip.example.com%3E']);
  });

  it('cparam01/cparam02 (§3.3.12, §3.3.13): a Contact header parameter stays out of the URI, a URI parameter stays in it', async () => {
    for (const name of ['cparam01', 'cparam02']) {
      const parsed = parseSipMessage(torture(name));
      if (!parsed.ok || parsed.message.kind !== 'request') throw new Error(`${name} must parse`);
      expect(res((await registrar.save(parsed.message)).response).status).toBe(200);
    }
    const bindings = await registrar.bindings('watson@example.com');
    expect(bindings.map((b) => [b.contact, b.params])).toEqual([
      ['sip:+19725552222@gw1.example.net', ';unknownparam'],
      ['sip:+19725552222@gw1.example.net;unknownparam', undefined],
    ]);
  });

  it('regbadct (§3.1.2.13): a Contact URI with a header outside <> is refused before the registrar, with what a 400 needs', () => {
    const parsed = parseSipMessage(torture('regbadct'));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.partial?.callId).toBe('regbadct.k345asrl3fdbv@10.0.0.1');
  });

  it('regaut01 (§3.3.7): an unknown Authorization scheme does not break the registrar (authentication is the host\'s step)', async () => {
    const parsed = parseSipMessage(torture('regaut01'));
    expect(parsed.ok && parsed.message.kind).toBe('request');
    if (!parsed.ok || parsed.message.kind !== 'request') return;
    expect(parsed.message.header('authorization')).toBe('NoOneKnowsThisScheme opaque-data=here');
    const r = await registrar.save(parsed.message);
    expect(res(r.response).status).toBe(200);
    expect(r.ok && r.changes).toEqual([]);
  });

  it('scalar02 (§3.1.2.4): the CSeq beyond 2^31-1 makes the request a 400, never a save', () => {
    const parsed = parseSipMessage(torture('scalar02'));
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.error.partial?.callId).toBe('scalar02.23o0pd9vanlq3wnrlnewofjas9ui32');
  });
});
