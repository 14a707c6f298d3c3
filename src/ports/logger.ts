/**
 * A pino-compatible logging subset: `logger.info({ aor }, 'saved')`. A pino logger is one as it
 * is (`createRegistrar({ logger: pino() })`).
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /**
   * Whether entries at `level` are written (pino's `isLevelEnabled`). Per-request debug lines
   * (the registrar server's request log) are built only when it returns true, so nothing is
   * computed for them on the hot path when debug is off.
   * @defaultValue absent: every level counts as enabled and the logger filters
   */
  isLevelEnabled?(level: string): boolean;
}

const noop = (): void => {};

/** The default logger: discards everything (and says so, so that nothing is built for it). */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop, isLevelEnabled: () => false });
