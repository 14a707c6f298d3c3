import type { Logger } from '../ports/logger';

/** Log levels of the CLI, quietest first. */
export const LOG_LEVELS = ['silent', 'error', 'warn', 'info', 'debug'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * A {@link Logger} writing one JSON line per entry to stderr, at or above `level`; its
 * `isLevelEnabled` tells which levels those are.
 */
export function stderrLogger(level: LogLevel): Logger {
  const rank = LOG_LEVELS.indexOf(level);
  const at = (name: LogLevel) => (obj: object, msg?: string): void => {
    if (LOG_LEVELS.indexOf(name) > rank) return;
    const entry = { time: new Date().toISOString(), level: name, msg, ...obj };
    process.stderr.write(`${JSON.stringify(entry, (_k, v: unknown) => (v instanceof Error ? { message: v.message, code: (v as { code?: unknown }).code } : v))}\n`);
  };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    isLevelEnabled: (name: string) => {
      const wanted = LOG_LEVELS.indexOf(name as LogLevel);
      return wanted > 0 && wanted <= rank;
    },
  };
}
