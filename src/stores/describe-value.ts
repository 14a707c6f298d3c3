/**
 * A stored or given value as an error message shows it: strings quoted (`"600"`), bigints with
 * their `n`, arrays and objects by kind, everything else as `String` does.
 */
export const describeValue = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
};
