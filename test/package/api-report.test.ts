import { readFileSync } from 'node:fs';
import { API_ENTRY_POINTS, API_REPORT_FILE, API_REPORT_PATH, apiReport } from '../../scripts/api-report';

/** The first line where two texts differ, with its neighbours, for a readable failure. */
function firstDifference(committed: string, current: string): string {
  const a = committed.split('\n');
  const b = current.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [`line ${i + 1}:`, `  committed: ${a[i] ?? '(end of file)'}`, `  now:       ${b[i] ?? '(end of file)'}`].join('\n');
}

/**
 * The committed API report (`api/sipreg.api.md`) is the public surface of every entry point,
 * written out by the TypeScript compiler: a change of an export, a signature or a member shows
 * as a diff in review, and this test fails until the report is regenerated and committed.
 */
describe('API report', () => {
  const current = apiReport();

  it('matches the committed report of every entry point', () => {
    const committed = readFileSync(API_REPORT_PATH, 'utf8');
    if (committed !== current) {
      throw new Error(`the public API changed: run \`npm run api-report\` and commit ${API_REPORT_FILE} (review the diff first)\n${firstDifference(committed, current)}`);
    }
  });

  it('has a section per published entry point, each with its declarations', () => {
    for (const { specifier, file } of API_ENTRY_POINTS) expect(current).toContain(`## \`${specifier}\` (${file}, `);
    expect(current).toMatch(/^ {2}save\(request: SipRequest, options\?: SaveOptions\): Promise<SaveResult>;$/m);
    expect(current).toMatch(/^function sourceFrom\(remote: SocketAddress, local: SocketAddress, options\?: SourceFromOptions\): Source;$/m);
    expect(current).toMatch(/^ {2}\/\*\* @internal \*\/ saveNow\(/m);
  });

  it('keeps implementation helpers out of the root entry', () => {
    const root = current.slice(current.indexOf('## `sipreg` '), current.indexOf('## `sipreg/stores/memory`'));
    for (const internal of ['basicRegexToJs', 'NON_XML_CHAR', 'unbracket', 'planSave', 'resolveRegistrarOptions', 'PushCoordinator', 'globalTestApi']) {
      expect([internal, root.includes(` ${internal}`)]).toEqual([internal, false]);
    }
  });
});
