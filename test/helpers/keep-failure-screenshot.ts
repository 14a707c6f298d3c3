import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import type { Page } from 'puppeteer-core';

import { REPOSITORY_ROOT } from './start-sipreg';

/** Where failing browser tests leave their screenshots (not checked in). */
export const TEST_ARTIFACTS = join(REPOSITORY_ROOT, 'test-artifacts');

/**
 * Run a browser test's `body`; when it throws, save a screenshot of `page` as
 * `test-artifacts/<testName>.png`, print its path, and throw again with the path and the
 * browser's `consoleErrors` added to the message, so a failure shows what the page showed and said.
 */
export async function keepFailureScreenshot<T>(page: Page, testName: string, consoleErrors: readonly string[], body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    const file: `${string}.png` = `${join(TEST_ARTIFACTS, testName.replace(/[^A-Za-z0-9._-]+/g, '_'))}.png`;
    const saved = await mkdir(TEST_ARTIFACTS, { recursive: true })
      .then(() => page.screenshot({ path: file, fullPage: true }))
      .then(() => `screenshot: ${file}`, (screenshotError: unknown) => `no screenshot: ${String(screenshotError)}`);
    console.error(`${testName} failed; ${saved}`);
    const seen = consoleErrors.length === 0 ? 'no browser console errors' : `browser console errors:\n  ${consoleErrors.join('\n  ')}`;
    if (!(error instanceof Error)) throw new Error(`${String(error)}\n${saved}\n${seen}`);
    // The same error, so that the test report still points at the failed assertion.
    error.message = `${error.message}\n${saved}\n${seen}`;
    throw error;
  }
}
