import type { Authenticator } from '../auth/authenticator';
import type { SourceGuard } from '../auth/source-guard';
import type { Logger } from '../ports/logger';
import type { Transport } from '../ports/transport';
import type { Registrar } from '../registrar/registrar';
import { createReginfo, type Reginfo } from '../reginfo/reginfo';
import { resolveReginfoSettings, type ReginfoOptions } from '../reginfo/reginfo-options';
import { ConfigError } from '../errors/sdk-error';
import { CliUsageError } from './cli-usage-error';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';
import { withOptionFlag } from './extension-flags';
import { readIdentitiesFile } from './reginfo-identities-file';

/** Flags of reg-event (RFC 3680): the OpenSIPS `pua_reginfo` module parameters with a `reginfo-` prefix. */
export const REGINFO_FLAGS: readonly FlagSpec[] = [
  { name: 'reginfo-server-address', kind: 'string', help: "server_address: this server's SIP URI for reg-event, e.g. sip:reginfo@127.0.0.1:5060; turns reg-event on (off)" },
  { name: 'reginfo-outbound-proxy', kind: 'string', help: 'outbound_proxy: SIP URI every PUBLISH and SUBSCRIBE goes through (none)' },
  { name: 'reginfo-default-domain', kind: 'string', help: 'default_domain: domain for AORs given without one (none)' },
  { name: 'reginfo-publish', kind: 'bool', help: 'publish_reginfo: a PUBLISH per binding change, 0/1 (1)' },
  { name: 'reginfo-publish-expires', kind: 'int', help: 'Expires of the PUBLISHes, refreshed before the end (3600)' },
  { name: 'reginfo-notifier', kind: 'bool', help: 'answer SUBSCRIBE Event: reg with full then partial NOTIFYs, 0/1 (1)' },
  { name: 'reginfo-subscribe', kind: 'string', repeatable: true, help: 'reginfo_subscribe: URI[,EXPIRES] to watch and apply to the location, repeatable (none)' },
  { name: 'reginfo-min-subscribe-expires', kind: 'int', help: 'shortest subscription accepted, else 423 (60)' },
  { name: 'reginfo-max-subscribe-expires', kind: 'int', help: 'longest subscription granted (7200)' },
  { name: 'reginfo-use-identities', kind: 'bool', help: 'ul_identities_key: publish an AOR only as its public identities (from --reginfo-identities or MI reginfo_set_identities), 0/1 (1 with --reginfo-identities, else 0)' },
  { name: 'reginfo-identities', kind: 'string', help: 'JSON file {"AOR": ["identity URI", ...]} of the public identities of each AOR (at most 32 each); re-read on SIGHUP (none)' },
];

/** ReginfoOptions names whose flag is not `reginfo-` + the option in kebab-case. */
const RENAMED: Readonly<Record<string, string>> = {
  publishExpiresSec: 'reginfo-publish-expires',
  minSubscribeExpiresSec: 'reginfo-min-subscribe-expires',
  maxSubscribeExpiresSec: 'reginfo-max-subscribe-expires',
  serverAddress: 'reginfo-server-address',
  outboundProxy: 'reginfo-outbound-proxy',
  defaultDomain: 'reginfo-default-domain',
};

/** `URI[,EXPIRES]` of `--reginfo-subscribe`. */
function subscription(spec: string): { uri: string; expiresSec: number } {
  const m = /^(sips?:[^,\s]+)(?:,(\d+))?$/.exec(spec.trim());
  if (m === null) throw new CliUsageError(`--reginfo-subscribe: expected URI[,EXPIRES] such as 'sip:alice@example.com,600', got '${spec}'`);
  const expiresSec = m[2] === undefined ? 3600 : Number(m[2]);
  if (expiresSec < 1) throw new CliUsageError(`--reginfo-subscribe: EXPIRES must be at least 1 second, got '${spec}'`);
  return { uri: m[1], expiresSec };
}

/** The reg-event flags as options, checked: everything but the registrar, transport and logger. */
export interface ReginfoFlagOptions {
  readonly options: Omit<ReginfoOptions, 'registrar' | 'transport' | 'logger'>;
  /** The `--reginfo-subscribe` subscriptions. */
  readonly subscriptions: readonly { readonly uri: string; readonly expiresSec: number }[];
  /** The `--reginfo-identities` file and what it held when the flags were checked. */
  readonly identities?: { readonly path: string; readonly table: ReadonlyMap<string, readonly string[]> };
}

/**
 * `useIdentities` of `--reginfo-use-identities` and `--reginfo-identities` (which turns it on),
 * and the file read.
 * @throws {@link CliUsageError} for a bad file ({@link readIdentitiesFile}), a file with
 *   `--reginfo-use-identities 0`, or identities with `--reginfo-publish 0` (only PUBLISHes carry them).
 */
function identitiesFrom(values: FlagValues, defaultDomain: string | undefined): Pick<ReginfoFlagOptions, 'identities'> & { useIdentities?: boolean } {
  const path = flagValue<string>(values, 'reginfo-identities');
  const use = flagValue<boolean>(values, 'reginfo-use-identities');
  if (path !== undefined && use === false) throw new CliUsageError('--reginfo-identities: the identities file is not used with --reginfo-use-identities 0');
  const flag = path !== undefined ? 'reginfo-identities' : use === true ? 'reginfo-use-identities' : undefined;
  if (flag !== undefined && flagValue<boolean>(values, 'reginfo-publish') === false) {
    throw new CliUsageError(`--${flag}: identities are what the PUBLISHes carry; they need --reginfo-publish 1`);
  }
  if (path === undefined) return { useIdentities: use };
  return { useIdentities: true, identities: { path, table: readIdentitiesFile(path, defaultDomain) } };
}

/**
 * The reg-event options of `sipreg registrar` when `--reginfo-server-address` is given (else
 * undefined), checked before anything is opened.
 * @throws {@link CliUsageError} naming the flag of a bad value.
 */
export function reginfoOptionsFrom(values: FlagValues): ReginfoFlagOptions | undefined {
  const serverAddress = flagValue<string>(values, 'reginfo-server-address');
  const subscriptions = (values.get('reginfo-subscribe') ?? []).map((v) => subscription(String(v)));
  if (serverAddress === undefined) {
    const orphan = REGINFO_FLAGS.find((f) => values.has(f.name));
    if (orphan !== undefined) throw new CliUsageError(`--${orphan.name} needs --reginfo-server-address (the URI NOTIFYs and SUBSCRIBEs reach this server at)`);
    return undefined;
  }
  const options = {
    serverAddress,
    outboundProxy: flagValue<string>(values, 'reginfo-outbound-proxy'),
    defaultDomain: flagValue<string>(values, 'reginfo-default-domain'),
    publish: flagValue<boolean>(values, 'reginfo-publish'),
    publishExpiresSec: flagValue<number>(values, 'reginfo-publish-expires'),
    notifier: flagValue<boolean>(values, 'reginfo-notifier'),
    minSubscribeExpiresSec: flagValue<number>(values, 'reginfo-min-subscribe-expires'),
    maxSubscribeExpiresSec: flagValue<number>(values, 'reginfo-max-subscribe-expires'),
  };
  try {
    resolveReginfoSettings(options);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(withOptionFlag(e.message, 'ReginfoOptions', RENAMED) ?? `--reginfo-server-address: ${e.message}`);
    throw e;
  }
  const { useIdentities, identities } = identitiesFrom(values, options.defaultDomain);
  return { options: { ...options, useIdentities }, subscriptions, ...(identities === undefined ? {} : { identities }) };
}

/** The protection the registrar's reg-event notifier shares with the registrar (`--auth-db`, the guard). */
export interface ReginfoProtection {
  /** Authenticates every SUBSCRIBE (RFC 3680 §6, 401 without valid credentials). */
  readonly auth?: Authenticator;
  /** Counts the SUBSCRIBEs whose credentials did not verify towards the source's ban. */
  readonly guard?: SourceGuard;
}

/** Give `reginfo` the identities of a `--reginfo-identities` file. @throws {@link CliUsageError} for an AOR the registrar's rules refuse or that is given twice. */
function loadIdentities(reginfo: Reginfo, identities: NonNullable<ReginfoFlagOptions['identities']>): void {
  try {
    reginfo.loadIdentities(identities.table);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliUsageError(`--reginfo-identities ${identities.path}: ${e.message}`);
    throw e;
  }
}

/**
 * Start the reg-event of {@link reginfoOptionsFrom} on the registrar and transport, with the
 * identities of `--reginfo-identities`, subscribed to every `--reginfo-subscribe`, with one log
 * line per subscription change and per PUBLISH that fails; its notifier authenticates with
 * `protection.auth` and reports refused credentials to `protection.guard`.
 * @throws {@link CliUsageError} for an AOR of the identities file that the registrar's rules refuse.
 */
export function startReginfo(flags: ReginfoFlagOptions, registrar: Registrar, transport: Transport, logger: Logger, protection: ReginfoProtection = {}): Reginfo {
  const reginfo = createReginfo({ ...flags.options, registrar, transport, logger, auth: protection.auth });
  if (flags.identities !== undefined) loadIdentities(reginfo, flags.identities);
  const { guard } = protection;
  if (guard !== undefined) reginfo.on('authFailed', (source) => guard.authFailed(source.address));
  reginfo.on('subscription', (s) => logger.info({ ...s }, 'reg-event subscription'));
  reginfo.on('publish', (p) => {
    if (typeof p.status !== 'number' || p.status >= 300) logger.warn({ ...p }, 'reg-event PUBLISH failed');
  });
  for (const s of flags.subscriptions) {
    reginfo.subscribe(s.uri, s.expiresSec).catch((e: unknown) => logger.error({ err: e, uri: s.uri }, 'reg-event SUBSCRIBE failed'));
  }
  return reginfo;
}

/**
 * On SIGHUP, read the `--reginfo-identities` file again and replace the configured identities
 * with it ({@link Reginfo.loadIdentities}; published with each AOR's next change); the ones set
 * over the MI stay. A file that cannot be read or is wrong is logged and the identities loaded
 * before stay. Returns the function that stops listening; without the file (or reg-event) nothing listens.
 */
export function reloadIdentitiesOnSighup(flags: ReginfoFlagOptions | undefined, reginfo: Reginfo | undefined, logger: Logger): () => void {
  const file = flags?.identities;
  if (file === undefined || reginfo === undefined) return () => undefined;
  const reload = (): void => {
    try {
      const table = readIdentitiesFile(file.path, flags?.options.defaultDomain);
      loadIdentities(reginfo, { path: file.path, table });
      logger.info({ path: file.path, aors: table.size }, 'reg-event identities reloaded');
    } catch (e) {
      logger.error({ error: e instanceof Error ? e.message : String(e) }, 'reg-event identities reload failed; the identities loaded before stay');
    }
  };
  process.on('SIGHUP', reload);
  return () => {
    process.off('SIGHUP', reload);
  };
}
