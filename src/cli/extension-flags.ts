import type { RegistrarOptions } from '../registrar/registrar-options';
import type { GruuOptions } from '../features/gruu/gruu-options';
import type { OutboundOptions } from '../features/outbound/outbound-options';
import type { PushOptions } from '../features/push/push-options';
import { createWebhookPushNotifier } from '../features/push/webhook-push-notifier';
import type { FlagSpec, FlagValues } from './parse-args';
import { flagValue } from './parse-args';

/**
 * Flags of the registrar extensions: the OpenSIPS GRUU and `pn_*` module parameters in
 * kebab-case with the same value syntax, plus outbound (RFC 5626), Service-Route (RFC 3608) and
 * the push webhook. Path modes come through `--save-flags` (`p0 p1 p2 v`, `path-*`).
 */
export const EXTENSION_FLAGS: readonly FlagSpec[] = [
  { name: 'disable-gruu', kind: 'bool', help: 'no GRUUs in 200 OKs and lookups, 0/1 (1)' },
  { name: 'gruu-secret', kind: 'string', repeatable: true, help: 'secret sealing temporary GRUUs; repeat to rotate, first seals (OpenSIPS)' },
  { name: 'outbound', kind: 'bool', help: 'RFC 5626 flows for Contacts with +sip.instance and reg-id, 0/1 (1)' },
  { name: 'flow-timer', kind: 'int', help: 'Flow-Timer seconds announced to outbound UAs; 0 none (0)' },
  { name: 'service-route', kind: 'string', repeatable: true, help: 'Service-Route value added to every 200 OK, repeatable (none)' },
  { name: 'pn-enable', kind: 'bool', help: 'RFC 8599 push notifications, 0/1 (0)' },
  { name: 'pn-providers', kind: 'string', help: "push services accepted, e.g. 'apns, fcm, webpush' (none)" },
  { name: 'pn-ct-match-params', kind: 'string', help: 'Contact URI params identifying a device (pn-provider, pn-prid, pn-param)' },
  { name: 'pn-pnsreg-interval', kind: 'int', help: '+sip.pnsreg seconds before expiry a UA refreshes itself (130)' },
  { name: 'pn-trigger-interval', kind: 'int', help: 'push a binding not refreshed this many s before expiry (120)' },
  { name: 'pn-skip-pn-interval', kind: 'int', help: 'no push within this many s after a registration (0)' },
  { name: 'pn-refresh-timeout', kind: 'int', help: 'wait this many s for the pushed device to re-register (6)' },
  { name: 'pn-enable-purr', kind: 'bool', help: 'hand out PURRs (+sip.pnspurr) for long dialogs, 0/1 (0)' },
  { name: 'pn-purr-secret', kind: 'string', repeatable: true, help: 'secret sealing PURRs; repeat to rotate, first seals (none)' },
  { name: 'pn-max-push-attempts', kind: 'int', help: 'pushes per wake-up, retries with backoff; 1 = OpenSIPS (3)' },
  { name: 'pn-webhook', kind: 'string', help: 'POST each push as JSON to this http(s) URL (events only)' },
];

/** Library option names of the extension flags, to name the flag in an option error. */
const OPTION_FLAGS: Readonly<Record<string, string>> = {
  'GruuOptions.enabled': 'disable-gruu',
  'GruuOptions.secret': 'gruu-secret',
  'OutboundOptions.flowTimer': 'flow-timer',
  'PushOptions.providers': 'pn-providers',
  'PushOptions.ctMatchParams': 'pn-ct-match-params',
  'PushOptions.pnsregIntervalSec': 'pn-pnsreg-interval',
  'PushOptions.triggerIntervalSec': 'pn-trigger-interval',
  'PushOptions.skipPnIntervalSec': 'pn-skip-pn-interval',
  'PushOptions.refreshTimeoutSec': 'pn-refresh-timeout',
  'PushOptions.purrSecret': 'pn-purr-secret',
  'PushOptions.maxPushAttempts': 'pn-max-push-attempts',
};

/**
 * An option error of the library, with the CLI flag it came from named first
 * (`PushOptions.providers ...` → `--pn-providers: PushOptions.providers ...`).
 */
export function withFlagName(message: string): string {
  for (const [option, flag] of Object.entries(OPTION_FLAGS)) {
    if (message.startsWith(option)) return `--${flag}: ${message}`;
  }
  return withOptionFlag(message, 'RegistrarOptions') ?? message;
}

/**
 * `<type>.someOption ...` → `--some-option: <type>.someOption ...`: the flag of a module
 * parameter is its option in kebab-case, or the name `rename` gives; undefined for another type.
 */
export function withOptionFlag(message: string, type: string, rename: Readonly<Record<string, string>> = {}): string | undefined {
  const m = new RegExp(`^${type}\\.([A-Za-z]+)`).exec(message);
  if (m === null) return undefined;
  return `--${rename[m[1]] ?? m[1].replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${message}`;
}

function all(values: FlagValues, name: string): string[] | undefined {
  const list = values.get(name);
  return list === undefined ? undefined : list.map(String);
}

/** Drop the keys whose value is undefined, so that option defaults apply. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The {@link RegistrarOptions} of the extension flags given (the rest keeps its defaults). */
export function extensionOptions(values: FlagValues): Partial<RegistrarOptions> {
  const disableGruu = flagValue<boolean>(values, 'disable-gruu');
  const gruu: GruuOptions = defined({
    enabled: disableGruu === undefined ? undefined : !disableGruu,
    secret: all(values, 'gruu-secret'),
  });
  const outbound: OutboundOptions = defined({ enabled: flagValue<boolean>(values, 'outbound'), flowTimer: flagValue<number>(values, 'flow-timer') });
  const push: PushOptions = defined({
    enabled: flagValue<boolean>(values, 'pn-enable'),
    providers: flagValue<string>(values, 'pn-providers'),
    ctMatchParams: flagValue<string>(values, 'pn-ct-match-params'),
    pnsregIntervalSec: flagValue<number>(values, 'pn-pnsreg-interval'),
    triggerIntervalSec: flagValue<number>(values, 'pn-trigger-interval'),
    skipPnIntervalSec: flagValue<number>(values, 'pn-skip-pn-interval'),
    refreshTimeoutSec: flagValue<number>(values, 'pn-refresh-timeout'),
    enablePurr: flagValue<boolean>(values, 'pn-enable-purr'),
    purrSecret: all(values, 'pn-purr-secret'),
    maxPushAttempts: flagValue<number>(values, 'pn-max-push-attempts'),
  });
  const webhook = flagValue<string>(values, 'pn-webhook');
  return defined({
    gruu,
    outbound,
    push,
    serviceRoute: all(values, 'service-route'),
    pushNotifier: webhook === undefined ? undefined : createWebhookPushNotifier(webhook),
  });
}
