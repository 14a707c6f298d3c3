import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

import { REPOSITORY_ROOT } from './start-sipreg';

/** A plain-HTTP server on 127.0.0.1 serving the browser test pages and SIP.js. */
export interface BrowserPageServer {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  readonly origin: string;
  /** Stop listening and end every open connection. */
  close(): Promise<void>;
}

/** The test pages, served at `/`. */
const PAGES = join(REPOSITORY_ROOT, 'test', 'fixtures', 'browser');
/**
 * SIP.js 0.21 (installed as `sip-parser`), served at `/sip.js/`: its `lib` is plain ES modules
 * whose imports name their `.js` files, so a browser loads it as is, without a bundler.
 */
const SIP_JS = join(REPOSITORY_ROOT, 'node_modules', 'sip-parser', 'lib');

/** Module scripts need a JavaScript MIME type (HTML Living Standard, "fetch a single module script"). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

/** The file a request path names under `root`, or `undefined` when it would leave `root`. */
function fileUnder(root: string, relative: string): string | undefined {
  const file = normalize(join(root, decodeURIComponent(relative)));
  return file.startsWith(root + sep) ? file : undefined;
}

/**
 * Serve `test/fixtures/browser/` at `/` and SIP.js's `lib` at `/sip.js/` over HTTP on an
 * ephemeral port of 127.0.0.1 (loopback, a potentially trustworthy origin for the browser), GET
 * only; anything else is 404.
 */
export async function serveBrowserPage(): Promise<BrowserPageServer> {
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const file = path.startsWith('/sip.js/') ? fileUnder(SIP_JS, path.slice('/sip.js/'.length)) : fileUnder(PAGES, path.slice(1));
    const type = file === undefined ? undefined : CONTENT_TYPES[extname(file)];
    if (request.method !== 'GET' || file === undefined || type === undefined) {
      response.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body),
      () => response.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the browser page server has no TCP address');
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
