import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';

import { isStunBindingRequest, stunBindingSuccess } from '../../src/transports/stun-binding';

const COOKIE = 0x2112a442;

function bindingRequest(id: Buffer, extraLength = 0): Buffer {
  const header = Buffer.alloc(20 + extraLength);
  header.writeUInt16BE(0x0001, 0);
  header.writeUInt16BE(extraLength, 2);
  header.writeUInt32BE(COOKIE, 4);
  id.copy(header, 8);
  return header;
}

/** The address and port of an XOR-MAPPED-ADDRESS (RFC 5389 §15.2), read back. */
function mapped(response: Uint8Array): { family: number; port: number; address: string } {
  const b = Buffer.from(response);
  const family = b.readUInt8(25);
  const port = b.readUInt16BE(26) ^ (COOKIE >>> 16);
  const bytes = b.subarray(28, family === 1 ? 32 : 44).map((x, i) => x ^ b[4 + i]);
  const address = family === 1 ? [...bytes].join('.') : [...Array(8).keys()].map((i) => ((bytes[2 * i] << 8) | bytes[2 * i + 1]).toString(16)).join(':');
  return { family, port, address };
}

describe('STUN Binding keep-alives (RFC 5626 §4.4.2, RFC 5389)', () => {
  it('tells a Binding request from SIP and from other STUN messages', () => {
    const id = randomBytes(12);
    expect(isStunBindingRequest(bindingRequest(id))).toBe(true);
    expect(isStunBindingRequest(Buffer.from('REGISTER sip:example.com SIP/2.0\r\n\r\n'))).toBe(false);
    const indication = bindingRequest(id);
    indication.writeUInt16BE(0x0011, 0);
    expect(isStunBindingRequest(indication)).toBe(false);
    expect(isStunBindingRequest(bindingRequest(id, 8).subarray(0, 24))).toBe(false); // the length does not match
  });

  it('answers with the same transaction id and the source as XOR-MAPPED-ADDRESS, IPv4 and IPv6', () => {
    const id = randomBytes(12);
    const v4 = Buffer.from(stunBindingSuccess(bindingRequest(id), '203.0.113.7', 40123));
    expect([v4.readUInt16BE(0), v4.readUInt16BE(2), v4.readUInt32BE(4), v4.subarray(8, 20).toString('hex')]).toEqual([0x0101, 12, COOKIE, id.toString('hex')]);
    expect(mapped(v4)).toEqual({ family: 1, port: 40123, address: '203.0.113.7' });
    const v6 = stunBindingSuccess(bindingRequest(id), '2001:db8::1:2', 5060);
    expect(mapped(v6)).toEqual({ family: 2, port: 5060, address: '2001:db8:0:0:0:0:1:2' });
  });
});
