import { ConfigError } from '../errors/sdk-error';
import type { Reginfo } from '../reginfo/reginfo';
import type { ReginfoSubscriptionInfo } from '../reginfo/reginfo-subscriber';
import { invalidParam, MiError, MI_ERROR_CODES, type MiCommand } from './mi-command';
import { miTime } from './mi-time';

/** The AOR parameter of every command. */
const AOR_PARAM = { name: 'aor', kind: 'string', required: true, help: "the AOR, 'sip:user@domain'" } as const;

/** `run` with a {@link ConfigError} of the reg-event API answered as a -32602 error naming `param`. */
async function checked<T>(param: string, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof ConfigError) throw invalidParam(param, e.message);
    throw e;
  }
}

/** A subscription as the MI answers it: where it stands, until when, and the last answer (RFC 6665 §4.1). */
const subscriptionView = (s: ReginfoSubscriptionInfo): Record<string, unknown> => ({
  uri: s.uri,
  status: s.status,
  ...(s.expiresAt === undefined ? {} : { expires_at: miTime(s.expiresAt) }),
  ...(s.lastStatus === undefined ? {} : { last_reply: s.lastStatus }),
  ...(s.reason === undefined ? {} : { reason: s.reason }),
});

/**
 * The reg-event (RFC 3680) commands over a running {@link Reginfo}, named as the OpenSIPS
 * `pua_reginfo` functions they run:
 * - `reginfo_subscribe` (`aor` [, `expires`]): subscribe to the reg-event of `aor` at the server
 *   that holds it, keep the subscription alive and apply its NOTIFYs to the location; answers once
 *   the first SUBSCRIBE is answered (RFC 6665 §4.1.2), with where the subscription stands.
 * - `reginfo_update` (`aor`): publish the AOR's state now and send its watchers a full-state
 *   NOTIFY; -32004 when the AOR has no binding.
 *
 * With public identities in use (`useIdentities` and `publish`, OpenSIPS `ul_identities_key`), also:
 * - `reginfo_set_identities` (`aor`, `identities`): set the AOR's public identities
 *   ({@link Reginfo.setIdentities}: at most 32, over the configured ones; an empty list brings the
 *   configured ones back) and, when the AOR has bindings, publish them at once (`reginfo_update`);
 *   answers the AOR's identities now and whether they were published.
 * - `reginfo_identities` (`aor`): the AOR's public identities; -32004 when it has none.
 */
export function reginfoCommands(reginfo: Reginfo): MiCommand[] {
  const { useIdentities, publish } = reginfo.options;
  return [
    ...baseCommands(reginfo),
    ...(useIdentities && publish ? identityCommands(reginfo) : []),
  ];
}

/** `reginfo_subscribe` and `reginfo_update`. */
function baseCommands(reginfo: Reginfo): MiCommand[] {
  return [
    {
      name: 'reginfo_subscribe',
      help: 'subscribe to the reg-event of an AOR at another server and keep its bindings here in sync (RFC 3680)',
      params: [AOR_PARAM, { name: 'expires', kind: 'integer', help: 'subscription lifetime asked for, s (3600)' }],
      run: async (params) => {
        const expires = (params.expires as number | undefined) ?? 3600;
        if (expires < 1) throw invalidParam('expires', `must be a positive number of seconds, got ${expires}`);
        return subscriptionView(await checked('aor', () => reginfo.subscribe(params.aor as string, expires)));
      },
    },
    {
      name: 'reginfo_update',
      help: "publish an AOR's registration state now and NOTIFY its watchers with full state",
      params: [AOR_PARAM],
      run: async (params) => {
        const aor = params.aor as string;
        if (!(await checked('aor', () => reginfo.update(aor)))) throw new MiError(MI_ERROR_CODES.notFound, 'AOR has no binding', { aor });
        return 'OK';
      },
    },
  ];
}

/** `reginfo_set_identities` and `reginfo_identities`. */
function identityCommands(reginfo: Reginfo): MiCommand[] {
  return [
    {
      name: 'reginfo_set_identities',
      help: "set an AOR's public identities (ul_identities_key, at most 32; [] restores the configured ones) and publish them when it has bindings",
      params: [AOR_PARAM, { name: 'identities', kind: 'string[]', required: true, help: "sip:, sips: or tel: URIs, e.g. ['sip:alias@example.com', 'tel:+15551234']" }],
      run: async (params) => {
        const aor = params.aor as string;
        await checked('aor', () => reginfo.identities(aor));
        await checked('identities', () => reginfo.setIdentities(aor, params.identities as string[]));
        return { aor, identities: reginfo.identities(aor), published: await reginfo.update(aor) };
      },
    },
    {
      name: 'reginfo_identities',
      help: 'the public identities of an AOR (ul_identities_key): the ones set over the MI, else the configured ones',
      params: [AOR_PARAM],
      run: async (params) => {
        const aor = params.aor as string;
        const identities = await checked('aor', () => reginfo.identities(aor));
        if (identities.length === 0) throw new MiError(MI_ERROR_CODES.notFound, 'AOR has no identities', { aor });
        return { aor, identities };
      },
    },
  ];
}
