import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/** Options of {@link launchChromium}. */
export interface LaunchChromiumOptions {
  /** The browser executable, e.g. `/usr/bin/chromium`. */
  readonly executablePath: string;
  /**
   * Base64 SHA-256 SPKI pins (see `spki-sha256.ts`) of the certificates the browser accepts
   * although no CA it knows signed them; every other certificate error still fails.
   */
  readonly trustedSpkis: readonly string[];
}

/** A headless Chromium with one page, and what that page reported as errors. */
export interface ChromiumSession {
  readonly page: Page;
  /** Console messages of type `error` (with the URL they name) and uncaught page exceptions, in order. */
  readonly consoleErrors: string[];
  /** Close the browser and delete its profile directory. */
  close(): Promise<void>;
}

/**
 * Launch Chromium headless with exactly these flags (puppeteer's defaults left out), a fresh
 * profile in a temporary directory, no sandbox (the tests run as root), no QUIC and no background
 * traffic, so that the only network it uses is the test's on 127.0.0.1. puppeteer-core drives it
 * over a pipe and downloads nothing.
 */
export async function launchChromium(options: LaunchChromiumOptions): Promise<ChromiumSession> {
  const profile = await mkdtemp(join(tmpdir(), 'sipreg-chromium-'));
  let browser: Browser;
  try {
    browser = await puppeteer.launch({
      executablePath: options.executablePath,
      ignoreDefaultArgs: true,
      pipe: true,
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
        `--user-data-dir=${profile}`,
        `--ignore-certificate-errors-spki-list=${options.trustedSpkis.join(',')}`,
        'about:blank',
      ],
    });
  } catch (error) {
    await rm(profile, { recursive: true, force: true });
    throw error;
  }
  const page = await browser.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const { url } = message.location();
    consoleErrors.push(url === undefined ? message.text() : `${message.text()} (${url})`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`uncaught: ${error instanceof Error ? error.message : String(error)}`));
  return {
    page,
    consoleErrors,
    async close(): Promise<void> {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
