import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { eventually } from './eventually';
import { messageLabel, readSippMessageTrace, type TracedMessage } from './sipp-message-trace';
import { spawnManaged, type ManagedProcess } from './spawn-managed';
import { REPOSITORY_ROOT } from './start-sipreg';

/** The scenario of every phone: REGISTER, then stay up for the calls (`forking-phone.xml`). */
export const PHONE_SCENARIO = join(REPOSITORY_ROOT, 'test', 'interop', 'scenarios', 'forking-phone.xml');

/** What each call scenario's phone exchanges with the proxy in a call, as {@link messageLabel}s. */
export const PHONE_EXCHANGES = {
  /** `forking-phone-answers.xml`: answered, then the caller's ACK and BYE (RFC 3261 §13.2.2.4, §15.1.2). */
  answers: ['in INVITE', 'out 180 INVITE', 'out 200 INVITE', 'in ACK', 'in BYE', 'out 200 BYE'],
  /** `forking-phone-rings.xml`: cancelled (§9.2), the 487 acknowledged hop by hop (§17.1.1.3). */
  rings: ['in INVITE', 'out 180 INVITE', 'in CANCEL', 'out 200 CANCEL', 'out 487 INVITE', 'in ACK'],
  /** `forking-phone-busy.xml`: refused, the 486 acknowledged hop by hop. */
  busy: ['in INVITE', 'out 180 INVITE', 'out 486 INVITE', 'in ACK'],
} as const;

/**
 * What the caller of `forking-call.xml` sends and gets when two phones ring and one answers
 * (RFC 3261 §16.7 step 5: the proxy's 100, both 180s relayed, exactly one 200).
 */
export const FORKED_CALL = ['out INVITE', 'in 100 INVITE', 'in 180 INVITE', 'in 180 INVITE', 'in 200 INVITE', 'out ACK', 'out BYE', 'in 200 BYE'] as const;

/** Options for {@link startSippPhone}. */
export interface SippPhoneOptions {
  /** Path of the `sipp` executable. */
  readonly sippPath: string;
  /** UDP port on 127.0.0.1 of the registrar it registers with. */
  readonly registrarPort: number;
  /** Its own UDP port on 127.0.0.1: its Contact. */
  readonly port: number;
  /** The user part of its AOR, `sip:USER@example.com`. */
  readonly user: string;
  /** What it does with each call it gets: the out-of-call scenario (`-oocsf`), one SIPp call per INVITE. */
  readonly callScenario: string;
  /**
   * The Contact's q value (RFC 3261 §10.2.1.2).
   * @defaultValue `"1.0"`
   */
  readonly q?: string;
  /**
   * The pause of its call scenario's plain `<pause />` (`-d`): how long `forking-phone-answers.xml` rings before it answers.
   * @defaultValue 500
   */
  readonly answerDelayMs?: number;
  /**
   * Trace every message it sends and receives (`-trace_msg`), for {@link SippPhone.messages}.
   * @defaultValue true
   */
  readonly trace?: boolean;
  /**
   * Further SIPp arguments (e.g. larger buffers under load).
   * @defaultValue none
   */
  readonly extraArgs?: readonly string[];
}

/** A SIPp phone registered with the registrar and taking calls until stopped. */
export interface SippPhone {
  readonly process: ManagedProcess;
  /** Its own UDP port. */
  readonly port: number;
  /** Every message traced so far (none without tracing). */
  messages(): TracedMessage[];
  /** The labels of the messages of the calls it got (all but its REGISTER and the 200 to it). */
  calls(): string[];
  /**
   * {@link calls} once there are `count` of them, or 10 s on with fewer (what the proxy still
   * sends it may arrive after the caller is done); `context()` is logged when they do not come.
   */
  callsOnceThere(count: number, context: () => string): Promise<string[]>;
  /** Stop SIPp and remove its trace (read {@link messages} first). */
  stop(): Promise<void>;
}

/** How long a phone stays up at most (the receive timeout after the REGISTER in `forking-phone.xml`). */
const LIFETIME_MS = 600_000;
const REGISTERED_TIMEOUT_MS = 10_000;
const CALLS_TIMEOUT_MS = 10_000;

/**
 * Start SIPp as a phone (RFC 3261 §10.2: it registers `sip:USER@example.com` with the registrar
 * at 127.0.0.1:`registrarPort`, Contact its own address and q), and resolve once the registrar's
 * 200 arrived (seen in the trace; without tracing once the process runs, the caller checks the
 * binding). Each INVITE it gets then runs `callScenario` on a SIPp call of its own.
 *
 * @throws Error when the phone exits or is not registered within 10 s.
 */
export async function startSippPhone(options: SippPhoneOptions): Promise<SippPhone> {
  const trace = options.trace ?? true;
  const workDir = mkdtempSync(join(tmpdir(), 'sipreg-sipp-phone-'));
  const messageFile = join(workDir, 'messages.log');
  const process = spawnManaged(options.sippPath, [
    `127.0.0.1:${options.registrarPort}`,
    '-sf', PHONE_SCENARIO,
    '-oocsf', options.callScenario,
    '-i', '127.0.0.1',
    '-p', String(options.port),
    '-m', '1',
    '-d', String(options.answerDelayMs ?? 500),
    '-nostdin',
    '-key', 'user', options.user,
    '-key', 'q', options.q ?? '1.0',
    ...(trace ? ['-trace_msg', '-message_file', messageFile, '-trace_err', '-error_file', join(workDir, 'errors.log')] : []),
    ...(options.extraArgs ?? []),
  ], { cwd: workDir, outputLimit: 16_384, killAfterMs: LIFETIME_MS + 30_000 });
  const messages = (): TracedMessage[] => readSippMessageTrace(messageFile);
  const stop = async (): Promise<void> => {
    await process.stop();
    rmSync(workDir, { recursive: true, force: true });
  };
  if (trace) {
    try {
      await eventually(
        () => (messages().some(({ direction, message }) => direction === 'in' && message.kind === 'response' && message.status === 200 && message.cseq.method === 'REGISTER') ? true : undefined),
        `the 200 to the REGISTER of phone ${options.user} on port ${options.port}`,
        REGISTERED_TIMEOUT_MS,
        () => `--- phone output:\n${process.output()}\n--- its messages:\n${messages().map(messageLabel).join('\n')}`,
      );
    } catch (error) {
      await stop();
      throw error;
    }
  }
  const calls = (): string[] => messages().filter(({ message }) => message.cseq.method !== 'REGISTER').map(messageLabel);
  const callsOnceThere = async (count: number, context: () => string): Promise<string[]> => {
    try {
      await eventually(() => (calls().length >= count ? true : undefined), `${count} messages at the phone on port ${options.port}`, CALLS_TIMEOUT_MS, context);
    } catch (error) {
      console.warn((error as Error).message);
    }
    return calls();
  };
  return { process, port: options.port, messages, calls, callsOnceThere, stop };
}
