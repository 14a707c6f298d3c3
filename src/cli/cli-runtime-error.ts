import { SdkError } from '../errors/sdk-error';

/**
 * A failure of the environment the CLI runs in, not of its command line: a port in use, a
 * directory or file that does not exist, a Redis that cannot be reached, a driver package not
 * installed. The CLI prints the message as one line (naming the flag, its value and the cause)
 * and exits with code 1.
 */
export class CliRuntimeError extends SdkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_SIPREG_RUNTIME', message, options);
  }
}
