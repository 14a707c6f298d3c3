/** Per-call options over the registrar's defaults; no copy when either side is empty (the hot path). */
export function withDefaults<D extends object, O extends D>(defaults: D, options: O | undefined): D | O {
  if (options === undefined) return defaults;
  for (const _ in defaults) return { ...defaults, ...options };
  return options;
}
