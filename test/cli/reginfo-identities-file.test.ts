import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CliUsageError } from '../../src/cli/cli-usage-error';
import { parseArgs } from '../../src/cli/parse-args';
import { readIdentitiesFile } from '../../src/cli/reginfo-identities-file';
import { REGINFO_FLAGS, reginfoOptionsFrom, reloadIdentitiesOnSighup } from '../../src/cli/reginfo-flags';
import type { Logger } from '../../src/ports/logger';
import { network, type Network } from '../reginfo/reginfo-harness';

/** A logger that keeps its lines as `level message`. */
function recordingLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  const at = (level: string) => (_fields: object, message: string): void => {
    lines.push(`${level} ${message}`);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger & { readonly lines: string[] };
}

describe('--reginfo-identities FILE (ul_identities_key from a JSON file)', () => {
  let dir: string;
  const file = (text: string): string => {
    const path = join(dir, 'identities.json');
    writeFileSync(path, text);
    return path;
  };
  const failure = (path: string): string => {
    try {
      readIdentitiesFile(path, 'example.com');
    } catch (e) {
      if (e instanceof CliUsageError) return e.message;
      throw e;
    }
    throw new Error('no error');
  };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipreg-identities-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads AOR → identities, completing bare users with the default domain', () => {
    const path = file('{\n  "sip:alice@example.com": ["<sip:alias@example.com>", "tel:+15551234"],\n  "bob": ["bobby"]\n}\n');
    expect([...readIdentitiesFile(path, 'example.com')]).toEqual([
      ['sip:alice@example.com', ['sip:alias@example.com', 'tel:+15551234']],
      ['bob', ['sip:bobby@example.com']],
    ]);
  });

  it('says what is wrong: the file, the line and column of a syntax error, the field of a bad value', () => {
    expect(failure(join(dir, 'missing.json'))).toBe(`--reginfo-identities ${join(dir, 'missing.json')}: cannot read: ENOENT`);
    expect(failure(file('{\n  "sip:alice@example.com": ["sip:a@example.com",]\n}'))).toMatch(/^--reginfo-identities .*identities\.json: not JSON at line 2 column \d+: /);
    expect(failure(file('{"sip:alice@example.com": ['))).toMatch(/: not JSON at line 1 column \d+: /);
    expect(failure(file('["sip:alice@example.com"]'))).toMatch(/: must be a JSON object of AOR → identities, e.g. \{"sip:alice@example.com": \["sip:alias@example.com", "tel:\+15551234"\]\}$/);
    expect(failure(file('{"sip:alice@example.com": "sip:a@example.com"}'))).toMatch(/: "sip:alice@example.com": must be an array of URIs, got "sip:a@example.com"$/);
    expect(failure(file('{"sip:alice@example.com": ["sip:a@example.com", 7]}'))).toMatch(/: "sip:alice@example.com"\[1\]: must be a URI string, got 7$/);
    expect(failure(file('{"tel:+1555": ["sip:a@example.com"]}'))).toMatch(/: "tel:\+1555": not a SIP AOR; use 'sip:user@domain' or 'user@domain'$/);
    expect(failure(file('{"sip:alice@example.com": ["sip:a b@example.com"]}'))).toMatch(/: "sip:alice@example.com": identity 'sip:a b@example.com' of 'sip:alice@example.com' is not a sip:, sips: or tel: URI/);
    const many = JSON.stringify({ 'sip:alice@example.com': Array.from({ length: 33 }, (_, i) => `sip:a${i}@example.com`) });
    expect(failure(file(many))).toMatch(/: "sip:alice@example.com": 'sip:alice@example.com' has 33 identities; at most 32 are kept per AOR$/);
  });

  it('turns useIdentities on; --reginfo-use-identities 0 with a file, or identities without publishing, are usage errors', () => {
    const path = file('{"alice@example.com": ["sip:alias@example.com"]}');
    const options = (...argv: string[]): ReturnType<typeof reginfoOptionsFrom> =>
      reginfoOptionsFrom(parseArgs(['--reginfo-server-address', 'sip:reginfo@127.0.0.1:5999', ...argv], REGINFO_FLAGS));
    expect(options('--reginfo-identities', path)).toMatchObject({ options: { useIdentities: true }, identities: { path, table: new Map([['alice@example.com', ['sip:alias@example.com']]]) } });
    expect(options('--reginfo-use-identities', '1')?.options.useIdentities).toBe(true);
    expect(options()?.options.useIdentities).toBeUndefined();
    expect(() => options('--reginfo-identities', path, '--reginfo-use-identities', '0')).toThrow(new CliUsageError('--reginfo-identities: the identities file is not used with --reginfo-use-identities 0'));
    expect(() => options('--reginfo-identities', path, '--reginfo-publish', '0')).toThrow(new CliUsageError('--reginfo-identities: identities are what the PUBLISHes carry; they need --reginfo-publish 1'));
    expect(() => options('--reginfo-use-identities', '1', '--reginfo-publish', '0')).toThrow(new CliUsageError('--reginfo-use-identities: identities are what the PUBLISHes carry; they need --reginfo-publish 1'));
    expect(() => reginfoOptionsFrom(parseArgs(['--reginfo-identities', path], REGINFO_FLAGS))).toThrow('--reginfo-identities needs --reginfo-server-address');
  });

  describe('SIGHUP', () => {
    let net: Network;
    afterEach(async () => net.close());

    it('reloads the file; a file that went bad is logged and the identities loaded before stay', () => {
      net = network([{ name: 'A', reginfo: { publish: true, useIdentities: true } }]);
      const { reginfo } = net.nodes[0];
      const path = file('{"alice@example.com": ["sip:one@example.com"]}');
      const flags = reginfoOptionsFrom(parseArgs(['--reginfo-server-address', 'sip:reginfo@127.0.0.1:5999', '--reginfo-identities', path], REGINFO_FLAGS));
      reginfo.loadIdentities(flags!.identities!.table);
      const logger = recordingLogger();
      expect(reloadIdentitiesOnSighup(undefined, reginfo, logger)).toEqual(expect.any(Function));
      const stop = reloadIdentitiesOnSighup(flags, reginfo, logger);
      try {
        file('{"alice@example.com": ["sip:two@example.com"], "bob@example.com": ["sip:b@example.com"]}');
        process.emit('SIGHUP', 'SIGHUP');
        expect([reginfo.identities('alice@example.com'), reginfo.identities('bob@example.com')]).toEqual([['sip:two@example.com'], ['sip:b@example.com']]);
        file('{"alice@example.com": ');
        process.emit('SIGHUP', 'SIGHUP');
        expect(reginfo.identities('alice@example.com')).toEqual(['sip:two@example.com']);
        expect(logger.lines).toEqual(['info reg-event identities reloaded', 'error reg-event identities reload failed; the identities loaded before stay']);
      } finally {
        stop();
      }
      file('{}');
      process.emit('SIGHUP', 'SIGHUP');
      expect(reginfo.identities('alice@example.com')).toEqual(['sip:two@example.com']);
    });
  });
});
