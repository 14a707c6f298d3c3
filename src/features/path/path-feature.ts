import { regError } from '../../errors/reg-error';
import { BindingFlags } from '../../ports/binding';
import { parseUri } from '../../sip/uri';
import type { SipRequest } from '../../sip/message';
import type { RegistrarFeature, ReplyHeader, SaveHookContext } from '../registrar-feature';

/** Options of {@link createPathFeature}. */
export interface PathFeatureOptions {
  /**
   * Service-Route values added to every 200 to a REGISTER (RFC 3608 §6), e.g.
   * `['<sip:orig@scscf.example.com;lr>']`; the UA uses them as the preloaded route of its
   * requests. @defaultValue []
   */
  readonly serviceRoute?: readonly string[];
}

const supportsPath = (request: SipRequest): boolean => request.supported.includes('path');

/** The Path header values of a REGISTER, as written (top first). */
const pathValues = (request: SipRequest): string[] => request.path.map((p) => p.raw);

/** The Path values joined into one header value, for the 200 or the 420. */
const pathHeader = (request: SipRequest): ReplyHeader => ['Path', pathValues(request).join(', ')];

/**
 * The `received` parameter of the first Path URI (OpenSIPS save flag `v`): a load balancer in
 * front of the registrar records there the address the REGISTER really came from.
 */
function pathReceived(request: SipRequest): string | undefined {
  const first = request.path[0];
  if (first === undefined) return undefined;
  const value = parseUri(first.uri)?.params.received;
  if (value === undefined || value === null || value === '') return undefined;
  const unquoted = value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  try {
    return decodeURIComponent(unquoted);
  } catch {
    return unquoted;
  }
}

/**
 * RFC 3327 Path support for the registrar (OpenSIPS `save()` flags `p0`/`p1`/`p2`/`v`, chosen per
 * call through `SaveOptions.path` and `SaveOptions.pathReceived`), plus RFC 3608 Service-Route.
 *
 * - The Path values are stored with each binding; `lookup()` returns them as the route set and
 *   the first Path URI as the destination (RFC 3327 §5.3), so NAT is handled by the edge proxy.
 * - `strict` answers `420 Bad Extension` + `Unsupported: path` (and the received Path) when the UA
 *   did not send `Supported: path`; `lazy` echoes the Path only when it did; `off` never echoes.
 * - `pathReceived`: the first Path URI's `received` parameter becomes the binding's `received`
 *   address and the binding is flagged as behind NAT.
 */
export function createPathFeature(options: PathFeatureOptions = {}): RegistrarFeature {
  const serviceRoute = options.serviceRoute ?? [];
  const serviceRouteOnly: readonly ReplyHeader[] = Object.freeze(
    serviceRoute.length === 0 ? [] : [['Service-Route', serviceRoute.join(', ')] as const],
  );
  return {
    name: 'path',
    checkRegister(ctx) {
      const { request, save } = ctx;
      if (save.path !== 'strict' || request.path.length === 0 || supportsPath(request)) return undefined;
      return regError('path-unsupported', [['Unsupported', 'path'], pathHeader(request)]);
    },
    bindingExtras(_contact, ctx) {
      const { request, save } = ctx;
      if (save.path === undefined || request.path.length === 0) return undefined;
      const received = save.pathReceived ? pathReceived(request) : undefined;
      return received === undefined
        ? { path: pathValues(request) }
        : { path: pathValues(request), received, flags: BindingFlags.nat };
    },
    replyHeaders(_listed, ctx: SaveHookContext) {
      const { request, save } = ctx;
      const echo = request.path.length > 0
        && (save.path === 'strict' || (save.path === 'lazy' && supportsPath(request)));
      if (!echo) return serviceRouteOnly;
      return serviceRoute.length === 0 ? [pathHeader(request)] : [pathHeader(request), ...serviceRouteOnly];
    },
  };
}
