import { StreamFramer, type FramingError } from '../../src/transports/stream-framer';

const message = (body = '', extra = ''): string =>
  `OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1;branch=z9hG4bK1\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

function run(chunks: (string | Buffer)[], maxMessageBytes = 65536): { messages: string[]; pings: number; error?: FramingError } {
  const framer = new StreamFramer(maxMessageBytes);
  const messages: string[] = [];
  let pings = 0;
  for (const chunk of chunks) {
    const error = framer.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk), {
      message: (bytes) => messages.push(Buffer.from(bytes).toString()),
      ping: () => pings++,
    });
    if (error) return { messages, pings, error };
  }
  return { messages, pings };
}

describe('StreamFramer (RFC 3261 §18.3)', () => {
  it('frames one message with a body', () => {
    const text = message('hello body');
    expect(run([text]).messages).toEqual([text]);
  });

  it('frames two messages in one chunk', () => {
    const a = message('first');
    const b = message('', 'Subject: x\r\n');
    expect(run([a + b]).messages).toEqual([a, b]);
  });

  it('frames a message split at every possible byte', () => {
    const text = message('split body');
    for (let cut = 1; cut < text.length; cut++) {
      expect(run([text.slice(0, cut), text.slice(cut)]).messages).toEqual([text]);
    }
  });

  it('frames a message delivered one byte at a time, followed by another', () => {
    const a = message('abc');
    const b = message('defg');
    expect(run([...(a + b)]).messages).toEqual([a, b]);
  });

  it('reads the compact form l and is case-insensitive', () => {
    const text = 'MESSAGE sip:a@h SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK2\r\nl : 3\r\n\r\nxyz';
    const lower = 'MESSAGE sip:a@h SIP/2.0\r\ncontent-LENGTH:3\r\n\r\nxyz';
    expect(run([text + lower]).messages).toEqual([text, lower]);
  });

  it('treats a missing Content-Length as an empty body', () => {
    const text = 'OPTIONS sip:a@h SIP/2.0\r\nCall-ID: x\r\n\r\n';
    expect(run([text + text]).messages).toEqual([text, text]);
  });

  it('reports a double-CRLF ping and skips single CRLFs (RFC 5626 §3.5.1)', () => {
    const text = message();
    const result = run(['\r\n\r\n', '\r\n', text, '\r\n\r\n\r\n\r\n']);
    expect(result.messages).toEqual([text]);
    expect(result.pings).toBe(3);
  });

  it('recognises a ping split across reads', () => {
    expect(run(['\r', '\n\r', '\n']).pings).toBe(1);
    expect(run(['\r\n', '\r\n']).pings).toBe(1);
  });

  it('refuses a Content-Length above the cap before the body arrives', () => {
    const head = 'MESSAGE sip:a@h SIP/2.0\r\nContent-Length: 5000\r\n\r\n';
    expect(run([head], 1000)).toEqual({ messages: [], pings: 0, error: 'too-large' });
  });

  it('refuses an endless head', () => {
    expect(run(['OPTIONS sip:a@h SIP/2.0\r\n', 'X-Pad: '.padEnd(600, 'a') + '\r\n', 'X-Pad: '.padEnd(600, 'a')], 1000).error).toBe('too-large');
  });

  it.each(['abc', '-1', '12345678901', '1 2', ''])('refuses Content-Length "%s"', (value) => {
    expect(run([`MESSAGE sip:a@h SIP/2.0\r\nContent-Length: ${value}\r\n\r\n`]).error).toBe('bad-content-length');
  });

  it('keeps framing after a message that exactly fills the cap', () => {
    const text = message('x'.repeat(10));
    const result = run([text + text], Buffer.byteLength(text));
    expect(result.messages).toEqual([text, text]);
  });
});
