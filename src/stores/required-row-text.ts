import { describeValue } from './describe-value';

/**
 * A required text field of a stored row (a subscriber's username and domain, a registrant's
 * AOR, binding URI and registrar): a non-empty string.
 *
 * @param value - the stored value of `field`.
 * @param field - the field, for `fail`.
 * @param fail - called when the value is not a non-empty string; must throw.
 * @returns the string.
 */
export function requiredRowText<F extends string>(value: unknown, field: F, fail: (field: F, problem: string) => never): string {
  if (typeof value !== 'string' || value === '') fail(field, `must be a non-empty string, got ${describeValue(value)}`);
  return value;
}
