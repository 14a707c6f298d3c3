import { contactIdIn, contactIdOf } from '../../src/mid-registrar/contact-id';
import { aorContactUri, aorOfContactUser, forwardedContactUri } from '../../src/mid-registrar/forwarded-contact';
import { shouldForward, type ContactToDecide } from '../../src/mid-registrar/throttle-decision';
import type { MidRegistrarMode } from '../../src/mid-registrar/mid-registrar-options';

const rewrite = { advertised: { host: '10.0.0.2', port: 5080 }, insertion: 'ct-param' as const, param: 'ctid', extraParams: '' };

describe('mid-registrar Contact rewriting (OpenSIPS mid_registrar §1.3)', () => {
  it('derives a stable 64-bit hex contact id per AOR and Contact', () => {
    const id = contactIdOf('alice@example.com', 'sip:alice@192.0.2.1');
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(contactIdOf('alice@example.com', 'sip:alice@192.0.2.1')).toBe(id);
    expect(contactIdOf('alice@example.com', 'sip:alice@192.0.2.2')).not.toBe(id);
    expect(contactIdOf('bob@example.com', 'sip:alice@192.0.2.1')).not.toBe(id);
  });

  it('replaces host and port, keeps user and parameters, and inserts the id as a parameter or as the user', () => {
    expect(forwardedContactUri('sip:alice@192.0.2.1:5062;transport=tcp;ctid=0000000000000000', 'abcdef0123456789', rewrite))
      .toBe('sip:alice@10.0.0.2:5080;transport=tcp;ctid=abcdef0123456789');
    expect(forwardedContactUri('sips:alice:pw@[2001:db8::1]', 'abcdef0123456789', { ...rewrite, insertion: 'ct-username', extraParams: ';transport=tls' }))
      .toBe('sips:abcdef0123456789@10.0.0.2:5080;transport=tls');
    expect(forwardedContactUri('sip:192.0.2.1', 'abcdef0123456789', { ...rewrite, advertised: { host: '2001:db8::2', port: 5060 } }))
      .toBe('sip:[2001:db8::2]:5060;ctid=abcdef0123456789');
    expect(forwardedContactUri('tel:+15551234', 'abcdef0123456789', rewrite)).toBeUndefined();
    expect(forwardedContactUri('not a uri', 'abcdef0123456789', rewrite)).toBeUndefined();
  });

  it('reads the contact id back from a Request-URI, and only a well-formed one', () => {
    expect(contactIdIn('sip:alice@10.0.0.2:5080;ctid=ABCDEF0123456789', 'ct-param', 'ctid')).toBe('abcdef0123456789');
    expect(contactIdIn('sip:abcdef0123456789@10.0.0.2:5080', 'ct-username', 'ctid')).toBe('abcdef0123456789');
    expect(contactIdIn('sip:alice@10.0.0.2:5080;ctid=xyz', 'ct-param', 'ctid')).toBeUndefined();
    expect(contactIdIn('sip:alice@10.0.0.2:5080', 'ct-param', 'ctid')).toBeUndefined();
  });

  it('writes and reads the AOR-throttling Contact with the @ escape', () => {
    const uri = aorContactUri('alice@example.com', '%40', rewrite);
    expect(uri).toBe('sip:alice%40example.com@10.0.0.2:5080');
    expect(aorOfContactUser(uri, '%40')).toBe('alice@example.com');
    expect(aorOfContactUser('sip:alice___example.com@10.0.0.2', '___')).toBe('alice@example.com');
    expect(aorOfContactUser('sip:alice@10.0.0.2', '%40')).toBeUndefined();
  });
});

describe('mid-registrar throttling decision', () => {
  const now = 1_000_000;
  const known = (expires: number, upstreamLeftSec?: number, accepted = true): ContactToDecide => ({
    expires, known: true, accepted, upstreamExpiresAt: upstreamLeftSec === undefined ? undefined : now + upstreamLeftSec * 1000,
  });
  const unknown = (expires: number): ContactToDecide => ({ expires, known: false, accepted: false, upstreamExpiresAt: undefined });
  const forwards = (mode: MidRegistrarMode, contacts: readonly ContactToDecide[] | '*', remaining: number, aorAccepted = true): boolean =>
    shouldForward(mode, { contacts, remaining, aorAccepted }, now);

  it('mirror forwards everything; Contact: * is always forwarded', () => {
    expect(forwards('mirror', [known(120, 3000)], 1)).toBe(true);
    expect(forwards('throttle-contact', '*', 0)).toBe(true);
  });

  it('throttle-contact absorbs a known Contact while the main registrar binding outlives the new lifetime', () => {
    expect(forwards('throttle-contact', [known(120, 121)], 1)).toBe(false);
    expect(forwards('throttle-contact', [known(120, 120)], 1)).toBe(true);
    expect(forwards('throttle-contact', [unknown(120)], 1)).toBe(true);
    expect(forwards('throttle-contact', [known(120)], 1)).toBe(true);
    expect(forwards('throttle-contact', [known(0, 3000)], 0)).toBe(true);
    expect(forwards('throttle-contact', [], 1)).toBe(false);
  });

  it('throttle-aor forwards a de-registration only when it leaves the AOR empty', () => {
    expect(forwards('throttle-aor', [known(0, 3000)], 1)).toBe(false);
    expect(forwards('throttle-aor', [known(0, 3000)], 0)).toBe(true);
    expect(forwards('throttle-aor', [known(60, 3000), { expires: 60, known: false, accepted: false, upstreamExpiresAt: now + 3000_000 }], 2)).toBe(true);
    expect(forwards('throttle-aor', [unknown(0)], 1)).toBe(false);
  });

  it('forwards what the main registrar did not accept from this Call-ID and From tag, in both throttling modes (OpenSIPS #3193)', () => {
    for (const mode of ['throttle-contact', 'throttle-aor'] as const) {
      expect(forwards(mode, [known(120, 3000, false)], 1)).toBe(true);
      expect(forwards(mode, [], 1, false)).toBe(true);
    }
    expect(forwards('throttle-aor', [known(0, 3000, false)], 1)).toBe(true);
    expect(forwards('throttle-aor', [unknown(0)], 1, false)).toBe(true);
    // Accepted for its own binding, the AOR-wide acceptance does not matter.
    expect(forwards('throttle-contact', [known(120, 3000)], 1, false)).toBe(false);
  });
});
