import assert from 'node:assert/strict';
import type { MaybePromise } from '../ports/location-store';
import type { ContractTestApi } from './contract-api';

/** The store of the running test of a contract suite, from {@link oneStorePerTest}. */
export interface StorePerTest<I, S> {
  /** Make this test's store from `input`; a second store in the same test fails the test. */
  open(input: I): Promise<S>;
  /** Close this test's store within the test; after the test it is then only disposed of. */
  closeInTest(): Promise<void>;
}

/**
 * One store per test of a contract suite (registrant, credential): `open` makes it with
 * `create`, and after each test it is closed (unless the test closed it with
 * {@link StorePerTest.closeInTest}) and handed to `dispose`. Call it inside the suite's
 * `describe`, so that its `afterEach` belongs to the suite.
 *
 * @param afterEach - the suite's `afterEach` ({@link ContractTestApi}).
 * @param create - the factory the suite was given.
 * @param dispose - the suite's `dispose` option, if any.
 */
export function oneStorePerTest<I, S extends { close?(): MaybePromise<void> }>(
  afterEach: ContractTestApi['afterEach'],
  create: (input: I) => Promise<S> | S,
  dispose: ((store: S) => Promise<void> | void) | undefined,
): StorePerTest<I, S> {
  let store: S | undefined;
  let closedByTest = false;
  afterEach(async () => {
    const done = store;
    store = undefined;
    const wasClosed = closedByTest;
    closedByTest = false;
    if (done === undefined) return;
    if (!wasClosed) await done.close?.();
    await dispose?.(done);
  });
  return {
    async open(input: I): Promise<S> {
      assert.equal(store, undefined, 'one store per test');
      store = await create(input);
      return store;
    },
    async closeInTest(): Promise<void> {
      closedByTest = true;
      await store?.close?.();
    },
  };
}
