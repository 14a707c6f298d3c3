import fc from 'fast-check';
import { buildReginfo } from '../../src/reginfo/build-reginfo';
import { parseReginfo, type ParseReginfoOptions } from '../../src/reginfo/parse-reginfo';
import {
  CONTACT_EVENTS,
  REGINFO_NAMESPACE,
  type ReginfoContact,
  type ReginfoDocument,
  type ReginfoRegistration,
} from '../../src/reginfo/reginfo-document';

function parsed(body: Uint8Array | string): ReginfoDocument {
  const r = parseReginfo(body);
  if (!r.ok) throw new Error(`unexpected rejection: ${r.error.reason}`);
  return r.value;
}

function rejection(body: Uint8Array | string, options?: ParseReginfoOptions): string {
  const r = parseReginfo(body, options);
  if (r.ok) throw new Error(`expected a rejection, got ${JSON.stringify(r.value)}`);
  return r.error.reason;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A reginfo document around `inner`. */
const reginfo = (inner: string, attributes = 'version="0" state="full"'): string =>
  `<?xml version="1.0"?>\n<reginfo xmlns="${REGINFO_NAMESPACE}" ${attributes}>${inner}</reginfo>`;

/** A document with one registration holding one contact. */
const withContact = (attributes: string, children = '<uri>sip:bob@10.0.0.1</uri>'): string =>
  reginfo(`<registration aor="sip:bob@example.com" id="r1" state="active"><contact ${attributes}>${children}</contact></registration>`);

const SPECIAL = `& < > " ' &amp; ]]> <!-- -->`;

const RICH: ReginfoDocument = {
  version: 4294967295,
  state: 'partial',
  registrations: [
    {
      aor: 'sip:alice@example.com',
      id: 'reg-1',
      state: 'active',
      contacts: [
        {
          id: 'c1',
          state: 'active',
          event: 'refreshed',
          uri: 'sip:alice@192.0.2.10:5060;transport=tcp;ob',
          displayName: `Alice ${SPECIAL} Ünïcødé 😀`,
          expiresSec: 3600,
          retryAfterSec: 0,
          durationRegisteredSec: 7322,
          q: 5,
          callId: `call-${SPECIAL}@host`,
          cseq: 4294967295,
          received: 'sip:198.51.100.7:40123',
          path: ['<sip:edge1.example.com;lr>', '<sip:edge2.example.com;lr;ob>'],
          userAgent: `Phone/1.0 ${SPECIAL}\ttabbed\r\nnext line`,
          unknownParams: [
            { name: '+sip.instance', value: '"<urn:uuid:00000000-0000-1000-8000-000000000001>"' },
            { name: 'reg-id', value: '1' },
            { name: '+g.3gpp.icsi-ref', value: '' },
          ],
        },
        { id: 'c2', state: 'terminated', event: 'probation', uri: 'sip:alice@203.0.113.5', retryAfterSec: 120, q: 1000 },
      ],
    },
    { aor: 'sip:bob@example.com', id: 'reg-2', state: 'init', contacts: [] },
    {
      aor: 'tel:+15551234567',
      id: 'reg-3',
      state: 'terminated',
      contacts: [{ id: 'c3', state: 'terminated', event: 'unregistered', uri: 'sip:+15551234567@198.51.100.9', expiresSec: 0, q: 0 }],
    },
  ],
};

describe('buildReginfo (RFC 3680 §5)', () => {
  it('writes one element per line with the attributes in a fixed order', () => {
    const xml = buildReginfo({
      version: 7,
      state: 'full',
      registrations: [{
        aor: 'sip:bob@example.com',
        id: 'r1',
        state: 'active',
        contacts: [{
          id: 'c1', state: 'active', event: 'registered', uri: 'sip:bob@10.0.0.1', displayName: 'Bob',
          expiresSec: 60, q: 500, retryAfterSec: 1, durationRegisteredSec: 2, callId: 'abc', cseq: 3,
          received: 'sip:10.0.0.2:5060', path: ['<sip:p1;lr>', '<sip:p2;lr>'], userAgent: 'UA',
          unknownParams: [{ name: 'x', value: 'y' }],
        }],
      }],
    });
    expect(xml).toBe([
      '<?xml version="1.0"?>',
      `<reginfo xmlns="${REGINFO_NAMESPACE}" version="7" state="full">`,
      '  <registration aor="sip:bob@example.com" id="r1" state="active">',
      '    <contact id="c1" state="active" event="registered" expires="60" q="0.5" retry-after="1" duration-registered="2" callid="abc" cseq="3" received="sip:10.0.0.2:5060" path="&lt;sip:p1;lr&gt;,&lt;sip:p2;lr&gt;" user_agent="UA">',
      '      <uri>sip:bob@10.0.0.1</uri>',
      '      <display-name>Bob</display-name>',
      '      <unknown-param name="x">y</unknown-param>',
      '    </contact>',
      '  </registration>',
      '</reginfo>',
    ].join('\n'));
  });

  it('closes empty elements and leaves absent optional fields out', () => {
    expect(buildReginfo({ version: 0, state: 'full', registrations: [] }))
      .toBe(`<?xml version="1.0"?>\n<reginfo xmlns="${REGINFO_NAMESPACE}" version="0" state="full"/>`);
    expect(buildReginfo({ version: 1, state: 'partial', registrations: [{ aor: 'sip:a@b', id: 'x', state: 'init', contacts: [] }] }))
      .toContain('<registration aor="sip:a@b" id="x" state="init"/>');
    const minimal = buildReginfo({
      version: 1, state: 'partial',
      registrations: [{ aor: 'sip:a@b', id: 'x', state: 'active', contacts: [{ id: 'c', state: 'active', event: 'created', uri: 'sip:c@d', path: [] }] }],
    });
    expect(minimal).toContain('<contact id="c" state="active" event="created">\n      <uri>sip:c@d</uri>\n    </contact>');
  });

  it.each([[1000, '1'], [500, '0.5'], [5, '0.005'], [0, '0'], [380, '0.38'], [999, '0.999'], [10, '0.01']])('writes q %d thousandths as q="%s"', (q, text) => {
    const xml = buildReginfo({ version: 0, state: 'full', registrations: [{ aor: 'a', id: 'b', state: 'active', contacts: [{ id: 'c', state: 'active', event: 'registered', uri: 'u', q }] }] });
    expect(xml).toContain(` q="${text}"`);
  });

  it('escapes markup and quotes in attributes, markup in text, and keeps tab/LF/CR of attributes as references', () => {
    const xml = buildReginfo({
      version: 0, state: 'full',
      registrations: [{ aor: `a&b<c>d"e'f\tg\nh\ri`, id: 'x', state: 'active', contacts: [{ id: 'c', state: 'active', event: 'registered', uri: 'u', displayName: `a&b<c>d"e'f\r\n` }] }],
    });
    expect(xml).toContain(`aor="a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i"`);
    expect(xml).toContain(`<display-name>a&amp;b&lt;c&gt;d"e'f&#13;\n</display-name>`);
  });

  it('drops characters XML 1.0 cannot carry, so the document stays well-formed', () => {
    const dirty = 'a\u0000b\u0008c\u000Bd\u001Fe\uFFFEf\uFFFFg\uD800h\uDC00i😀j';
    const xml = buildReginfo({
      version: 0, state: 'full',
      registrations: [{ aor: dirty, id: 'x', state: 'active', contacts: [{ id: 'c', state: 'active', event: 'registered', uri: 'u', displayName: dirty }] }],
    });
    expect(xml).toContain('aor="abcdefghi😀j"');
    expect(xml).toContain('<display-name>abcdefghi😀j</display-name>');
    expect(parsed(utf8(xml)).registrations[0].aor).toBe('abcdefghi😀j');
  });

  it.each<[string, (c: ReginfoContact) => ReginfoContact, RegExp]>([
    ['q above 1000', (c) => ({ ...c, q: 1001 }), /q must be an integer from 0 to 1000/],
    ['fractional q', (c) => ({ ...c, q: 0.5 }), /q must be/],
    ['negative expires', (c) => ({ ...c, expiresSec: -1 }), /expires must be an integer/],
    ['cseq beyond 2^32-1', (c) => ({ ...c, cseq: 2 ** 32 }), /cseq must be/],
    ['NaN duration-registered', (c) => ({ ...c, durationRegisteredSec: Number.NaN }), /duration-registered must be/],
  ])('throws a RangeError for %s', (_name, change, message) => {
    const contact: ReginfoContact = { id: 'c', state: 'active', event: 'registered', uri: 'u' };
    expect(() => buildReginfo({ version: 0, state: 'full', registrations: [{ aor: 'a', id: 'b', state: 'active', contacts: [change(contact)] }] }))
      .toThrow(message);
    expect(() => buildReginfo({ version: -1, state: 'full', registrations: [] })).toThrow(RangeError);
  });
});

describe('parseReginfo (RFC 3680 §5)', () => {
  it('reads back a document with every field, special characters and unicode', () => {
    const xml = buildReginfo(RICH);
    expect(parseReginfo(xml)).toStrictEqual({ ok: true, value: RICH });
    expect(parseReginfo(utf8(xml))).toStrictEqual({ ok: true, value: RICH });
  });

  it('reads the OpenSIPS pua_reginfo sample document', () => {
    const xml = [
      '<?xml version="1.0"?>',
      '<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full">',
      ' <registration aor="sip:carsten@ng-voice.com" id="0xb33fa860" state="active">',
      '  <contact id="0xb33fa994" state="active" event="registered" expires="3600" callid="9ad9f89f" cseq="2" received="sip:10.0.0.1:5060" path="&lt;sip:p1;lr&gt;,&lt;sip:p2;lr&gt;" user_agent="X-Lite">',
      '   <uri>sip:carsten@10.157.87.36:43582;transport=udp</uri>',
      '   <unknown-param name="+g.3gpp.cs-voice"></unknown-param>',
      '   <unknown-param name="language">en,fr</unknown-param>',
      '  </contact>',
      ' </registration>',
      '</reginfo>',
    ].join('\n');
    expect(parsed(xml)).toStrictEqual({
      version: 0,
      state: 'full',
      registrations: [{
        aor: 'sip:carsten@ng-voice.com',
        id: '0xb33fa860',
        state: 'active',
        contacts: [{
          id: '0xb33fa994',
          state: 'active',
          event: 'registered',
          uri: 'sip:carsten@10.157.87.36:43582;transport=udp',
          expiresSec: 3600,
          callId: '9ad9f89f',
          cseq: 2,
          received: 'sip:10.0.0.1:5060',
          path: ['<sip:p1;lr>', '<sip:p2;lr>'],
          userAgent: 'X-Lite',
          unknownParams: [{ name: '+g.3gpp.cs-voice', value: '' }, { name: 'language', value: 'en,fr' }],
        }],
      }],
    });
  });

  it('reads the example document of RFC 3680 §5.3', () => {
    const xml = `<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
             version="0" state="full">
  <registration aor="sip:user@example.com" id="as9"
                state="active">
    <contact id="76" state="active" event="registered"
             duration-registered="7322"
             q="0.8">
             <uri>sip:user@pc887.example.com</uri>
    </contact>
    <contact id="77" state="terminated" event="expired"
             duration-registered="3600"
             q="0.5">
             <uri>sip:user@university.edu</uri>
    </contact>
  </registration>
</reginfo>`;
    expect(parsed(xml)).toStrictEqual({
      version: 0,
      state: 'full',
      registrations: [{
        aor: 'sip:user@example.com',
        id: 'as9',
        state: 'active',
        contacts: [
          { id: '76', state: 'active', event: 'registered', durationRegisteredSec: 7322, q: 800, uri: 'sip:user@pc887.example.com' },
          { id: '77', state: 'terminated', event: 'expired', durationRegisteredSec: 3600, q: 500, uri: 'sip:user@university.edu' },
        ],
      }],
    });
  });

  it('reads the NOTIFY bodies of the RFC 3680 §6 call flow (init, then a partial update)', () => {
    const first = `<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo"
         version="0" state="full">
  <registration aor="sip:joe@example.com" id="a7" state="init" />
</reginfo>`;
    const second = `<?xml version="1.0"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo"
         version="1" state="partial">
  <registration aor="sip:joe@example.com" id="a7" state="active">
    <contact id="76" state="active" event="registered"
             duration-registered="0">
      <uri>sip:joe@pc34.example.com</uri>
    </contact>
  </registration>
</reginfo>`;
    expect(parsed(first)).toStrictEqual({ version: 0, state: 'full', registrations: [{ aor: 'sip:joe@example.com', id: 'a7', state: 'init', contacts: [] }] });
    expect(parsed(second)).toStrictEqual({
      version: 1,
      state: 'partial',
      registrations: [{
        aor: 'sip:joe@example.com', id: 'a7', state: 'active',
        contacts: [{ id: '76', state: 'active', event: 'registered', durationRegisteredSec: 0, uri: 'sip:joe@pc34.example.com' }],
      }],
    });
  });

  it('reads display-name (ignoring xml:lang) and unknown-param, and skips extensions of other namespaces (RFC 3680 §5.4, RFC 5628)', () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" xmlns:gr="urn:ietf:params:xml:ns:gruuinfo" xmlns:ext="urn:example:ext"
         version="3" state="full" ext:flavour="vanilla">
  <!-- a comment -->
  <registration aor="sip:user@example.com" id="as9" state="active" ext:note="x">
    <contact id="76" state="active" event="shortened" expires="30" q="1.000" ext:weight="9">
      <uri>
        sip:user@pc887.example.com
      </uri>
      <display-name xml:lang="en">Joe &amp; Co</display-name>
      <unknown-param name="video"/>
      <unknown-param name="+sip.instance">"&lt;urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6&gt;"</unknown-param>
      <gr:pub-gruu uri="sip:user@example.com;gr=urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6"/>
      <ext:uri>not the contact URI</ext:uri>
    </contact>
    <ext:contact id="99" state="bogus"/>
  </registration>
  <ext:registration aor="ignored"/>
</reginfo>`;
    expect(parsed(xml)).toStrictEqual({
      version: 3,
      state: 'full',
      registrations: [{
        aor: 'sip:user@example.com',
        id: 'as9',
        state: 'active',
        contacts: [{
          id: '76', state: 'active', event: 'shortened', expiresSec: 30, q: 1000,
          uri: 'sip:user@pc887.example.com',
          displayName: 'Joe & Co',
          unknownParams: [{ name: 'video', value: '' }, { name: '+sip.instance', value: '"<urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6>"' }],
        }],
      }],
    });
  });

  it('resolves a namespace prefix on the root and its children', () => {
    const xml = `<r:reginfo xmlns:r="${REGINFO_NAMESPACE}" version="2" state="partial">
  <r:registration aor="sip:a@b" id="1" state="terminated"><r:contact id="c" state="terminated" event="deactivated"><r:uri>sip:a@c</r:uri></r:contact></r:registration>
</r:reginfo>`;
    expect(parsed(xml)).toStrictEqual({
      version: 2, state: 'partial',
      registrations: [{ aor: 'sip:a@b', id: '1', state: 'terminated', contacts: [{ id: 'c', state: 'terminated', event: 'deactivated', uri: 'sip:a@c' }] }],
    });
    const nested = `<x:reginfo xmlns:x="urn:other" xmlns="${REGINFO_NAMESPACE}" version="0" state="full"/>`;
    expect(rejection(nested)).toMatch(/namespace "urn:other"/);
    const redeclared = `<reginfo xmlns="${REGINFO_NAMESPACE}" version="0" state="full"><registration xmlns="urn:other" aor="a" id="b" state="bogus"/></reginfo>`;
    expect(parsed(redeclared).registrations).toEqual([]);
  });

  it('decodes the five predefined entities and character references, in text and attributes, and nothing else', () => {
    const doc = parsed(withContact(
      'id="&amp;|&#38;|&#x26;|&lt;&gt;&quot;&apos;|&#x1F600;" state="active" event="registered" callid="a&#9;b&#10;c&#13;d"',
      '<uri>sip:a@b</uri><display-name>&amp;|&#38;|&#x26;|&lt;&gt;&quot;&apos;|<![CDATA[&amp; <raw>]]></display-name>',
    ));
    const contact = doc.registrations[0].contacts[0];
    expect(contact.id).toBe(`&|&|&|<>"'|😀`);
    expect(contact.callId).toBe('a\tb\nc\rd');
    expect(contact.displayName).toBe(`&|&|&|<>"'|&amp; <raw>`);
    for (const entity of ['&nbsp;', '&copy;', '&xxe;', '&lol9;', '&toString;', '&constructor;', '&__proto__;', '&AMP;']) {
      expect(rejection(withContact('id="1" state="active" event="registered"', `<uri>sip:a@b${entity}</uri>`))).toMatch(`entity ${entity} is not defined`);
      expect(rejection(withContact(`id="1${entity}" state="active" event="registered"`))).toMatch(`attribute id: entity ${entity} is not defined`);
    }
  });

  it('normalizes raw whitespace in attribute values as XML does', () => {
    expect(parsed(withContact('id="a\tb\nc\r\nd" state="active" event="registered"')).registrations[0].contacts[0].id).toBe('a b c d');
  });

  it('accepts bytes with a byte order mark, a string with one, and a body exactly maxBytes long', () => {
    const xml = withContact('id="c" state="active" event="registered"');
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...utf8(xml)]);
    expect(parsed(bom).registrations[0].contacts[0].id).toBe('c');
    expect(parsed(`\uFEFF${xml}`).registrations[0].contacts[0].id).toBe('c');
    expect(parseReginfo(xml, { maxBytes: utf8(xml).length }).ok).toBe(true);
  });

  it.each<[string, string | Uint8Array, RegExp]>([
    ['a DOCTYPE with internal entities (billion laughs)', `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full"><registration aor="&lol3;" id="1" state="init"/></reginfo>`, /DOCTYPE or ENTITY/],
    ['an external entity (XXE)', `<?xml version="1.0"?>
<!DOCTYPE reginfo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<reginfo xmlns="urn:ietf:params:xml:ns:reginfo" version="0" state="full"><registration aor="&xxe;" id="1" state="init"/></reginfo>`, /DOCTYPE or ENTITY/],
    ['an external DTD in lower case', `<!doctype reginfo SYSTEM "http://attacker.example/x.dtd">${reginfo('')}`, /DOCTYPE or ENTITY/],
    ['a stray ENTITY declaration', `${reginfo('')}<!ENTITY x "y">`, /DOCTYPE or ENTITY/],
    ['an empty body', '  \n', /empty/],
    ['invalid UTF-8', new Uint8Array([0x3c, 0x61, 0xff, 0x3e]), /UTF-8/],
    ['a control character', withContact('id="c" state="active" event="registered"', '<uri>sip:a\u0001@b</uri>'), /U\+0001/],
    ['a reference to a control character', withContact('id="c" state="active" event="registered"', '<uri>sip:a&#1;@b</uri>'), /&#1; is not a character XML allows/],
    ['a reference beyond Unicode', withContact('id="c&#x110000;" state="active" event="registered"'), /&#x110000;/],
    ['a bare ampersand', withContact('id="a & b" state="active" event="registered"'), /'&' must be written &amp;/],
    ['a raw < in an attribute', withContact('id="a<b" state="active" event="registered"'), /'<' must be written &lt;/],
    ['an unclosed element', `<reginfo xmlns="${REGINFO_NAMESPACE}" version="0" state="full"><registration aor="a" id="b" state="init">`, /malformed XML/],
    ['mismatched tags', reginfo('<registration aor="a" id="b" state="init"></contact>'), /malformed XML/],
    ['a repeated attribute', reginfo('', 'version="0" version="1" state="full"'), /malformed XML.*repeated/],
    ['text outside the root', `${reginfo('')} trailing`, /malformed XML/],
    ['two root elements', `<reginfo xmlns="${REGINFO_NAMESPACE}" version="0" state="full"/><reginfo xmlns="${REGINFO_NAMESPACE}" version="1" state="full"/>`, /2 root elements/],
    ['two root elements with content', `${reginfo('')}${reginfo('')}`.replace(/<\?xml[^>]*>\n/g, ''), /malformed XML.*root/],
    ['a wrong root element', `<presence xmlns="${REGINFO_NAMESPACE}" version="0" state="full"/>`, /root element is <presence>, expected <reginfo>/],
    ['a wrong namespace', '<reginfo xmlns="urn:ietf:params:xml:ns:pidf" version="0" state="full"/>', /namespace "urn:ietf:params:xml:ns:pidf", expected urn:ietf:params:xml:ns:reginfo/],
    ['no namespace', '<reginfo version="0" state="full"/>', /<reginfo> has no namespace/],
    ['an undeclared prefix', '<r:reginfo version="0" state="full"/>', /prefix "r" of <r:reginfo> is not declared/],
    ['an unqualified child of a prefixed root', `<r:reginfo xmlns:r="${REGINFO_NAMESPACE}" version="0" state="full"><registration aor="a" id="b" state="init"/></r:reginfo>`, /<registration> has no namespace/],
    ['a missing version', reginfo('', 'state="full"'), /attribute version is missing/],
    ['a negative version', reginfo('', 'version="-1" state="full"'), /version="-1" is not an integer/],
    ['a version beyond 2^32-1', reginfo('', 'version="4294967296" state="full"'), /version="4294967296" is not an integer/],
    ['a non-numeric version', reginfo('', 'version="abc" state="full"'), /version="abc"/],
    ['a bad document state', reginfo('', 'version="0" state="complete"'), /reginfo: attribute state="complete" is not one of full, partial/],
    ['a missing document state', reginfo('', 'version="0"'), /attribute state is missing/],
    ['a bad registration state', reginfo('<registration aor="a" id="b" state="pending"/>'), /registration\[1\]: attribute state="pending" is not one of init, active, terminated/],
    ['a registration without aor', reginfo('<registration id="b" state="init"/>'), /registration\[1\]: attribute aor is missing/],
    ['a registration without id', reginfo('<registration aor="a" state="init"/>'), /registration\[1\]: attribute id is missing/],
    ['a bad contact state', withContact('id="c" state="init" event="registered"'), /contact\[1\]: attribute state="init" is not one of active, terminated/],
    ['a bad event', withContact('id="c" state="active" event="gone"'), /contact\[1\]: attribute event="gone" is not one of registered, created/],
    ['a contact without event', withContact('id="c" state="active"'), /attribute event is missing/],
    ['a contact without id', withContact('state="active" event="registered"'), /contact\[1\]: attribute id is missing/],
    ['a missing uri', withContact('id="c" state="active" event="registered"', '<display-name>x</display-name>'), /contact\[1\]: <uri> is missing/],
    ['two uris', withContact('id="c" state="active" event="registered"', '<uri>a</uri><uri>b</uri>'), /more than one <uri>/],
    ['two display names', withContact('id="c" state="active" event="registered"', '<uri>a</uri><display-name>x</display-name><display-name>y</display-name>'), /more than one <display-name>/],
    ['an unknown-param without name', withContact('id="c" state="active" event="registered"', '<uri>a</uri><unknown-param>x</unknown-param>'), /unknown-param\[1\]: attribute name is missing/],
    ['q above 1', withContact('id="c" state="active" event="registered" q="1.5"'), /attribute q="1.5" is not a q-value/],
    ['a non-numeric q', withContact('id="c" state="active" event="registered" q="abc"'), /attribute q="abc" is not a q-value/],
    ['q with 4 decimals', withContact('id="c" state="active" event="registered" q="0.1234"'), /attribute q="0.1234"/],
    ['a negative q', withContact('id="c" state="active" event="registered" q="-0.5"'), /attribute q="-0.5"/],
    ['a negative expires', withContact('id="c" state="active" event="registered" expires="-5"'), /attribute expires="-5" is not an integer/],
    ['a fractional retry-after', withContact('id="c" state="terminated" event="probation" retry-after="1.5"'), /attribute retry-after="1.5"/],
    ['a bad duration-registered', withContact('id="c" state="active" event="registered" duration-registered="1e3"'), /attribute duration-registered="1e3"/],
    ['a bad cseq', withContact('id="c" state="active" event="registered" cseq="0x10"'), /attribute cseq="0x10"/],
    ['an element name the XML parser refuses', reginfo('<constructor/>'), /XML parser refused/],
  ])('rejects %s', (_name, body, reason) => {
    expect(rejection(body)).toMatch(reason);
  });

  it('refuses a body over maxBytes before parsing, counting UTF-8 bytes rather than characters', () => {
    const big = withContact('id="c" state="active" event="registered"', `<uri>sip:a@b</uri><display-name>${'x'.repeat(70_000)}</display-name>`);
    expect(rejection(big)).toMatch(/more than the 65536 allowed/);
    const euros = withContact('id="c" state="active" event="registered"', `<uri>sip:a@b</uri><display-name>${'€'.repeat(30_000)}</display-name>`);
    expect(euros.length).toBeLessThan(65536);
    expect(rejection(euros)).toMatch(/is \d+ bytes, more than the 65536 allowed/);
    expect(rejection(utf8(euros))).toMatch(/more than the 65536 allowed/);
    expect(parseReginfo(euros, { maxBytes: 100_000 }).ok).toBe(true);
    expect(rejection(reginfo(''), { maxBytes: 10 })).toMatch(/more than the 10 allowed/);
  });
});

const XML_SPACE_AROUND = /^[ \t\n\r]+|[ \t\n\r]+$/g;

const isXmlChar = (cp: number): boolean =>
  cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || cp >= 0x10000;

/** One character XML can carry, biased towards markup, quotes, whitespace and multi-byte characters. */
const xmlChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom('&', '<', '>', '"', "'", ';', '#', ' ', '\t', '\n', '\r', ',', ']', 'a', 'Z', '0', 'é', '€', '😀', '&amp;', '&#38;', ']]>', '<!--') },
  { weight: 2, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCodePoint(c)) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0x10ffff }).filter(isXmlChar).map((c) => String.fromCodePoint(c)) },
);

/** Any UTF-16 unit or control character, legal in XML or not (lone surrogates, U+0000, U+FFFF…). */
const anyChar: fc.Arbitrary<string> = fc.oneof(
  xmlChar,
  fc.constantFrom('\u0000', '\u0001', '\u0008', '\u000B', '\u001F', '\uD800', '\uDFFF', '\uFFFE', '\uFFFF'),
  fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
);

const textOf = (char: fc.Arbitrary<string>): fc.Arbitrary<string> => fc.array(char, { maxLength: 10 }).map((a) => a.join(''));

interface TextArbitraries {
  readonly text: fc.Arbitrary<string>;
  readonly uri: fc.Arbitrary<string>;
  readonly pathEntry: fc.Arbitrary<string>;
}

function documentOf({ text, uri, pathEntry }: TextArbitraries): fc.Arbitrary<ReginfoDocument> {
  const uint = fc.integer({ min: 0, max: 2 ** 32 - 1 });
  const contact: fc.Arbitrary<ReginfoContact> = fc.record({
    id: text,
    state: fc.constantFrom('active' as const, 'terminated' as const),
    event: fc.constantFrom(...CONTACT_EVENTS),
    uri,
    displayName: text,
    expiresSec: uint,
    retryAfterSec: uint,
    durationRegisteredSec: uint,
    q: fc.integer({ min: 0, max: 1000 }),
    callId: text,
    cseq: uint,
    received: text,
    path: fc.array(pathEntry, { minLength: 1, maxLength: 3 }),
    userAgent: text,
    unknownParams: fc.array(fc.record({ name: text, value: text }, { noNullPrototype: true }), { minLength: 1, maxLength: 3 }),
  }, { requiredKeys: ['id', 'state', 'event', 'uri'], noNullPrototype: true });
  const registration: fc.Arbitrary<ReginfoRegistration> = fc.record({
    aor: text,
    id: text,
    state: fc.constantFrom('init' as const, 'active' as const, 'terminated' as const),
    contacts: fc.array(contact, { maxLength: 3 }),
  }, { noNullPrototype: true });
  return fc.record({
    version: uint,
    state: fc.constantFrom('full' as const, 'partial' as const),
    registrations: fc.array(registration, { maxLength: 3 }),
  }, { noNullPrototype: true });
}

/** Documents whose every string survives the trip: XML characters only, `uri` without surrounding whitespace, `path` entries without commas. */
const roundTrippable = documentOf({
  text: textOf(xmlChar),
  uri: textOf(xmlChar).map((s) => s.replace(XML_SPACE_AROUND, '')),
  pathEntry: textOf(xmlChar).map((s) => s.replaceAll(',', '').replace(XML_SPACE_AROUND, '')).filter((s) => s !== ''),
});

/** Documents with any strings at all, including characters XML cannot carry. */
const anything = documentOf({ text: textOf(anyChar), uri: textOf(anyChar), pathEntry: textOf(anyChar) });

describe('reginfo XML properties (fast-check)', () => {
  it('parseReginfo(buildReginfo(doc)) gives doc back', () => {
    fc.assert(fc.property(roundTrippable, (doc) => {
      expect(parseReginfo(buildReginfo(doc))).toStrictEqual({ ok: true, value: doc });
    }), { numRuns: 300 });
  });

  it('whatever the strings, the UTF-8 bytes of buildReginfo are accepted, and a second trip changes nothing', () => {
    fc.assert(fc.property(anything, (doc) => {
      const first = parseReginfo(utf8(buildReginfo(doc)));
      if (!first.ok) throw new Error(first.error.reason);
      expect(parseReginfo(utf8(buildReginfo(first.value)))).toStrictEqual(first);
    }), { numRuns: 300 });
  });

  it('never throws, whatever the body: random text, random bytes, or a valid document with a character changed', () => {
    const mutated = fc.tuple(roundTrippable, fc.nat(), anyChar).map(([doc, at, c]) => {
      const xml = buildReginfo(doc);
      const i = at % xml.length;
      return xml.slice(0, i) + c + xml.slice(i + 1);
    });
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.uint8Array(), mutated), (body) => {
      const r = parseReginfo(body);
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error.reason.length).toBeGreaterThan(0);
    }), { numRuns: 500 });
  });
});
