/**
 * Per-call options of {@link Registrar.lookup}: the OpenSIPS `lookup()` flags as typed fields.
 * {@link parseLookupFlags} turns an OpenSIPS flag string into this object.
 */
export interface LookupOptions {
  /** Only the best target, no branches (`b`, `no-branches`). @defaultValue false */
  noBranches?: boolean;
  /** Every target as a branch, none as the new R-URI (`B`, `to-branches-only`). @defaultValue false */
  toBranchesOnly?: boolean;
  /**
   * Also expand these AORs (the request's existing branches) into targets (`r`, `branch`).
   * @defaultValue []
   */
  branchAors?: readonly string[];
  /** Skip bindings whose REGISTER `Allow` lacks the method (`m`, `method-filtering`). @defaultValue false */
  methodFiltering?: boolean;
  /** Keep only bindings whose User-Agent matches (`u/regexp/`, `ua-filtering=/regexp/`). */
  uaFilter?: RegExp;
  /** Drop bindings whose recorded ping latency exceeds this many µs (`yNN`, `max-ping-latency=NN`). */
  maxPingLatencyUs?: number;
  /** Order by recorded ping latency, fastest first (`Y`, `sort-by-latency`). @defaultValue false */
  sortByLatency?: boolean;
  /** AOR to look up instead of the R-URI's. */
  aor?: string;
}
