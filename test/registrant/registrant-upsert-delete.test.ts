import { ConfigError } from '../../src/errors/sdk-error';
import { contactExpires, harness, ok, record } from './registrant-harness';

const BOB = record({ aor: 'sip:bob@example.com' });

describe('registrant scheduler upsert / delete (OpenSIPS reg_upsert, reg_delete: in memory only)', () => {
  it('upsert adds a registrant that registers at its bucket visit, without writing the store', async () => {
    const h = await harness([record()], (r) => ok(r), { timerIntervalSec: 4, hashSize: 0 });
    expect(h.scheduler.upsert(BOB)).toBe('added');
    await h.runFor(4000);
    expect(h.sent().some((r) => r.to.uri === 'sip:bob@example.com')).toBe(true);
    expect(h.scheduler.list(BOB)[0].state).toBe('REGISTERED');
    expect(h.store.loadAll()).toHaveLength(1);
  });

  it('upsert of a registered one keeps its registration and Call-ID; the new fields apply from its next REGISTER', async () => {
    const h = await harness([record()], (r) => ok(r), { timerIntervalSec: 4, hashSize: 0 });
    const callId = h.scheduler.list(record())[0].callId;
    expect(h.scheduler.upsert(record({ expirySec: 1200, username: 'alice', password: 'secret' }))).toBe('updated');
    expect(h.scheduler.list(record())[0]).toMatchObject({ state: 'REGISTERED', callId, record: { expirySec: 1200, username: 'alice' } });
    expect(h.sent()).toHaveLength(1);
    h.scheduler.forceRegister(record());
    await h.step(0);
    expect(contactExpires(h.sent()[1])).toBe(1200);
    expect(h.sent()[1].callId).toBe(callId);
  });

  it('upsert with enabled false unREGISTERs a registered one; enabled true again registers it at the next visit', async () => {
    const h = await harness([record()], (r) => ok(r), { timerIntervalSec: 4, hashSize: 0 });
    h.scheduler.upsert(record({ enabled: false }));
    await h.step(0);
    expect(contactExpires(h.sent()[1])).toBe(0);
    expect(h.scheduler.list(record())[0].state).toBe('NOT_REGISTERED');
    h.scheduler.upsert(record());
    await h.runFor(4000);
    expect(h.scheduler.list(record())[0].state).toBe('REGISTERED');
  });

  it('upsert checks the record as the stores do', async () => {
    const h = await harness([], (r) => ok(r));
    expect(() => h.scheduler.upsert({ ...BOB, aor: '' })).toThrow(ConfigError);
    expect(() => h.scheduler.upsert({ ...BOB, expirySec: -1 })).toThrow(/expirySec/);
  });

  it('delete unREGISTERs a registered one and forgets it; false for an unknown key; a reload reads the store again', async () => {
    const h = await harness([record(), BOB], (r) => ok(r), { timerIntervalSec: 4, hashSize: 0 });
    expect(h.scheduler.delete(BOB)).toBe(true);
    await h.step(0);
    const last = h.sent().at(-1)!;
    expect([last.to.uri, contactExpires(last)]).toEqual(['sip:bob@example.com', 0]);
    expect(h.scheduler.list().map((s) => s.record.aor)).toEqual(['sip:alice@example.com']);
    expect(h.scheduler.delete(BOB)).toBe(false);
    expect(() => h.scheduler.delete(undefined as never)).toThrow(ConfigError);
    await h.scheduler.reload();
    expect(h.scheduler.list(BOB)).toHaveLength(1);
  });

  it('upsert and delete throw after close()', async () => {
    const h = await harness([record()], (r) => ok(r));
    await h.scheduler.close();
    expect(() => h.scheduler.upsert(BOB)).toThrow(/after close/);
    expect(() => h.scheduler.delete(record())).toThrow(/after close/);
  });
});
