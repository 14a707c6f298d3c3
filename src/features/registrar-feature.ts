import type { Binding } from '../ports/binding';
import type { RegError } from '../errors/reg-error';
import type { NameAddrValue, SipRequest } from '../sip/message';
import type { BindingChange } from '../registrar/binding-change';
import type { SaveOptions } from '../registrar/save-options';

/** A header of a reply: name and value. */
export type ReplyHeader = readonly [name: string, value: string];

/** What every save hook of a {@link RegistrarFeature} sees: the REGISTER being processed. */
export interface SaveHookContext {
  readonly request: SipRequest;
  readonly save: SaveOptions;
  /** The AOR key (`user@domain`). */
  readonly aor: string;
  readonly nowMs: number;
}

/** Fields a feature adds to a binding built from one Contact (merged into the new binding). */
export type BindingExtras = {
  -readonly [K in 'path' | 'received' | 'flow' | 'regId']?: Binding[K];
} & {
  /** {@link BindingFlags} bits to set. */
  flags?: number;
};

/**
 * An extension of the registrar (RFC 3327 Path, RFC 5627 GRUU, RFC 5626 outbound, RFC 8599
 * push), plugged into the REGISTER flow at fixed points. Hooks are pure decisions: a feature never
 * touches the store or the network (the registrar façade does), so each stays unit-testable.
 * Every hook is optional; the registrar calls only the hooks of the features that are enabled,
 * so a registrar without features pays nothing on its hot path.
 *
 * Order in one save: {@link checkRegister} → per Contact {@link matchBinding} and
 * {@link bindingExtras} → commit → {@link afterCommit} → reply with {@link contactParams} and
 * {@link replyHeaders}.
 */
export interface RegistrarFeature {
  /** Short name, used in logs. */
  readonly name: string;
  /** Refuse the REGISTER before anything is planned (420 Path strict, 555, 439 ...). */
  checkRegister?(ctx: SaveHookContext): RegError | undefined;
  /**
   * Which stored binding an uploaded Contact refreshes, when the feature has its own rule (an
   * outbound flow by instance and reg-id, a push device by its pn-* parameters): the index into
   * `stored`, `-1` for "a new binding", or `undefined` to leave it to the matching mode.
   */
  matchBinding?(contact: NameAddrValue, stored: readonly Binding[], ctx: SaveHookContext): number | undefined;
  /** Extra fields of the binding made from `contact`, or `undefined` for none. */
  bindingExtras?(contact: NameAddrValue, ctx: SaveHookContext): BindingExtras | undefined;
  /**
   * After every commit that changed an AOR (a save, a removal, an expiry purge, a dead flow):
   * what changed, e.g. to index flows or settle pending pushes.
   */
  afterCommit?(aor: string, changes: readonly BindingChange[]): void;
  /** Parameters appended to one Contact value of the 200 (`;pub-gruu=...;temp-gruu=...`). */
  contactParams?(binding: Binding, ctx: SaveHookContext): string;
  /** Extra headers of the 200 (Path, Require: outbound, Flow-Timer, Feature-Caps, Service-Route). */
  replyHeaders?(listed: readonly Binding[], ctx: SaveHookContext): readonly ReplyHeader[];
}
