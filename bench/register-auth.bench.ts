/**
 * In-process bench of digest-authenticated REGISTER (not a timed test; run with
 * `node --expose-gc --import tsx bench/register-auth.bench.ts`): each REGISTER of `bench-kit.ts`
 * (the realistic one a modern phone sends, the minimal one) end to end
 * through `saveNow` (the bundled server's synchronous path: parse the datagram, plan, commit to
 * the memory store, build the reply) on a registrar without authentication, and on registrars
 * whose `auth` is a digest authenticator (RFC 7616, qop `auth`) over a `MemoryCredentialStore`
 * holding every subscriber's HA1s, with MD5 and with SHA-256; plus the 401 challenge a REGISTER
 * without credentials gets (RFC 3261 §22.2).
 *
 * Each subscriber's `Authorization` is computed before the timed loops with the client's own
 * `digestAuthorization`, over a nonce the round's authenticator issued in a 401 (`challenge`): nc 1
 * on the new REGISTER, nc 2 on its refresh, so only the server's work is timed (parse the
 * credentials, verify the nonce's HMAC, look the subscriber up, recompute the response, count the
 * nonce and check that the identity may use the AOR). Every round builds fresh registrars and
 * authenticators, and has them issue the nonces afresh, so the counts start empty. The
 * contenders run in short alternating rounds and each figure is the median of its rounds, as in
 * `bench/register.bench.ts`: the rate in wall time, and the process CPU time per REGISTER, whose
 * ratio to no authentication holds even when other processes share the core.
 */
import type { Buffer } from 'node:buffer';
import { REGISTER_KINDS, benchUser, fmt, measure, median, parseRequest, requireGc, type Measured } from './bench-kit';
import { createRegistrar, type Registrar } from '../src/registrar/registrar';
import type { SaveResult } from '../src/registrar/save-result';
import { createDigestAuthenticator, type DigestAuthenticator } from '../src/auth/digest-authenticator';
import { MemoryCredentialStore } from '../src/stores/memory-credential-store';
import { computeHa1s } from '../src/auth/compute-ha1s';
import type { DigestAlgorithm } from '../src/ports/credential-store';
import { digestAuthorization, parseDigestChallenge } from '../src/sip/digest';

/** Alternating rounds of each contender; every figure is the median of its rounds. */
const ROUNDS = 5;
/** Subscribers, and REGISTERs per round and contender: N new registrations into a fresh registrar, then their N refreshes. */
const N = 100_000;
/** REGISTERs of the warm-up, per contender. */
const WARM_UP = 20_000;
const DOMAIN = 'example.com';
const PASSWORD = 'bench-password';
const SECRET = 'register-auth-bench-secret';
/** Long enough that the nonces issued before the rounds stay fresh through them. */
const NONCE_EXPIRE_SEC = 3600;

const credentials = new MemoryCredentialStore(
  Array.from({ length: N }, (_, i) => ({ username: benchUser(i), realm: DOMAIN, ha1: computeHa1s(benchUser(i), DOMAIN, PASSWORD) })),
);
const newAuthenticator = (algorithm: DigestAlgorithm): DigestAuthenticator =>
  createDigestAuthenticator({ credentials, algorithms: [algorithm], secret: SECRET, nonceExpire: NONCE_EXPIRE_SEC });

/** A REGISTER kind of `bench-kit.ts` (the realistic one, the minimal one), by its index in `REGISTER_KINDS`. */
type Kind = number;

/** The REGISTERs without credentials, per kind: the unauthenticated contenders', and what the 401 rows answer. */
const plain = REGISTER_KINDS.map(({ datagram }) => ({ first: Array.from({ length: N }, (_, i) => datagram(i)), refresh: Array.from({ length: N }, (_, i) => datagram(i, 2)) }));

/**
 * Every subscriber's REGISTER of `kind` and its refresh answering a nonce of its own, issued by
 * a `challenge` of `authenticator` (nc 1, then 2, on the same nonce).
 */
function authorizedDatagrams(authenticator: DigestAuthenticator, kind: Kind): { first: Buffer[]; refresh: Buffer[] } {
  const first: Buffer[] = [];
  const refresh: Buffer[] = [];
  const { datagram } = REGISTER_KINDS[kind];
  for (let i = 0; i < N; i++) {
    const challengeHeader = authenticator.challenge(parseRequest(plain[kind].first[i]), 'www').headers?.find(([name]) => name === 'WWW-Authenticate');
    const challenge = challengeHeader === undefined ? undefined : parseDigestChallenge(challengeHeader[1]);
    if (challenge === undefined) throw new Error('the authenticator answered without a digest challenge');
    const answer = (nc: number): string => {
      const value = digestAuthorization(challenge, { username: benchUser(i), password: PASSWORD }, { method: 'REGISTER', uri: `sip:${DOMAIN}` }, `c${i}`, nc);
      if (value === undefined) throw new Error(`the client cannot answer ${challenge.algorithm}`);
      return value;
    };
    first.push(datagram(i, 1, benchUser, answer(1)));
    refresh.push(datagram(i, 2, benchUser, answer(2)));
  }
  return { first, refresh };
}

interface Contender {
  readonly name: string;
  readonly kind: Kind;
  readonly algorithm?: DigestAlgorithm;
}

const contenders: readonly Contender[] = REGISTER_KINDS.flatMap(({ name }, kind) => [
  { name: `${name}, no authentication`, kind },
  { name: `${name}, digest MD5, qop=auth`, kind, algorithm: 'MD5' as const },
  { name: `${name}, digest SHA-256, qop=auth`, kind, algorithm: 'SHA-256' as const },
]);

let sink: unknown;

/**
 * A fresh registrar for `contender`, authenticating with its algorithm (none: no authentication),
 * and the REGISTERs of its kind it is sent: with credentials answering nonces its fresh
 * authenticator issued.
 */
function registrarFor({ algorithm, kind }: Contender): { registrar: Registrar; first: readonly Buffer[]; refresh: readonly Buffer[] } {
  if (algorithm === undefined) return { registrar: createRegistrar({ purgeIntervalMs: 0 }), ...plain[kind] };
  const auth = newAuthenticator(algorithm);
  return { registrar: createRegistrar({ purgeIntervalMs: 0, auth }), ...authorizedDatagrams(auth, kind) };
}

/** `saveNow`'s answer, which must be synchronous (memory location and credential stores) and have the `status` expected. */
function saveNow(registrar: Registrar, datagram: Buffer, status: number): SaveResult {
  const r = registrar.saveNow(parseRequest(datagram));
  if (r instanceof Promise) throw new Error('expected a synchronous answer from the memory stores');
  if (r.response === undefined || (r.ok ? 200 : r.status) !== status) throw new Error(`expected a ${status}, got ${r.ok ? 200 : r.status}`);
  return r;
}

const gc = requireGc();

/**
 * One round of one contender: N new REGISTERs into a fresh registrar, then their N refreshes. A
 * full GC first, so that no round pays for promoting the REGISTERs built for it.
 */
function saves(contender: Contender): { first: Measured; refresh: Measured } {
  const { registrar, first: firsts, refresh: refreshes } = registrarFor(contender);
  gc();
  const first = measure(N, (i) => { sink = saveNow(registrar, firsts[i], 200).response; });
  const again = measure(N, (i) => { sink = saveNow(registrar, refreshes[i], 200).response; });
  void registrar.close();
  return { first, refresh: again };
}

/** N REGISTERs of `kind` without credentials into a fresh registrar authenticating with `algorithm`: each answered 401 with a new nonce. */
function challenges(algorithm: DigestAlgorithm, kind: Kind): Measured {
  const registrar = createRegistrar({ purgeIntervalMs: 0, auth: newAuthenticator(algorithm) });
  gc();
  const measured = measure(N, (i) => { sink = saveNow(registrar, plain[kind].first[i], 401).response; });
  void registrar.close();
  return measured;
}

// Warm-up: every path compiled before the first timed round.
for (const contender of contenders) {
  const { registrar, first } = registrarFor(contender);
  for (let i = 0; i < WARM_UP; i++) sink = saveNow(registrar, first[i], 200).response;
  void registrar.close();
  if (contender.algorithm !== undefined) {
    const challenger = createRegistrar({ purgeIntervalMs: 0, auth: newAuthenticator(contender.algorithm) });
    for (let i = 0; i < WARM_UP; i++) sink = saveNow(challenger, plain[contender.kind].first[i], 401).response;
    void challenger.close();
  }
}

const firstRates = contenders.map((): Measured[] => []);
const refreshRates = contenders.map((): Measured[] => []);
const challengeRates = contenders.map((): Measured[] => []);
for (let round = 0; round < ROUNDS; round++) {
  // Each round starts with another contender, so none always inherits another's garbage.
  for (let k = 0; k < contenders.length; k++) {
    const index = (round + k) % contenders.length;
    const contender = contenders[index];
    const r = saves(contender);
    firstRates[index].push(r.first);
    refreshRates[index].push(r.refresh);
    if (contender.algorithm !== undefined) challengeRates[index].push(challenges(contender.algorithm, contender.kind));
  }
}

/** The medians of a contender's rounds: the rate, and the CPU µs per REGISTER. */
const medians = (rounds: readonly Measured[]): Measured => ({ perSecond: median(rounds.map((m) => m.perSecond)), cpuUs: median(rounds.map((m) => m.cpuUs)) });
/** The contender without authentication of each kind: what the others are compared with. */
const baselineOf = (kind: Kind): number => contenders.findIndex((c) => c.kind === kind && c.algorithm === undefined);
const baseline = (i: number) => ({ first: medians(firstRates[baselineOf(contenders[i].kind)]), refresh: medians(refreshRates[baselineOf(contenders[i].kind)]) });
const row = (what: string, rounds: readonly Measured[], base: Measured): string => {
  const m = medians(rounds);
  return `| ${what} | ${fmt(m.perSecond)} | ${(1e6 / m.perSecond).toFixed(2)} | ${(base.perSecond / m.perSecond).toFixed(2)} | ${m.cpuUs.toFixed(2)} | ${(m.cpuUs / base.cpuUs).toFixed(2)} |`;
};

console.log(`\n### Authenticated REGISTER, one core (in process, \`saveNow\`; ${N.toLocaleString('en-US')} subscribers; median of ${ROUNDS} alternating rounds)\n`);
console.log('Wall time gives the rate; the process CPU time per REGISTER does not count the time other processes take the core, so its ratio holds on a busy machine.\n');
console.log('Each REGISTER kind is compared with the same kind without authentication: the realistic REGISTER a modern phone sends, and the minimal one (`bench-kit.ts`).\n');
console.log('| what | per second | wall µs per REGISTER | wall × no auth | CPU µs per REGISTER | CPU × no auth |');
console.log('|---|---:|---:|---:|---:|---:|');
contenders.forEach((c, i) => console.log(row(`new REGISTER end to end, ${c.name}`, firstRates[i], baseline(i).first)));
contenders.forEach((c, i) => console.log(row(`refresh REGISTER end to end, ${c.name}`, refreshRates[i], baseline(i).refresh)));
contenders.forEach((c, i) => {
  if (c.algorithm !== undefined) console.log(row(`401 challenge to a ${REGISTER_KINDS[c.kind].name} REGISTER without credentials (${c.algorithm}; × the new REGISTER without auth)`, challengeRates[i], baseline(i).first));
});

void sink;
