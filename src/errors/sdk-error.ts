/**
 * Errors sipreg throws. Only programmer errors and adapter failures are thrown;
 * a SIP error reply is a value ({@link RegError}), never an exception.
 * @packageDocumentation
 */

/** Base class of every error sipreg throws. `code` is stable and machine-readable. */
export class SdkError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad options at construction, an invalid argument, or use after `close()`. Fix the calling code. */
export class ConfigError extends SdkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SIPREG_CONFIG', message, options);
  }
}

/** A {@link LocationStore} backend failed. `cause` holds the driver error. */
export class StoreError extends SdkError {
  /** True when retrying later may succeed (connection lost, busy): the registrar answers 503. */
  readonly transient: boolean;
  constructor(message: string, options?: { cause?: unknown; transient?: boolean }) {
    super('ERR_SIPREG_STORE', message, options);
    this.transient = options?.transient ?? false;
  }
}

/** A {@link Transport} failed to bind, send or connect. `cause` holds the socket error. */
export class TransportError extends SdkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SIPREG_TRANSPORT', message, options);
  }
}
