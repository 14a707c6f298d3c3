/**
 * Interop with a real browser (issue 20): Debian's Chromium, headless and driven by puppeteer-core,
 * loads a page that registers `sip:browser@example.com` with SIP.js over `wss:` (RFC 7118) to the
 * sipreg CLI registrar, the test certificate trusted through the browser's SPKI pin flag only. The
 * test finds the binding by lookup (a `.invalid` Contact with `;transport=ws`, §5), has SIPp send
 * it a MESSAGE over UDP through the registrar, checks the page received and answered it, then
 * de-registers from the page and finds no binding left. A failure keeps a screenshot in
 * `test-artifacts/` and shows the browser's console errors.
 */
import { join } from 'node:path';

import { freePort } from '../helpers/free-port';
import { keepFailureScreenshot } from '../helpers/keep-failure-screenshot';
import { launchChromium, type ChromiumSession } from '../helpers/launch-chromium';
import { queryBindings } from '../helpers/query-bindings';
import { requiredBinary } from '../helpers/required-binary';
import { runSipp } from '../helpers/run-sipp';
import { serveBrowserPage, type BrowserPageServer } from '../helpers/serve-browser-page';
import { sippVerdict } from '../helpers/sipp-verdict';
import { spkiSha256 } from '../helpers/spki-sha256';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT, startCliCommand } from '../helpers/start-sipreg';
import { createTestCertificates, type TestCertificates } from '../helpers/test-certificates';

const SCENARIO = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios', 'message-web-phone.xml');
const USER = 'browser';
const AOR = `sip:${USER}@example.com`;
const PAGE_TIMEOUT_MS = 10_000;

/** What the page keeps in `(globalThis as unknown as PhonePage).sipState`. */
interface SipState {
  readonly registered: boolean;
  readonly messages: readonly string[];
  readonly errors: readonly string[];
}

/** The page's globals, as functions given to `page.evaluate` (run in the page) see them. */
interface PhonePage {
  /** Undefined until the page's module script has run. */
  readonly sipState?: SipState;
  unregister(): Promise<void>;
}

describe('a real browser (Chromium, SIP.js) over wss: through the sipreg CLI registrar', () => {
  let certificates: TestCertificates | undefined;
  let registrar: ManagedProcess | undefined;
  let pages: BrowserPageServer | undefined;
  let chromium: ChromiumSession | undefined;
  let sipp = '';
  let udpPort = 0;
  let wssPort = 0;

  beforeAll(async () => {
    const chromiumPath = requiredBinary('chromium', 'chromium', 'the browser WSS interop test');
    sipp = requiredBinary('sipp', 'sip-tester', 'the browser WSS interop test');
    certificates = await createTestCertificates();
    udpPort = await freePort('udp');
    wssPort = await freePort('tcp');
    registrar = await startCliCommand('registrar', `udp:127.0.0.1:${udpPort}`, [
      '--listen', `wss:127.0.0.1:${wssPort}`,
      '--tls-cert', certificates.server.cert.path, '--tls-key', certificates.server.key.path,
      '--store', 'memory',
    ]);
    pages = await serveBrowserPage();
    chromium = await launchChromium({ executablePath: chromiumPath, trustedSpkis: [spkiSha256(certificates.server.cert.pem)] });
  }, 30_000);

  afterAll(async () => {
    await chromium?.close().catch(() => undefined);
    await pages?.close();
    await registrar?.stop();
    await certificates?.remove();
  });

  it('registers from the page, is found by lookup, gets a MESSAGE a UDP sender routes through sipreg, and de-registers', async () => {
    if (chromium === undefined || pages === undefined) throw new Error('beforeAll did not start the browser and the page server');
    const { page, consoleErrors } = chromium;
    const query = new URLSearchParams({ server: `wss://127.0.0.1:${wssPort}`, aor: AOR });
    const url = `${pages.origin}/sip-js-phone.html?${query}`;
    const pageState = (): Promise<SipState | undefined> => page.evaluate(() => (globalThis as unknown as PhonePage).sipState);
    await keepFailureScreenshot(page, expect.getState().currentTestName ?? 'browser-wss', consoleErrors, async () => {
      await page.goto(url);
      await page.waitForFunction(() => {
        const state = (globalThis as unknown as PhonePage).sipState;
        return state !== undefined && (state.registered || state.errors.length > 0);
      }, { timeout: PAGE_TIMEOUT_MS });
      expect(await pageState()).toEqual({ registered: true, messages: [], errors: [] });

      const found = await queryBindings(udpPort, AOR);
      expect(found.status).toBe(200);
      expect(found.contacts).toHaveLength(1);
      expect(found.contacts[0]).toMatch(/^<sip:[^@>]+@[^;>]+\.invalid;transport=ws[;>]/);

      const run = await runSipp({ sippPath: sipp, scenario: SCENARIO, remotePort: udpPort, calls: 1, rate: 1, timeoutSec: 10, keys: { callee: USER } });
      expect(sippVerdict(run)).toEqual({ exitCode: 0, successfulCalls: 1, failedCalls: 0, unexpected: '' });
      // SIPp ends its MESSAGE body with CRLF.
      expect(await pageState()).toEqual({ registered: true, messages: [`hello ${USER}\r\n`], errors: [] });

      await page.evaluate(() => (globalThis as unknown as PhonePage).unregister());
      expect(await pageState()).toEqual({ registered: false, messages: [`hello ${USER}\r\n`], errors: [] });
      const gone = await queryBindings(udpPort, AOR);
      expect(gone.status).toBe(200);
      expect(gone.contacts).toEqual([]);
      expect(consoleErrors).toEqual([]);
    });
  }, 30_000);
});
