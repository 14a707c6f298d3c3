import { ConfigError } from '../errors/sdk-error';

/**
 * The test-framework functions a contract suite registers with. Jest, Vitest (with
 * `globals: true`) and Mocha provide them as globals; pass them explicitly otherwise.
 */
export interface ContractTestApi {
  describe(name: string, fn: () => void): void;
  it(name: string, fn: () => Promise<void>, timeoutMs?: number): void;
  beforeEach(fn: () => Promise<void>): void;
  afterEach(fn: () => Promise<void>): void;
}

/** A ConfigError, recognised by code so a store built against another copy of sipreg passes too. */
export const isConfigError = (error: unknown): boolean =>
  error instanceof ConfigError || (error instanceof Error && (error as { code?: unknown }).code === 'ERR_SIPREG_CONFIG');

/**
 * The running test framework's globals.
 * @throws {@link ConfigError} naming `suite` when they are missing.
 */
export function globalTestApi(suite: string): ContractTestApi {
  const g = globalThis as Partial<Record<keyof ContractTestApi, unknown>>;
  if (typeof g.describe !== 'function' || typeof g.it !== 'function' || typeof g.beforeEach !== 'function' || typeof g.afterEach !== 'function') {
    throw new ConfigError(`${suite} needs describe/it/beforeEach/afterEach globals or options.api`);
  }
  return g as unknown as ContractTestApi;
}
