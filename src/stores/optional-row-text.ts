import { describeValue } from './describe-value';

/**
 * An optional text field of a stored row, read the one way every SQL, JSON and Redis store reads
 * it: NULL (`null`/`undefined`) or `''` (what OpenSIPS's `NOT NULL DEFAULT ''` columns hold when
 * unset) is absent, any other string is the value.
 *
 * @param value - the stored value of `field`.
 * @param field - the field, for `fail`.
 * @param fail - called when the value is not a string; must throw.
 * @returns the string, or `undefined` when absent.
 */
export function optionalRowText<F extends string>(value: unknown, field: F, fail: (field: F, problem: string) => never): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value !== 'string') fail(field, `must be a string or null, got ${describeValue(value)}`);
  return value;
}
