import fc from 'fast-check';
import { createDigestAuthenticator } from '../../src/auth/digest-authenticator';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import { createRegistrar } from '../../src/registrar/registrar';
import type { SaveResult } from '../../src/registrar/save-result';
import { digestAuthorization, parseDigestChallenge } from '../../src/sip/digest';
import type { DigestChallenge } from '../../src/sip/digest';
import type { SipRequest, SipResponse } from '../../src/sip/message';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { MemoryLocationStore } from '../../src/stores/memory-location-store';
import { ManualClock } from '../../src/testing/manual-clock';
import { IdSequence, buildRegister } from '../../src/testing/message-builders';
import type { ContactSpec } from '../../src/testing/message-builders';
import { parseSip } from '../helpers/parse-sip';

const T0 = 1_700_000_000_000;
const REALM = 'example.com';
const NONCE_EXPIRE = 30;
/** Subscribers and their passwords; `dave` has none. */
const PASSWORDS: Readonly<Record<string, string>> = { alice: 'alice-secret', bob: 'bob-secret', carol: 'carol-secret' };
const USERS = ['alice', 'bob', 'carol', 'dave'] as const;
type User = (typeof USERS)[number];

/** How a step's REGISTER carries (or does not carry) digest credentials. */
type NonceUse =
  /** No Authorization: a first request. */
  | 'none'
  /** A nonce from a challenge just received, nc 1. */
  | 'fresh'
  /** The nonce of the last accepted request, the next nonce count (RFC 7616 §3.4: valid while the nonce is). */
  | 'next-nc'
  /** The last accepted request's Authorization resent as is (same nonce, nc, response): a replay. */
  | 'replay'
  /** A nonce from a challenge received more than nonceExpire seconds ago. */
  | 'stale'
  /** A nonce the server never issued (one of its nonces with a character changed), answered correctly. */
  | 'forged';

type ContactChange = { readonly kind: 'add' | 'remove'; readonly host: number } | { readonly kind: 'star' | 'query' };

interface Step {
  readonly to: User;
  readonly as: User;
  readonly rightPassword: boolean;
  readonly nonce: NonceUse;
  readonly contact: ContactChange;
}

/** `value` three times out of four, else any of `others`: most REGISTERs are a user's own, with the right password. */
const mostly = <T>(value: T, ...others: T[]): fc.Arbitrary<T> =>
  fc.oneof({ weight: 3, arbitrary: fc.constant(value) }, { weight: 1, arbitrary: fc.constantFrom(value, ...others) });

const step: fc.Arbitrary<Step> = fc.constantFrom(...USERS).chain((to) => fc.record({
  to: fc.constant(to),
  as: mostly(to, ...USERS),
  rightPassword: mostly(true, false),
  nonce: fc.constantFrom<NonceUse>('none', 'fresh', 'fresh', 'fresh', 'next-nc', 'next-nc', 'replay', 'stale', 'forged'),
  contact: fc.oneof(
    fc.record({ kind: fc.constantFrom<'add' | 'remove'>('add', 'add', 'remove'), host: fc.integer({ min: 1, max: 3 }) }),
    fc.record({ kind: fc.constantFrom<'star' | 'query'>('star', 'query') }),
  ),
}));

/** A nonce the test holds, with what it sent with it so far. */
interface HeldNonce {
  readonly challenge: DigestChallenge;
  /** The clock's time when it was issued. */
  readonly issuedAt: number;
  /** The highest nonce count sent with it. */
  maxNc: number;
}

/** A REGISTER the registrar accepted, with its credentials. */
interface Accepted {
  readonly held: HeldNonce;
  readonly authorization: string;
  readonly user: User;
  readonly password: string;
}

const contactUri = (user: string, host: number): string => `sip:${user}@10.0.0.${host}`;

function contactsOf(change: ContactChange, user: User): { contacts: readonly ContactSpec[] | '*'; expires?: number } {
  switch (change.kind) {
    case 'add': return { contacts: [{ uri: contactUri(user, change.host), expires: 3600 }] };
    case 'remove': return { contacts: [{ uri: contactUri(user, change.host), expires: 0 }] };
    case 'star': return { contacts: '*', expires: 0 };
    case 'query': return { contacts: [] };
  }
}

/** The model's location after an accepted REGISTER of `change` for `user`: its Contacts sorted. */
function applyToModel(model: Record<User, string[]>, user: User, change: ContactChange): void {
  if (change.kind === 'star') model[user] = [];
  if (change.kind !== 'add' && change.kind !== 'remove') return;
  const uri = contactUri(user, change.host);
  const others = model[user].filter((c) => c !== uri);
  model[user] = change.kind === 'add' ? [...others, uri].sort() : others;
}

/** One run: a registrar authenticating over an in-memory credential store, and the test's client state. */
function harness() {
  const clock = new ManualClock(T0);
  const store = new MemoryLocationStore();
  const credentials = new MemoryCredentialStore(
    Object.entries(PASSWORDS).map(([username, password]) => ({ username, realm: REALM, ha1: computeHa1s(username, REALM, password) })),
  );
  const auth = createDigestAuthenticator({ credentials, clock, nonceExpire: NONCE_EXPIRE, secret: 'property-secret', nonceCountCapacity: 1000 });
  const registrar = createRegistrar({ store, clock, purgeIntervalMs: 0, auth });
  const ids = new IdSequence('prop');
  let cseq = 0;

  const request = (to: User, change: ContactChange, authorization?: string): SipRequest =>
    parseSip(buildRegister({
      aor: `sip:${to}@${REALM}`, ids, cseq: ++cseq, ...contactsOf(change, to),
      headers: authorization === undefined ? undefined : { Authorization: authorization },
    })) as SipRequest;

  /** Must answer synchronously: the credential store and the location store are in memory. */
  const save = (r: SipRequest): SaveResult => {
    const result = registrar.saveNow(r);
    if (result instanceof Promise) throw new Error('the registrar answered with a promise over synchronous stores');
    return result;
  };

  /** A challenge, from a REGISTER without credentials (a step of its own: it must change nothing). */
  const challenge = (to: User): HeldNonce => {
    const result = save(request(to, { kind: 'query' }));
    if (result.status !== 401) throw new Error(`a REGISTER without credentials got ${result.status}, not 401`);
    const value = (parseSip(result.response!) as SipResponse).header('WWW-Authenticate');
    const parsed = value === undefined ? undefined : parseDigestChallenge(value);
    if (parsed === undefined) throw new Error(`no digest challenge in the 401: ${String(value)}`);
    return { challenge: parsed, issuedAt: clock.now(), maxNc: 0 };
  };

  const authorize = (held: HeldNonce, user: User, password: string, nc: number, nonce = held.challenge.nonce): string => {
    held.maxNc = Math.max(held.maxNc, nc);
    const value = digestAuthorization({ ...held.challenge, nonce }, { username: user, password }, { method: 'REGISTER', uri: `sip:${REALM}` }, `cn${nc}`, nc);
    if (value === undefined) throw new Error('the client could not answer the challenge');
    return value;
  };

  /** Every user's stored Contacts, sorted. */
  const location = (): Record<User, string[]> => {
    const out = {} as Record<User, string[]>;
    for (const user of USERS) {
      const snapshot = store.load(`${user}@${REALM}`);
      if (snapshot instanceof Promise) throw new Error('the memory store answered with a promise');
      out[user] = snapshot.bindings.map((b) => b.contact).sort();
    }
    return out;
  };

  return { clock, registrar, request, save, challenge, authorize, location };
}

/** `nonce` with its first character replaced: same length and alphabet, never issued. */
const forge = (nonce: string): string => (nonce[0] === 'A' ? 'B' : 'A') + nonce.slice(1);

describe('authentication in front of the registrar (property)', () => {
  it('the location changes only for a REGISTER carrying a valid digest response for the stored credentials of its To user', () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 25 }), (steps) => {
      const h = harness();
      const model: Record<User, string[]> = { alice: [], bob: [], carol: [], dave: [] };
      let lastAccepted: Accepted | undefined;
      for (const s of steps) {
        const password = s.rightPassword ? PASSWORDS[s.as] ?? 'guess' : 'wrong-password';
        const hasCredentials = PASSWORDS[s.as] !== undefined;
        let authorization: string | undefined;
        let held: HeldNonce | undefined;
        /** A nonce the server issued and that has not expired, answered with a nonce count not sent before. */
        let freshNonce = false;
        const use = (s.nonce === 'next-nc' || s.nonce === 'replay') && lastAccepted === undefined ? 'fresh' : s.nonce;
        switch (use) {
          case 'none':
            break;
          case 'fresh':
            held = h.challenge(s.to);
            authorization = h.authorize(held, s.as, password, 1);
            freshNonce = true;
            break;
          case 'next-nc':
            held = lastAccepted!.held;
            authorization = h.authorize(held, s.as, password, held.maxNc + 1);
            freshNonce = h.clock.now() - held.issuedAt < NONCE_EXPIRE * 1000;
            break;
          case 'replay':
            authorization = lastAccepted!.authorization;
            break;
          case 'stale':
            held = h.challenge(s.to);
            h.clock.advance((NONCE_EXPIRE + 1) * 1000);
            authorization = h.authorize(held, s.as, password, 1);
            break;
          case 'forged':
            held = h.challenge(s.to);
            authorization = h.authorize(held, s.as, password, 1, forge(held.challenge.nonce));
            break;
        }
        const valid = freshNonce && hasCredentials && s.rightPassword && s.as === s.to;
        const result = h.save(h.request(s.to, s.contact, authorization));
        // Credentials for this realm that did not verify (wrong password, unknown user) are a 401
        // counted for a ban; right credentials for another user's AOR are a 403, not a failure.
        const wrongSecret = !hasCredentials || !s.rightPassword;
        const refusal = valid || !freshNonce ? undefined : { status: wrongSecret ? 401 : 403, authFailed: wrongSecret };
        if (valid) {
          applyToModel(model, s.to, s.contact);
          lastAccepted = { held: held!, authorization: authorization!, user: s.as, password };
        }
        // One assertion per step (jest's expect is the slow part of a run).
        expect({ s, use, accepted: result.ok, location: h.location(), ...(refusal && { refusal: { status: result.status, authFailed: !result.ok && result.authFailed === true } }) })
          .toEqual({ s, use, accepted: valid, location: model, ...(refusal && { refusal }) });
      }
    }), { numRuns: 300 });
  });
});
