import { SdkError } from '../errors/sdk-error';

/** A bad command line: the CLI prints the message and exits with code 2. */
export class CliUsageError extends SdkError {
  constructor(message: string) {
    super('ERR_SIPREG_USAGE', message);
  }
}
