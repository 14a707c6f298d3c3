import type { MaybePromise } from '../ports/location-store';

/**
 * Continue with `next` once `value` is available: synchronously when it already is (an
 * in-memory store), through the promise otherwise. Keeps the hot path free of microtasks
 * without duplicating logic for sync and async stores. A synchronous throw in `next` or in
 * producing `value` surfaces through `onError`.
 */
export function andThen<T, R>(
  value: MaybePromise<T>,
  next: (v: T) => MaybePromise<R>,
  onError: (e: unknown) => MaybePromise<R>,
): MaybePromise<R> {
  if (value instanceof Promise) return value.then(next, onError);
  try {
    return next(value);
  } catch (e) {
    return onError(e);
  }
}

/** An `onError` for {@link andThen} that lets the error propagate unchanged. */
export function rethrow(e: unknown): never {
  throw e;
}

/** Every value once all are available: a plain array when none is a promise, else `Promise.all`. */
export function allOf<T>(values: readonly MaybePromise<T>[]): MaybePromise<T[]> {
  for (const v of values) if (v instanceof Promise) return Promise.all(values);
  return values as T[];
}
