/**
 * How a registrar treats the Path header of a REGISTER (RFC 3327; OpenSIPS save flags `p0`,
 * `p1`, `p2`):
 * - `off`: store the Path, never echo it in the 200;
 * - `lazy`: store it, echo it when the UA sent `Supported: path`;
 * - `strict`: store and echo it; a Path without `Supported: path` gets
 *   `420 Bad Extension` with `Unsupported: path` (the mode RFC 3327 §5.3 recommends).
 *
 * Without a mode (no `p` flag) the Path is neither stored nor echoed, as in OpenSIPS.
 */
export type PathMode = 'off' | 'lazy' | 'strict';
