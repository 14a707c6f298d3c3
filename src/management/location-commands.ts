import type { Binding } from '../ports/binding';
import { StoreError } from '../errors/sdk-error';
import type { BindingChange } from '../registrar/binding-change';
import { queryAor } from '../registrar/aor';
import { formatQValue, parseQValue } from '../registrar/contact-values';
import { liveAt } from '../registrar/registration-queries';
import type { Registrar } from '../registrar/registrar';
import { MAX_DELTA_SECONDS } from '../sip/headers/delta-seconds';
import { invalidParam, MiError, MI_ERROR_CODES, type MiCommand, type MiParam, type MiParams } from './mi-command';
import { methodMask, methodsOfMask } from './method-mask';
import { pageAors } from './page-aors';

/** Options of {@link locationCommands}. */
export interface LocationCommandsOptions {
  /**
   * The usrloc table (OpenSIPS domain) the commands answer for: `table_name` must name it.
   * @defaultValue `'location'`
   */
  readonly table?: string;
}

/** AORs per `ul_dump` page when `limit` is not given. */
const UL_DUMP_DEFAULT_LIMIT = 1000;
/** The largest `limit` of one `ul_dump` page. */
const UL_DUMP_MAX_LIMIT = 10_000;

/** What `ul_add` writes for the fields a REGISTER would set (OpenSIPS `mi_ul_cid`, `MI_UL_CSEQ`, `mi_ul_ua`). */
const MI_CALL_ID = 'sipreg-mi@location';
const MI_CSEQ = 1;
const MI_USER_AGENT = 'sipreg MI';

/** `BindingFlags` bits `ul_add` accepts (nat … reginfo). */
const KNOWN_FLAGS = 63;

const tableParam = (required: boolean): MiParam => ({ name: 'table_name', kind: 'string', required, help: "the usrloc table: 'location'" });
const AOR_PARAM: MiParam = { name: 'aor', kind: 'string', required: true, help: 'the address-of-record (sip:user@domain or user@domain)' };
const CONTACT_PARAM: MiParam = { name: 'contact', kind: 'string', required: true, help: 'the Contact URI, exactly as registered' };

/** A contact as OpenSIPS usrloc MI prints it (`ul_dump`, `ul_show_contact`). */
type MiContact = Readonly<Record<string, string | number>>;

/**
 * One binding as OpenSIPS usrloc MI prints a contact: `Contact`, `Expires` (seconds left), `Q`
 * (`''` when the UA gave none), `Callid`, `Cseq`, `User-agent`, `Received`, `Path` (comma-joined,
 * RFC 3327), `Flags`, `Cflags`, `Socket`, `Methods` (OpenSIPS bit mask), `Attr`, `SIP_instance`
 * (RFC 5626), the optional ones only when set.
 */
function contactOf(b: Binding, nowMs: number): MiContact {
  const c: Record<string, string | number> = {
    Contact: b.contact,
    Expires: Math.ceil((b.expiresAt - nowMs) / 1000),
    Q: b.q < 0 ? '' : formatQValue(b.q),
    Callid: b.callId,
    Cseq: b.cseq,
  };
  if (b.userAgent !== undefined) c['User-agent'] = b.userAgent;
  if (b.received !== undefined) c.Received = b.received;
  if (b.path !== undefined && b.path.length > 0) c.Path = b.path.join(',');
  c.Flags = b.flags;
  c.Cflags = '';
  if (b.socket !== undefined) c.Socket = b.socket;
  c.Methods = methodMask(b.methods);
  if (b.attr !== undefined) c.Attr = b.attr;
  if (b.instanceId !== undefined) c.SIP_instance = b.instanceId;
  return c;
}

/** A store failure as the caller should see it: -32003 (try again) when transient, else -32603 with its message. */
async function storeWork<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof StoreError)) throw error;
    throw new MiError(error.transient ? MI_ERROR_CODES.unavailable : MI_ERROR_CODES.internalError, `location store: ${error.message}`);
  }
}

/** `value` as a boolean flag of `ul_dump`: `brief` (OpenSIPS's word), or 1/0, true/false, yes/no. */
function briefOf(value: unknown): boolean {
  if (value === undefined) return false;
  const text = String(value).toLowerCase();
  if (['brief', '1', 'true', 'yes'].includes(text)) return true;
  if (['', '0', 'false', 'no'].includes(text)) return false;
  throw invalidParam('brief', `must be 'brief' (AOR names only) or absent, got ${JSON.stringify(value)}`);
}

/** An integer parameter within `min`..`max`, or its default when absent. */
function integerIn(params: MiParams, name: string, min: number, max: number, fallback: number): number {
  const value = params[name];
  if (value === undefined) return fallback;
  const n = value as number;
  if (n < min || n > max) throw invalidParam(name, `must be in ${min}..${max}, got ${n}`);
  return n;
}

/** The binding `ul_add` writes: OpenSIPS `insert_ucontact`/`update_ucontact` with the MI's Call-ID and User-Agent. */
function addedBinding(params: MiParams, previous: Binding | undefined, nowMs: number): Binding {
  const expires = params.expires as number;
  const b: { -readonly [K in keyof Binding]: Binding[K] } = {
    contact: params.contact as string,
    callId: MI_CALL_ID,
    cseq: previous?.cseq ?? MI_CSEQ,
    expiresAt: nowMs + expires * 1000,
    q: -1,
    updatedAt: nowMs,
    flags: params.flags === undefined ? 0 : (params.flags as number),
    userAgent: MI_USER_AGENT,
  };
  const q = params.q as string | undefined;
  if (q !== undefined && q !== '') b.q = parseQValue(q)!;
  const methods = params.methods === undefined ? undefined : methodsOfMask(params.methods as number);
  if (methods !== undefined && methods !== null) b.methods = methods;
  return b;
}

/** The `ul_add` parameters a binding cannot take, as a -32602 error; undefined when they all fit. */
function checkAdd(params: MiParams): MiError | undefined {
  const expires = params.expires as number;
  if (expires < 1 || expires > MAX_DELTA_SECONDS) {
    return invalidParam('expires', `must be in 1..${MAX_DELTA_SECONDS} seconds (sipreg has no permanent contacts), got ${expires}`);
  }
  const q = params.q as string | undefined;
  if (q !== undefined && q !== '' && parseQValue(q) === undefined) return invalidParam('q', `must be a q-value 0..1 (RFC 3261 §20.10), got '${q}'`);
  const flags = params.flags as number | undefined;
  if (flags !== undefined && (flags < 0 || (flags & ~KNOWN_FLAGS) !== 0)) return invalidParam('flags', `must be a combination of the binding flag bits 1..32 (nat, memory-only, push, cached, push-upstream, reginfo), got ${flags}`);
  const cflags = params.cflags;
  if (cflags !== undefined && cflags !== '' && cflags !== '0') return invalidParam('cflags', 'sipreg bindings have no branch flags: pass 0 or leave it out');
  if (params.methods !== undefined && methodsOfMask(params.methods as number) === null) {
    return invalidParam('methods', `must be an OpenSIPS method mask of bits 1..8192 (INVITE … PUBLISH) or 4294967295 (all), got ${String(params.methods)}`);
  }
  return undefined;
}

/**
 * The OpenSIPS usrloc MI commands over a registrar's location (RFC 3261 §10.2 location service):
 * - `ul_dump [brief] [limit] [cursor]`: the AORs and their live contacts, one page at a time
 *   (`limit` AORs, 1000 by default, 10000 at most) so that a million bindings are never held in
 *   one answer: `{ Domains: [{ name, AORs: [{ AOR, Contacts }] }], next_cursor }`, the next page
 *   asked with `cursor: next_cursor` until it is `null`. The first page (no cursor) also carries
 *   `count: { aors, bindings }` as the store counts them (expired bindings not purged yet
 *   included); later pages do not, since a shared store counts by a full scan.
 * - `ul_show_contact table_name aor`: `{ AOR, Contacts }` of the AOR's live contacts; -32004
 *   when it has none.
 * - `ul_rm table_name aor`, `ul_rm_contact table_name aor contact`: remove the AOR's bindings,
 *   or the one with exactly that Contact URI, through {@link Registrar.remove}; -32004 when
 *   there is nothing to remove.
 * - `ul_add table_name aor contact expires [q] [unused] [flags] [cflags] [methods]`: add the
 *   contact, or replace the one with that URI (keeping its CSeq), as OpenSIPS does with the MI's
 *   own Call-ID and User-Agent; `expires` in seconds (OpenSIPS's 0, permanent, is refused),
 *   `flags` binding flag bits, `methods` the OpenSIPS method mask.
 * - `ul_sync [table_name] [aor]`: nothing to do, and says so: sipreg stores write through.
 *
 * Every change goes through {@link Registrar.editBindings} (compare-and-set, then the events
 * `inserted`/`updated`/`deleted` and the extensions' hooks), so reg-event, push and the other
 * nodes of a shared store see it like SIP traffic. `table_name` must be the configured table
 * (-32602 naming it otherwise); AORs are taken as the registrar's queries take them.
 */
export function locationCommands(registrar: Registrar, options: LocationCommandsOptions = {}): MiCommand[] {
  const table = options.table ?? 'location';
  const store = registrar.options.store;
  const clock = registrar.options.clock;
  const aorRules = { ...registrar.options, domains: [] };

  const checkTable = (params: MiParams): void => {
    const name = params.table_name;
    if (name !== undefined && name !== table) throw invalidParam('table_name', `no table '${String(name)}': this registrar's location is '${table}'`);
  };
  const aorOf = (params: MiParams): string => {
    checkTable(params);
    const aor = queryAor(params.aor as string, aorRules);
    if (aor === undefined) throw invalidParam('aor', `'${String(params.aor)}' is not an AOR: pass sip:user@domain or user@domain`);
    return aor;
  };
  const liveContacts = async (aor: string): Promise<MiContact[]> => {
    const now = clock.now();
    const snapshot = await storeWork(async () => store.load(aor));
    return liveAt(snapshot.bindings, now).map((b) => contactOf(b, now));
  };

  return [
    {
      name: 'ul_dump',
      help: 'list the AORs and their contacts, one page at a time (limit, cursor)',
      params: [
        { name: 'brief', kind: 'string', help: "'brief': AOR names only" },
        { name: 'limit', kind: 'integer', help: `AORs per page (default ${UL_DUMP_DEFAULT_LIMIT}, at most ${UL_DUMP_MAX_LIMIT})` },
        { name: 'cursor', kind: 'string', help: "the previous page's next_cursor" },
      ],
      async run(params) {
        const brief = briefOf(params.brief);
        const limit = integerIn(params, 'limit', 1, UL_DUMP_MAX_LIMIT, UL_DUMP_DEFAULT_LIMIT);
        const cursor = params.cursor as string | undefined;
        const page = await storeWork(() => pageAors(store, cursor, limit));
        const aors: { AOR: string; Contacts?: MiContact[] }[] = [];
        if (brief) for (const aor of page.aors) aors.push({ AOR: aor });
        else {
          const contacts = await Promise.all(page.aors.map(liveContacts));
          page.aors.forEach((aor, k) => {
            if (contacts[k].length > 0) aors.push({ AOR: aor, Contacts: contacts[k] });
          });
        }
        const count = cursor === undefined ? { count: await storeWork(async () => store.count()) } : {};
        return { Domains: [{ name: table, AORs: aors }], ...count, next_cursor: page.next ?? null };
      },
    },
    {
      name: 'ul_show_contact',
      help: "show an AOR's contacts",
      params: [tableParam(true), AOR_PARAM],
      async run(params) {
        const aor = aorOf(params);
        const contacts = await liveContacts(aor);
        if (contacts.length === 0) throw new MiError(MI_ERROR_CODES.notFound, 'AOR not found', { aor });
        return { AOR: aor, Contacts: contacts };
      },
    },
    {
      name: 'ul_rm',
      help: 'remove an AOR with all its contacts',
      params: [tableParam(true), AOR_PARAM],
      async run(params) {
        const aor = aorOf(params);
        const removed = await storeWork(() => registrar.remove({ aor }));
        if (removed === 0) throw new MiError(MI_ERROR_CODES.notFound, 'AOR not found', { aor });
        return 'OK';
      },
    },
    {
      name: 'ul_rm_contact',
      help: 'remove one contact of an AOR',
      params: [tableParam(true), AOR_PARAM, CONTACT_PARAM],
      async run(params) {
        const aor = aorOf(params);
        const contact = params.contact as string;
        const removed = await storeWork(() => registrar.remove({ aor, contact }));
        if (removed > 0) return 'OK';
        const known = (await storeWork(async () => store.load(aor))).bindings.length > 0;
        throw new MiError(MI_ERROR_CODES.notFound, known ? 'Contact not found' : 'AOR not found', { aor, contact });
      },
    },
    {
      name: 'ul_add',
      help: 'add or replace a contact of an AOR',
      params: [
        tableParam(true),
        AOR_PARAM,
        CONTACT_PARAM,
        { name: 'expires', kind: 'integer', required: true, help: 'lifetime in seconds' },
        { name: 'q', kind: 'string', help: "q-value 0..1 (RFC 3261 §20.10); '' for none" },
        { name: 'unused', kind: 'string', help: 'ignored (kept for OpenSIPS positional calls)' },
        { name: 'flags', kind: 'integer', help: 'binding flag bits: 1 nat, 2 memory-only, 4 push, 8 cached, 16 push-upstream, 32 reginfo' },
        { name: 'cflags', kind: 'string', help: 'branch flags: sipreg has none, 0 or absent' },
        { name: 'methods', kind: 'integer', help: 'OpenSIPS method mask (1 INVITE … 8192 PUBLISH), 4294967295 for all' },
      ],
      async run(params) {
        const aor = aorOf(params);
        const refused = checkAdd(params);
        if (refused !== undefined) throw refused;
        const contact = params.contact as string;
        await storeWork(() => registrar.editBindings(aor, (bindings, nowMs) => {
          const previous = bindings.find((b) => b.contact === contact);
          const binding = addedBinding(params, previous, nowMs);
          const change: BindingChange = previous === undefined ? { kind: 'inserted', aor, binding } : { kind: 'updated', aor, binding, previous };
          return { bindings: [...bindings.filter((b) => b !== previous), binding], changes: [change] };
        }));
        return 'OK';
      },
    },
    {
      name: 'ul_sync',
      help: 'nothing to do: sipreg stores write through',
      params: [tableParam(false), { name: 'aor', kind: 'string', help: 'an AOR (ignored)' }],
      run(params) {
        checkTable(params);
        return 'OK: nothing to sync, every change is written to the location store as it is made';
      },
    },
  ];
}
