import type { Logger } from '../../src/ports/logger';
import { silentLogger } from '../../src/ports/logger';
import type { Source } from '../../src/ports/transport';
import { RequestLog } from '../../src/server/request-log';
import { buildResponse } from '../../src/sip/response';
import { buildRegister } from '../../src/testing/message-builders';
import { parseSip } from '../helpers/parse-sip';

/** The shape of pino's `LogFn` and `isLevelEnabled` (pino/pino.d.ts), so that a pino logger type-checks as a Logger. */
interface PinoLogFn {
  <T extends object>(obj: T, msg?: string, ...args: unknown[]): void;
  (obj: unknown, msg?: string, ...args: unknown[]): void;
  (msg: string, ...args: unknown[]): void;
}
interface PinoLike {
  level: string;
  debug: PinoLogFn;
  info: PinoLogFn;
  warn: PinoLogFn;
  error: PinoLogFn;
  isLevelEnabled(level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' | (string & {})): boolean;
}

const source: Source = { protocol: 'udp', address: '192.0.2.7', port: 5062, local: { protocol: 'udp', address: '127.0.0.1', port: 5060 } };
const request = parseSip(buildRegister({ aor: 'sip:alice@example.com', callId: 'c-1', headers: { Authorization: 'Digest response="never-logged"' } }));

describe('RequestLog', () => {
  it('builds nothing when the logger says debug is off (a pino logger type-checks as a Logger)', () => {
    const calls: string[] = [];
    const fail = (): never => {
      throw new Error('debug entry built although debug is off');
    };
    const pinoLike: PinoLike = { level: 'info', debug: fail, info: fail, warn: fail, error: fail, isLevelEnabled: (level) => { calls.push(level); return false; } };
    const logger: Logger = pinoLike;
    const log = new RequestLog(logger);
    if (request.kind !== 'request') throw new Error('not a request');
    log.received(request, source);
    log.responded(request, source, buildResponse(request, 200, 'OK'));
    expect(calls).toEqual(['debug', 'debug']);
    expect(new RequestLog(silentLogger).enabled).toBe(false);
  });

  it('logs method, AOR, source, Call-ID, status and time taken, and no header', () => {
    const entries: [Record<string, unknown>, string | undefined][] = [];
    const keep = (obj: object, msg?: string): void => {
      entries.push([obj as Record<string, unknown>, msg]);
    };
    const log = new RequestLog({ debug: keep, info: keep, warn: keep, error: keep });
    if (request.kind !== 'request') throw new Error('not a request');
    log.received(request, source);
    log.responded(request, source, buildResponse(request, 423, 'Interval Too Brief'));
    log.dropped(request, source, 'banned');
    expect(entries).toEqual([
      [{ method: 'REGISTER', aor: 'sip:alice@example.com', source: 'udp:192.0.2.7:5062', callId: 'c-1', cseq: request.cseq.seq }, 'request received'],
      [{ method: 'REGISTER', aor: 'sip:alice@example.com', source: 'udp:192.0.2.7:5062', callId: 'c-1', status: 423, ms: expect.any(Number) }, 'response sent'],
      [{ method: 'REGISTER', aor: 'sip:alice@example.com', source: 'udp:192.0.2.7:5062', callId: 'c-1', reason: 'banned' }, 'request dropped'],
    ]);
    expect(JSON.stringify(entries)).not.toContain('never-logged');
  });
});
