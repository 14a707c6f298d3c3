import type { MidRegistrar } from '../mid-registrar/mid-registrar';
import type { Registrar } from '../registrar/registrar';
import type { RegistrantScheduler } from '../registrant/registrant-scheduler';
import type { StatisticsGroup } from './mi-command';

/** The usrloc table sipreg's location is, in the OpenSIPS per-table statistic names (`location-users` ...). */
const TABLE = 'location';

/**
 * A group whose `counters` can be reset (OpenSIPS `reset_statistics`): the components keep
 * counting from their start, so a reset takes their current values as the zero the next reads
 * subtract; the other statistics (gauges, configuration) are read as they are.
 */
function statisticsGroup(group: string, read: () => Promise<Record<string, number>>, counters: readonly string[]): StatisticsGroup {
  let zero: Readonly<Record<string, number>> = {};
  return {
    group,
    async read() {
      const raw = await read();
      for (const name of counters) raw[name] -= zero[name] ?? 0;
      return raw;
    },
    async reset(names = counters) {
      const raw = await read();
      zero = { ...zero, ...Object.fromEntries(counters.filter((name) => names.includes(name)).map((name) => [name, raw[name]])) };
    },
  };
}

/**
 * OpenSIPS `registrar:` (`max_expires`, `max_contacts`, `default_expire` as configured;
 * `accepted_regs`, `rejected_regs` counters) and `usrloc:` (`registered_users` AORs,
 * `location-users`, `location-contacts` stored now, `location-expires` bindings that expired)
 * over {@link Registrar.stats}.
 */
export function registrarStatisticsGroups(registrar: Registrar): StatisticsGroup[] {
  return [
    statisticsGroup('registrar', async () => {
      const s = await registrar.stats();
      return { max_expires: s.maxExpires, max_contacts: s.maxContacts, default_expire: s.defaultExpires, accepted_regs: s.acceptedRegs, rejected_regs: s.rejectedRegs };
    }, ['accepted_regs', 'rejected_regs']),
    statisticsGroup('usrloc', async () => {
      const s = await registrar.stats();
      return { registered_users: s.aors, [`${TABLE}-users`]: s.aors, [`${TABLE}-contacts`]: s.bindings, [`${TABLE}-expires`]: s.expired };
    }, [`${TABLE}-expires`]),
  ];
}

/**
 * The mid-registrar's local `registrar:` and `usrloc:` groups, and `mid_registrar:`
 * (`absorbed_regs` answered here, `forwarded_regs` to the main registrar, `deregisters_sent`
 * accepted upstream, `deregisters_failed`) over {@link MidRegistrar.stats}. OpenSIPS's
 * mid_registrar exports no statistics of its own: these names are sipreg's.
 */
export function midRegistrarStatisticsGroups(mid: MidRegistrar): StatisticsGroup[] {
  return [
    ...registrarStatisticsGroups(mid.registrar),
    statisticsGroup('mid_registrar', async () => {
      const s = await mid.stats();
      return { absorbed_regs: s.absorbed, forwarded_regs: s.forwarded, deregisters_sent: s.deRegistersSent, deregisters_failed: s.deRegistersFailed };
    }, ['absorbed_regs', 'forwarded_regs', 'deregisters_sent', 'deregisters_failed']),
  ];
}

/**
 * `uac_registrant:` over {@link RegistrantScheduler.stats}: `registrants`, `enabled_registrants`,
 * `registered_registrants`, `failed_registrants`, all counted now (none resets).
 */
export function registrantStatisticsGroups(scheduler: RegistrantScheduler): StatisticsGroup[] {
  return [{
    group: 'uac_registrant',
    read: async () => {
      const s = scheduler.stats();
      return { registrants: s.registrants, enabled_registrants: s.enabledRegistrants, registered_registrants: s.registeredRegistrants, failed_registrants: s.failedRegistrants };
    },
  }];
}
