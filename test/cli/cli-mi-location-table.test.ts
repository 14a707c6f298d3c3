/**
 * `sipreg mi ul_show_contact ... --table` against a running `sipreg registrar --mi-listen` (issue
 * 21: the command-line client prints JSON or a table, like `opensips-cli -x mi`). The usrloc
 * answer `{ AOR, Contacts: [...] }` must read as the AOR line and one row per contact with a column
 * per field (OpenSIPS `ul_show_contact`), not the contacts as one JSON cell.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { miCall } from '../helpers/mi-call';
import { runToExit } from '../helpers/run-to-exit';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startSipreg } from '../helpers/start-sipreg';

const CLI = ['--import', join(REPOSITORY_ROOT, 'node_modules/tsx/dist/esm/index.mjs'), join(REPOSITORY_ROOT, 'src/cli/main.ts')];

describe('sipreg mi --table for a location command', () => {
  let server: ManagedProcess | undefined;
  let url = '';

  beforeAll(async () => {
    const miPort = await freePort('tcp');
    url = `http://127.0.0.1:${miPort}/mi`;
    server = await startSipreg({ port: await freePort('udp'), extraArgs: ['--mi-listen', `http:127.0.0.1:${miPort}`] });
  }, 30_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('ul_show_contact prints the AOR, then a row per contact under a header of its fields', async () => {
    for (const [contact, expires, q] of [['sip:alice@127.0.0.1:5070', 600, undefined], ['sip:alice@127.0.0.1:5071', 300, 0.5]] as const) {
      expect((await miCall(url, 'ul_add', { table_name: 'location', aor: 'sip:alice@example.com', contact, expires, ...(q === undefined ? {} : { q }) })).result).toBe('OK');
    }
    const shown = await runToExit(process.execPath, [...CLI, 'mi', 'ul_show_contact', 'table_name=location', 'aor=alice@example.com', '--table', '--mi-url', url]);
    expect([shown.code, shown.stderr]).toEqual([0, '']);
    const lines = shown.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^AOR\s+alice@example\.com$/);
    const header = lines.findIndex((l) => l.startsWith('Contact '));
    expect(lines[header]).toMatch(/^Contact\s+Expires\s+Q\s+Callid\s+Cseq\s+User-agent\s+Flags\s+Cflags\s+Methods$/);
    expect(lines.slice(header + 1)).toEqual([
      expect.stringMatching(/^sip:alice@127\.0\.0\.1:5070\s+(600|59\d)\s+sipreg-mi@location\s+1\s+sipreg MI\s+0\s+4294967295$/),
      expect.stringMatching(/^sip:alice@127\.0\.0\.1:5071\s+(300|29\d)\s+0\.5\s+sipreg-mi@location\s+1\s+sipreg MI\s+0\s+4294967295$/),
    ]);
    expect(shown.stdout).not.toContain('{');
  });

  it('ul_dump prints one row per contact, its domain (the table) and AOR first, never a JSON cell', async () => {
    expect((await miCall(url, 'ul_add', { table_name: 'location', aor: 'sip:bob@example.org', contact: 'sip:bob@127.0.0.1:5072', expires: 600 })).result).toBe('OK');
    const dumped = await runToExit(process.execPath, [...CLI, 'mi', 'ul_dump', '--table', '--mi-url', url]);
    expect([dumped.code, dumped.stderr]).toEqual([0, '']);
    const lines = dumped.stdout.trimEnd().split('\n');
    const header = lines.findIndex((l) => /^name\s+AOR\s+Contact\s/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    const rows = lines.slice(header + 1);
    expect(rows).toEqual(expect.arrayContaining([
      expect.stringMatching(/^location\s+alice@example\.com\s+sip:alice@127\.0\.0\.1:5070\s/),
      expect.stringMatching(/^location\s+alice@example\.com\s+sip:alice@127\.0\.0\.1:5071\s/),
      expect.stringMatching(/^location\s+bob@example\.org\s+sip:bob@127\.0\.0\.1:5072\s/),
    ]));
    expect(rows).toHaveLength(3);
    expect(dumped.stdout).not.toContain('{');
  });
});
