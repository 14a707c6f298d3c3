import type { MaybePromise } from '../ports/location-store';
import type { RegistrantKey, RegistrantRecord } from '../ports/registrant-store';
import type { RegistrantScheduler, RegistrantStatus } from '../registrant/registrant-scheduler';
import { parseUri } from '../sip/uri';
import { OPENSIPS_REGISTRANT_COLUMNS, registrantRecordFromRow, type RegistrantField } from '../stores/registrant-record-from-row';
import { parseListenAddress } from '../transports/listen-address';
import { invalidParam, MiError, MI_ERROR_CODES, type MiCommand, type MiParam, type MiParams } from './mi-command';
import { miTime } from './mi-time';

/**
 * A registrant store that `reg_upsert` and `reg_delete` also write, so the change outlives a
 * reload and a restart (`MemoryRegistrantStore`, `RedisRegistrantStore`). Without one
 * they change the running registrants only, as OpenSIPS does.
 */
export interface EditableRegistrantStore {
  /** Add the record or replace the one with its key. */
  put(record: RegistrantRecord): MaybePromise<boolean>;
  /** Remove the record with `key`; false when there was none. */
  delete(key: RegistrantKey): MaybePromise<boolean>;
}

/** The MI parameter of each record field: the OpenSIPS `registrant` column, but `contact` for the binding. */
const PARAM_OF: Readonly<Record<RegistrantField, string>> = Object.freeze({ ...OPENSIPS_REGISTRANT_COLUMNS, bindingUri: 'contact' });

const KEY_HELP = {
  aor: 'the AOR registered (To URI), as written in the registrant table',
  contact: 'the binding registered (Contact URI), as written in the registrant table',
  registrar: "the registrar's URI (Request-URI), as written in the registrant table",
} as const;

const keyParams = (required: boolean): MiParam[] =>
  (['aor', 'contact', 'registrar'] as const).map((name) => ({ name, kind: 'string', required, help: KEY_HELP[name] }));

/** The registrant key of `params`; undefined when none of the three is given, a -32602 error naming the one missing otherwise. */
function keyOf(params: MiParams): RegistrantKey | undefined {
  const given = (['aor', 'contact', 'registrar'] as const).filter((name) => params[name] !== undefined);
  if (given.length === 0) return undefined;
  const missing = (['aor', 'contact', 'registrar'] as const).find((name) => params[name] === undefined);
  if (missing !== undefined) throw invalidParam(missing, 'missing: give aor, contact and registrar together, or none of them');
  return { aor: params.aor as string, bindingUri: params.contact as string, registrar: params.registrar as string };
}

function requiredKey(params: MiParams): RegistrantKey {
  const key = keyOf(params);
  if (key === undefined) throw invalidParam('aor', 'missing: give aor, contact and registrar');
  return key;
}

const noSuchRegistrant = (key: RegistrantKey, where = ''): MiError =>
  new MiError(MI_ERROR_CODES.notFound, `No such registrant${where}`, { aor: key.aor, contact: key.bindingUri, registrar: key.registrar });

/**
 * A command on the one registrant its `aor`, `contact` and `registrar` name: `act` answers whether
 * there was one; the command answers `OK` (as OpenSIPS), or -32004 when there was none.
 */
function onRegistrant(name: string, help: string, act: (key: RegistrantKey) => Promise<boolean>): MiCommand {
  return {
    name,
    help,
    params: keyParams(true),
    run: async (params) => {
      const key = requiredKey(params);
      if (!(await act(key))) throw noSuchRegistrant(key);
      return 'OK';
    },
  };
}

/** The OpenSIPS name of a state, as `reg_list` prints it (`REGISTERED_STATE`). */
const stateName = (status: RegistrantStatus): string => `${status.state}_STATE`;

/**
 * One registrant as OpenSIPS `reg_list` prints it (`AOR`, `expires`, `state`, `enabled`,
 * `last_register_sent`, `registration_t_out`, `registrar`, `binding`, `binding_params`,
 * `third_party_registrant`, `socket`, `proxy`, `dst_IP`/`ip`, `shtag`/`cluster_id`), times in
 * ISO 8601, plus what sipreg knows besides: the state code, when the registration runs out, the
 * consecutive failures, the status of the last reply and why the state last changed. The
 * password is never shown.
 */
function registrantView(s: RegistrantStatus): Record<string, unknown> {
  const r = s.record;
  const shtag = /^(.*)\/(\d+)$/.exec(r.clusterShtag ?? '');
  return {
    AOR: r.aor,
    expires: s.expiresSec,
    state: stateName(s),
    state_code: s.stateCode,
    enabled: r.enabled ? 'yes' : 'no',
    last_register_sent: miTime(s.lastRegisterSentAt),
    registration_t_out: miTime(s.dueAt),
    registered_until: miTime(s.registeredUntil),
    registrar: r.registrar,
    binding: r.bindingUri,
    ...(r.bindingParams === undefined ? {} : { binding_params: r.bindingParams }),
    ...(r.thirdPartyRegistrant === undefined ? {} : { third_party_registrant: r.thirdPartyRegistrant }),
    ...(r.forcedSocket === undefined ? {} : { socket: r.forcedSocket }),
    ...(r.proxy === undefined ? {} : { proxy: r.proxy }),
    ...(s.destination === undefined ? {} : { dst_IP: s.destination.address.includes(':') ? 'IPv6' : 'IPv4', ip: s.destination.address, port: s.destination.port, transport: s.destination.protocol }),
    ...(shtag === null ? {} : { shtag: shtag[1], cluster_id: Number(shtag[2]) }),
    failures: s.failures,
    ...(s.lastStatus === undefined ? {} : { last_reply: s.lastStatus }),
    reason: s.lastReason,
  };
}

const URI_FIELDS: readonly RegistrantField[] = ['aor', 'bindingUri', 'registrar', 'proxy', 'thirdPartyRegistrant'];

/**
 * The record of a `reg_upsert`: the row the parameters make, checked as the stores check a row
 * (the `state` column: 0 enabled, else disabled), then the URIs, the binding parameters, the
 * forced socket and the sharing tag, each error naming its parameter.
 */
function upsertRecord(params: MiParams): RegistrantRecord {
  const record = registrantRecordFromRow((field) => params[PARAM_OF[field]], 'state', (field, problem) => {
    throw invalidParam(PARAM_OF[field], problem);
  });
  for (const field of URI_FIELDS) {
    const uri = record[field] as string | undefined;
    if (uri !== undefined && parseUri(uri) === undefined) throw invalidParam(PARAM_OF[field], `'${uri}' is not a sip:, sips: or tel: URI`);
  }
  if (record.bindingParams !== undefined && !record.bindingParams.startsWith(';')) {
    throw invalidParam('binding_params', `must start with ';' (e.g. ';reg-id=1;+sip.instance="<urn:uuid:...>"'), got '${record.bindingParams}'`);
  }
  if (record.forcedSocket !== undefined) {
    try {
      parseListenAddress(record.forcedSocket);
    } catch (e) {
      throw invalidParam('forced_socket', (e as Error).message);
    }
  }
  if (record.clusterShtag !== undefined && !/^[^/]+\/\d+$/.test(record.clusterShtag)) {
    throw invalidParam('cluster_shtag', `must be TAG/CLUSTER_ID, got '${record.clusterShtag}'`);
  }
  return record;
}

const UPSERT_PARAMS: readonly MiParam[] = [
  ...keyParams(true),
  { name: 'proxy', kind: 'string', help: 'outbound proxy URI the REGISTERs go through (empty: none)' },
  { name: 'third_party_registrant', kind: 'string', help: 'From URI of a third-party registration (empty: the AOR)' },
  { name: 'username', kind: 'string', help: 'digest username' },
  { name: 'password', kind: 'string', help: 'digest password' },
  { name: 'binding_params', kind: 'string', help: "Contact parameters, starting with ';'" },
  { name: 'expiry', kind: 'integer', help: 'expiry asked for, s (0 or absent: the default)' },
  { name: 'forced_socket', kind: 'string', help: 'local socket the REGISTERs leave from, proto:ip:port' },
  { name: 'cluster_shtag', kind: 'string', help: 'sharing tag TAG/CLUSTER_ID' },
  { name: 'state', kind: 'integer', help: '0 enabled (default), 1 disabled' },
];

/**
 * The OpenSIPS `uac_registrant` MI commands over a running {@link RegistrantScheduler}:
 * `reg_list`, `reg_list_record`, `reg_reload`, `reg_enable`, `reg_disable`, `reg_force_register`,
 * `reg_upsert`, `reg_delete`. A registrant is named by `aor`, `contact` and `registrar`, compared as
 * written; an unknown one is a -32004 error (OpenSIPS 404 `No such registrant`). Every change goes
 * through the scheduler, so it raises the same `stateChange` events as the timer's REGISTERs.
 *
 * @param store - where `reg_upsert` and `reg_delete` also write; without it they change the
 *   running registrants only (OpenSIPS), and the next `reg_reload` reads the table again.
 * @example
 * ```ts
 * const commands = registrantCommands(scheduler, registrantStore);
 * ```
 */
export function registrantCommands(scheduler: RegistrantScheduler, store?: EditableRegistrantStore): MiCommand[] {
  const persisted = store === undefined ? 'in memory only: the next reg_reload reads the registrant table again' : 'in memory and in the registrant store';
  return [
    {
      name: 'reg_list',
      help: 'every registrant with its state (the ten OpenSIPS uac_registrant states), registrar, binding, expiry and last reply',
      params: [],
      run: () => ({ Records: scheduler.list().map(registrantView) }),
    },
    {
      name: 'reg_list_record',
      help: 'one registrant, named by aor, contact and registrar',
      params: keyParams(true),
      run: (params) => {
        const key = requiredKey(params);
        const [status] = scheduler.list(key);
        if (status === undefined) throw noSuchRegistrant(key);
        return { Registrant: registrantView(status) };
      },
    },
    {
      name: 'reg_reload',
      help: 'read the registrants again from the store, all of them or the one named by aor, contact and registrar (as SIGHUP does)',
      params: keyParams(false),
      run: async (params) => {
        const key = keyOf(params);
        await scheduler.reload(key);
        if (key !== undefined && scheduler.list(key).length === 0) throw noSuchRegistrant(key, ' in the store');
        return 'OK';
      },
    },
    onRegistrant('reg_enable', 'enable a registrant and register it now; the store keeps the flag', (key) => scheduler.enable(key)),
    onRegistrant(
      'reg_disable',
      'disable a registrant: its unREGISTER goes out now and no REGISTER follows; the store keeps the flag',
      (key) => scheduler.disable(key),
    ),
    onRegistrant('reg_force_register', 'send the REGISTER of an enabled registrant now, whatever its refresh timer says', async (key) => {
      if (scheduler.list(key).length === 0) return false;
      scheduler.forceRegister(key);
      return true;
    }),
    {
      name: 'reg_upsert',
      help: `add a registrant or replace its record, with the registrant table's fields (${persisted})`,
      params: UPSERT_PARAMS,
      run: async (params) => {
        const record = upsertRecord(params);
        await store?.put(record);
        scheduler.upsert(record);
        return 'OK';
      },
    },
    onRegistrant('reg_delete', `remove a registrant, sending its unREGISTER when registered (${persisted})`, async (key) => {
      const stored = (await store?.delete(key)) ?? false;
      return scheduler.delete(key) || stored;
    }),
  ];
}
