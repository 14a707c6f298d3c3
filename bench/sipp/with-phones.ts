import { eventually } from '../../test/helpers/eventually';
import { freePort } from '../../test/helpers/free-port';
import { queryBindings } from '../../test/helpers/query-bindings';
import { startSippPhone, type SippPhone } from '../../test/helpers/sipp-phone';
import type { ManagedProcess } from '../../test/helpers/spawn-managed';

/** Each phone's out-of-call scenario, in order: `forking-phone-answers.xml`, `forking-phone-rings.xml`… */
export type PhoneScenarios = readonly string[];

/** SIPp options of a phone under load: large socket buffers and more work per loop turn. */
const LOADED_PHONE_ARGS = ['-buff_size', '4194304', '-max_recv_loops', '5000', '-max_sched_loops', '5000'];
const REGISTERED_TIMEOUT_MS = 10_000;

/**
 * Start a registrar with `start` on `port`, then a SIPp phone per entry of `scenarios`, each
 * registering `sip:USER@example.com` and answering at once (untraced, so they last a whole bench), and resolve once the
 * registrar lists them all. Answers the registrar's process, whose stop also stops the phones:
 * the benches read the CPU of that process tree alone, so the phones' work is not counted.
 */
export async function withPhones(start: (port: number) => Promise<ManagedProcess>, port: number, sippPath: string, user: string, scenarios: PhoneScenarios): Promise<ManagedProcess> {
  const server = await start(port);
  const phones: SippPhone[] = [];
  const stopAll = async (graceMs?: number): ReturnType<ManagedProcess['stop']> => {
    await Promise.all(phones.map((phone) => phone.stop()));
    return server.stop(graceMs);
  };
  try {
    for (const callScenario of scenarios) {
      phones.push(await startSippPhone({ sippPath, registrarPort: port, port: await freePort('udp'), user, callScenario, answerDelayMs: 0, trace: false, extraArgs: LOADED_PHONE_ARGS }));
    }
    await eventually(
      async () => ((await queryBindings(port, `sip:${user}@example.com`)).contacts.flatMap((value) => value.split(',')).filter((c) => c.trim() !== '').length >= scenarios.length ? true : undefined),
      `the ${scenarios.length} phones' bindings of ${user}`,
      REGISTERED_TIMEOUT_MS,
      () => phones.map((phone) => phone.process.output()).join('\n'),
      200,
    );
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { ...server, stop: stopAll };
}
