/**
 * Interop: two real `sipreg registrar` CLI processes (node A and node B, UDP on 127.0.0.1) sharing
 * one real Redis location store (`--store redis://…`: one hash per AOR, compare-and-set commit in
 * a Lua script), hammered by many concurrent UAs, each playing one RFC 3261 §10.2 registration.
 *
 * Every writer is a UA with its own UDP socket, its own Contact (`sip:w<k>@127.0.0.1:<its port>`)
 * and its own Call-ID with increasing CSeq. It runs a seeded random sequence of register (Expires
 * 300..3600), refresh and de-register (`;expires=0` on its Contact) through node A or B, chosen at
 * random per op. An op is retried (new Via branch, same Call-ID, next CSeq) on any non-2xx or when
 * no answer came in time (through the other node then), until a 200.
 * Within an attempt the UA retransmits as RFC 3261 §17.1.2.2 says (Timer E: 500 ms, doubling up
 * to T2 = 4 s) until the final answer: a node absorbs the copies that arrive while the first is
 * being saved and answers those that arrive after with the same response (RFC 3261 §17.2.2), so
 * none is applied after the same Call-ID's later de-REGISTER (which would bring back a binding
 * no sequential model has). Answers that arrive after their attempt timed out are counted as late
 * answers and shown when a check fails.
 *
 * Since each writer owns its Contact, the sequential model is simple: a Contact is bound iff its
 * writer's last op was a register or refresh, with the lifetime granted by that op's 200, which
 * stored that op's last CSeq. At the end each AOR is read straight from Redis
 * (`HGETALL sipreg:aor:{user@domain}`) and queried through both nodes (REGISTER without Contact,
 * RFC 3261 §10.2.3), and every view must equal the model: no binding lost, none duplicated, none
 * extra, each with the model's expiry (±2 s) and, in Redis, the model's Call-ID and CSeq.
 *
 * 1. 4 AORs × 50 writers, 6–10 ops each, all at once, no pause between ops.
 * 2. 4 AORs × 25 writers, mostly registers and refreshes, while Redis is killed with SIGKILL and
 *    restarted (fsync-always AOF), then node A is killed with SIGKILL and started again on its
 *    port. While Redis is down the nodes answer 503 with Retry-After, within 3 s; writers towards
 *    the dead A time out and retry through either node. No binding whose REGISTER was answered
 *    200 may be lost.
 *
 * The figures (ops, attempts, answers by status, 503s, wall time) are printed with console.log.
 */
import type { SipMessage, SipResponse } from '../../src/sip/message';
import { buildRegister, IdSequence } from '../../src/testing/message-builders';
import { freePort } from '../helpers/free-port';
import { parseSip } from '../helpers/parse-sip';
import { queryBindings } from '../helpers/query-bindings';
import { sleep } from '../helpers/sleep';
import type { ManagedProcess } from '../helpers/spawn-managed';
import { redisCommand, startRedis, type RedisServer, type RespValue } from '../helpers/start-redis';
import { startSipreg } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const DOMAIN = 'example.com';
/**
 * How long a writer waits for the final answer to one attempt before it retries. Long in the
 * hammer run, where only a lost datagram would need it (an attempt still being processed when the
 * writer moves on is a stale request the model cannot place); short in the chaos run, where the
 * writers aiming at the killed node A need it.
 */
const HAMMER_ATTEMPT_TIMEOUT_MS = 10_000;
const CHAOS_ATTEMPT_TIMEOUT_MS = 4_000;
/** RFC 3261 §17.1.1.1 timers: the first retransmission interval and its cap. */
const TIMER_T1_MS = 500;
const TIMER_T2_MS = 4_000;
/** Attempts per op before the writer (and the test) gives up. */
const MAX_ATTEMPTS = 25;
/** Longest wait a writer honours from a 503's Retry-After (the registrar says 5 s; the test is in a hurry). */
const RETRY_AFTER_CAP_MS = 1_000;
/** A stored or listed expiry may differ from the model's by this much (the 200 is timed by the UA). */
const EXPIRY_TOLERANCE_MS = 2_000;
/** A 503 while Redis is down must come back within this (the nodes run with `--store-timeout 1000`). */
const UNAVAILABLE_ANSWER_BUDGET_MS = 3_000;
/** SIGKILL after this in teardown. */
const TEARDOWN_GRACE_MS = 1_000;
const REGISTRAR_ARGS = ['--store-timeout', '1000', '--min-expires', '60', '--max-expires', '3600', '--log-level', 'warn'];

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (random: () => number, min: number, max: number): number => min + Math.floor(random() * (max - min + 1));

// ---------------------------------------------------------------------------------------------
// The registrar nodes and their Redis
// ---------------------------------------------------------------------------------------------

/** A registrar node: its fixed UDP port and the process currently serving it. */
interface Node {
  readonly name: 'A' | 'B';
  readonly port: number;
  process: ManagedProcess;
}

/** One Redis and two registrar nodes on it, with everything needed to stop them. */
interface Site {
  readonly redis: RedisServer;
  readonly nodes: readonly [Node, Node];
}

async function distinctPorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort('udp'));
  return [...ports];
}

function startNode(port: number, redis: RedisServer): Promise<ManagedProcess> {
  return startSipreg({ port, store: redis.url, extraArgs: REGISTRAR_ARGS, readyTimeoutMs: 20_000 });
}

/** Start Redis, then nodes A and B on it (together); on failure whatever started is stopped. */
async function startSite(): Promise<Site> {
  const redis = await startRedis();
  const [portA, portB] = await distinctPorts(2);
  const started = await Promise.allSettled([startNode(portA, redis), startNode(portB, redis)]);
  if (started[0].status === 'rejected' || started[1].status === 'rejected') {
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop(TEARDOWN_GRACE_MS) : undefined)));
    await redis.stop();
    const failure = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    throw failure?.reason;
  }
  return {
    redis,
    nodes: [
      { name: 'A', port: portA, process: started[0].value },
      { name: 'B', port: portB, process: started[1].value },
    ],
  };
}

async function stopSite(site: Site | undefined): Promise<void> {
  if (site === undefined) return;
  await Promise.all(site.nodes.map((n) => n.process.stop(TEARDOWN_GRACE_MS)));
  await site.redis.stop();
}

/** The last lines of both nodes' output, for failure messages. */
function siteOutput(site: Site): string {
  return site.nodes.map((n) => `--- node ${n.name} (port ${n.port}) output:\n${n.process.output().slice(-3_000)}`).join('\n');
}

// ---------------------------------------------------------------------------------------------
// Writers
// ---------------------------------------------------------------------------------------------

type OpKind = 'register' | 'refresh' | 'deregister';

/** One attempt of an op: a REGISTER with its own CSeq and branch, and what came back. */
interface Attempt {
  readonly cseq: number;
  readonly node: 'A' | 'B';
  readonly sentAt: number;
  /** Final status, or `undefined` when nothing came within the writer's attempt timeout. */
  status?: number;
  answeredAt?: number;
  retryAfter?: string;
  registrarError?: string;
}

/** One op of a writer's sequence and how it ended. */
interface OpRecord {
  readonly kind: OpKind;
  /** The lifetime asked for (0 for a de-register). */
  readonly expires: number;
  readonly attempts: Attempt[];
  /** Set once a 200 came: the lifetime it lists for the writer's Contact (0 when not listed). */
  granted?: number;
  /** When that 200 arrived. */
  okAt?: number;
}

/** What the sequential model holds for a writer: bound (with the last 200's grant) or not. */
interface ModelBinding {
  readonly contact: string;
  readonly callId: string;
  readonly cseq: number;
  readonly granted: number;
  readonly okAt: number;
}

/** How often a writer picks each op; `bound` is whether its Contact is bound in the model. */
interface OpMix {
  /** When bound: chance of a refresh (same lifetime), of a register with a new lifetime; the rest de-registers. */
  readonly refresh: number;
  readonly reregister: number;
  /** When not bound: chance of a register; the rest de-registers a Contact that is not bound (a no-op). */
  readonly register: number;
}

const HAMMER_MIX: OpMix = { refresh: 0.35, reregister: 0.25, register: 0.85 };
const MOSTLY_REGISTER_MIX: OpMix = { refresh: 0.6, reregister: 0.25, register: 0.95 };

/** Totals over every writer of a run. */
interface RunFigures {
  ops: number;
  attempts: number;
  /** Copies of a REGISTER sent again while waiting for its answer (Timer E). */
  retransmissions: number;
  byStatus: Record<string, number>;
  unavailable: { count: number; withRetryAfter: number; slowestMs: number; retryAfterValues: Set<string> };
  /** 200s received after the given moment (set by the chaos run: after Redis came back). */
  okAfterMark: number;
  /** Send to final answer of every answered attempt, ms. */
  latencies: number[];
}

const newFigures = (): RunFigures => ({
  ops: 0,
  attempts: 0,
  retransmissions: 0,
  byStatus: {},
  unavailable: { count: 0, withRetryAfter: 0, slowestMs: 0, retryAfterValues: new Set() },
  okAfterMark: 0,
  latencies: [],
});

/** One UA registering its own Contact under `aor`, through nodes A and B. */
class Writer {
  readonly ops: OpRecord[] = [];
  /** Problems seen in single answers (a 200 that lists the Contact wrongly, an unexpected status). */
  readonly violations: string[] = [];
  readonly callId: string;
  readonly #fromTag: string;
  readonly #ids: IdSequence;
  readonly #random: () => number;
  #cseq = 0;
  #model: ModelBinding | undefined;
  #lastExpires = 0;

  constructor(
    readonly label: string,
    readonly aor: string,
    readonly peer: UdpSipPeer,
    seed: number,
    readonly attemptTimeoutMs: number,
  ) {
    this.callId = `${label}-${seed}@127.0.0.1`;
    this.#fromTag = `tag-${label}`;
    this.#ids = new IdSequence(label);
    this.#random = seededRandom(seed);
  }

  get contact(): string {
    return this.peer.uri;
  }

  /** The model's binding of this writer's Contact after its last op, or undefined when unbound. */
  get model(): ModelBinding | undefined {
    return this.#model;
  }

  /** The op the seeded sequence asks for next, given the model state (every op ends in a 200). */
  nextOp(mix: OpMix): { kind: OpKind; expires: number; node: 0 | 1 } {
    const roll = this.#random();
    const node = this.#random() < 0.5 ? 0 : 1;
    const freshExpires = between(this.#random, 300, 3600);
    if (this.#model === undefined) {
      return roll < mix.register ? { kind: 'register', expires: freshExpires, node } : { kind: 'deregister', expires: 0, node };
    }
    if (roll < mix.refresh) return { kind: 'refresh', expires: this.#lastExpires, node };
    if (roll < mix.refresh + mix.reregister) return { kind: 'register', expires: freshExpires, node };
    return { kind: 'deregister', expires: 0, node };
  }

  /** A pause from the seeded sequence, uniform in [min, max] ms. */
  pause(min: number, max: number): number {
    return between(this.#random, min, max);
  }

  /**
   * Run one op to its 200: retried (next CSeq, new branch) on a non-2xx or a timeout, through the
   * other node after a timeout. Throws after {@link MAX_ATTEMPTS} attempts.
   */
  async perform(op: { kind: OpKind; expires: number; node: 0 | 1 }, nodes: readonly Node[], figures: RunFigures, mark: () => number | undefined): Promise<void> {
    const record: OpRecord = { kind: op.kind, expires: op.expires, attempts: [] };
    this.ops.push(record);
    figures.ops += 1;
    let nodeIndex: number = op.node;
    for (let n = 1; n <= MAX_ATTEMPTS; n++) {
      const node = nodes[nodeIndex];
      this.#cseq += 1;
      const attempt: Attempt = { cseq: this.#cseq, node: node.name, sentAt: Date.now() };
      record.attempts.push(attempt);
      figures.attempts += 1;
      const response = await this.#send(node.port, attempt.cseq, op.expires, figures);
      attempt.answeredAt = Date.now();
      if (response !== undefined) figures.latencies.push(attempt.answeredAt - attempt.sentAt);
      if (response === undefined) {
        figures.byStatus.timeout = (figures.byStatus.timeout ?? 0) + 1;
        nodeIndex = 1 - nodeIndex;
        continue;
      }
      attempt.status = response.status;
      attempt.retryAfter = response.header('retry-after');
      attempt.registrarError = response.header('p-registrar-error');
      figures.byStatus[response.status] = (figures.byStatus[response.status] ?? 0) + 1;
      if (response.status === 200) {
        this.#accepted(record, attempt, response);
        const since = mark();
        if (since !== undefined && attempt.answeredAt >= since) figures.okAfterMark += 1;
        return;
      }
      if (response.status === 503) {
        const u = figures.unavailable;
        u.count += 1;
        u.slowestMs = Math.max(u.slowestMs, attempt.answeredAt - attempt.sentAt);
        if (attempt.retryAfter !== undefined) {
          u.withRetryAfter += 1;
          u.retryAfterValues.add(attempt.retryAfter);
        }
        const seconds = Number(attempt.retryAfter);
        await sleep(Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds * 1000, RETRY_AFTER_CAP_MS) : 200);
      } else if (response.status === 500 && attempt.registrarError !== undefined && /concurrent updates/i.test(attempt.registrarError)) {
        // Too many compare-and-set conflicts on the AOR (maxCommitAttempts): back off a little.
        await sleep(this.pause(5, 60));
      } else {
        this.violations.push(`${op.kind} CSeq ${attempt.cseq} via ${node.name}: unexpected ${response.status} ${response.reason} (${attempt.registrarError ?? 'no P-Registrar-Error'})`);
        await sleep(this.pause(5, 60));
      }
      nodeIndex = this.#random() < 0.5 ? 0 : 1;
    }
    throw new Error(`${this.label} (${this.contact}): ${op.kind} got no 200 in ${MAX_ATTEMPTS} attempts: ${describeAttempts(record.attempts)}`);
  }

  /** Responses received for attempts that the writer had given up on (timed out). */
  async lateAnswers(): Promise<string[]> {
    const late: string[] = [];
    for (const op of this.ops) {
      for (const a of op.attempts) {
        if (a.status !== undefined) continue;
        const answer = await this.peer.waitFor((m: SipMessage): m is SipResponse => m.kind === 'response' && m.callId === this.callId && m.cseq.seq === a.cseq, 0);
        if (answer !== undefined) late.push(`${this.label} ${op.kind} CSeq ${a.cseq} via ${a.node}: ${answer.status} arrived after the ${this.attemptTimeoutMs} ms timeout`);
      }
    }
    return late;
  }

  /** Check a 200 against the op and update the model. */
  #accepted(record: OpRecord, attempt: Attempt, response: SipResponse): void {
    const okAt = attempt.answeredAt ?? Date.now();
    const listed = response.contacts === '*' ? [] : response.contacts.filter((c) => c.uri === this.contact);
    const what = `${record.kind} CSeq ${attempt.cseq} via ${attempt.node}`;
    record.okAt = okAt;
    if (record.kind === 'deregister') {
      record.granted = 0;
      if (listed.length > 0) this.violations.push(`${what}: the 200 still lists the Contact ${listed.length} time(s)`);
      this.#model = undefined;
      return;
    }
    const granted = Number(listed[0]?.params.expires ?? 0);
    record.granted = granted;
    if (listed.length !== 1) this.violations.push(`${what}: the 200 lists the Contact ${listed.length} times, expected once`);
    // A retransmission that reached a node after the REGISTER was committed (here: by the node
    // killed before it could answer) is answered with the binding as committed, its lifetime
    // counted from then: at most the time since the first copy was sent, less than asked.
    const sinceSentSec = Math.ceil((okAt - attempt.sentAt) / 1000);
    if (granted > record.expires || granted < record.expires - sinceSentSec - 1) {
      this.violations.push(`${what}: asked for ${record.expires} s, the 200 grants ${granted} s (${sinceSentSec} s after the first copy was sent)`);
    }
    this.#lastExpires = record.expires;
    this.#model = { contact: this.contact, callId: this.callId, cseq: attempt.cseq, granted, okAt };
  }

  /** Send one REGISTER, retransmitted on Timer E until its final response (or the attempt timeout). */
  async #send(port: number, cseq: number, expires: number, figures: RunFigures): Promise<SipResponse | undefined> {
    const text = buildRegister({
      aor: this.aor,
      contacts: [{ uri: this.contact, expires }],
      callId: this.callId,
      cseq,
      fromTag: this.#fromTag,
      via: { port: this.peer.port, rport: true },
      ids: this.#ids,
    });
    const answers = (m: SipMessage): m is SipResponse =>
      m.kind === 'response' && m.status >= 200 && m.callId === this.callId && m.cseq.seq === cseq && m.cseq.method === 'REGISTER';
    const waiting = this.peer.waitFor(answers, this.attemptTimeoutMs);
    let interval = TIMER_T1_MS;
    let timer: NodeJS.Timeout | undefined;
    const retransmit = (): void => {
      figures.retransmissions += 1;
      this.peer.send(text, port);
      interval = Math.min(2 * interval, TIMER_T2_MS);
      timer = setTimeout(retransmit, interval);
    };
    this.peer.send(text, port);
    timer = setTimeout(retransmit, interval);
    try {
      return await waiting;
    } finally {
      clearTimeout(timer);
    }
  }
}

function describeAttempts(attempts: readonly Attempt[]): string {
  return attempts.map((a) => `CSeq ${a.cseq} via ${a.node}: ${a.status ?? 'timeout'}${a.registrarError === undefined ? '' : ` (${a.registrarError})`}`).join('; ');
}

/** `count` writers per AOR (`sip:<prefix><i>@example.com`), each on its own socket; seeds derive from `seed`. */
async function openWriters(prefix: string, aorCount: number, perAor: number, seed: number, attemptTimeoutMs: number, opened: UdpSipPeer[]): Promise<Writer[]> {
  const writers: Writer[] = [];
  for (let a = 0; a < aorCount; a++) {
    for (let w = 0; w < perAor; w++) {
      const k = a * perAor + w;
      const peer = await UdpSipPeer.open({ user: `w${k}` });
      opened.push(peer);
      writers.push(new Writer(`w${k}`, `sip:${prefix}${a}@${DOMAIN}`, peer, seed * 100_003 + k, attemptTimeoutMs));
    }
  }
  return writers;
}

// ---------------------------------------------------------------------------------------------
// The final state against the model
// ---------------------------------------------------------------------------------------------

/** One Contact as a view shows it: Redis's stored binding or a node's query answer. */
interface SeenContact {
  readonly contact: string;
  /** Redis: absolute expiry (ms epoch); query: `expires=` seconds left, converted to ms epoch. */
  readonly expiresAt: number;
  readonly callId?: string;
  readonly cseq?: number;
}

/** Differences between one view of one AOR and the model. */
interface Discrepancies {
  lost: string[];
  duplicated: string[];
  extra: string[];
  wrongExpiry: string[];
  wrongRegistration: string[];
}

const noDiscrepancies = (): Discrepancies => ({ lost: [], duplicated: [], extra: [], wrongExpiry: [], wrongRegistration: [] });

/** Redis's bindings of `aor` (`HGETALL sipreg:aor:{user@domain}`: field `v`, then `0`, `1`, … JSON). */
async function redisBindings(port: number, aor: string): Promise<{ seen: SeenContact[]; problems: string[] }> {
  const key = `sipreg:aor:{${aor.replace(/^sip:/, '')}}`;
  const reply: RespValue = await redisCommand(port, ['HGETALL', key]);
  if (!Array.isArray(reply)) throw new Error(`HGETALL ${key} answered ${JSON.stringify(reply)}`);
  const fields = new Map<string, string>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), String(reply[i + 1]));
  const problems: string[] = [];
  if (fields.size > 0 && !fields.has('v')) problems.push(`${key} has no version field v`);
  const seen: SeenContact[] = [];
  for (let i = 0; fields.has(String(i)); i++) {
    const b = JSON.parse(fields.get(String(i)) ?? '{}') as { contact: string; expiresAt: number; callId: string; cseq: number };
    seen.push({ contact: b.contact, expiresAt: b.expiresAt, callId: b.callId, cseq: b.cseq });
  }
  const unexpected = [...fields.keys()].filter((f) => f !== 'v' && !/^\d+$/.test(f));
  const numbered = [...fields.keys()].filter((f) => /^\d+$/.test(f)).length;
  if (unexpected.length > 0 || numbered !== seen.length) problems.push(`${key} has fields ${[...fields.keys()].join(',')}`);
  return { seen, problems };
}

/** A node's answer to a binding query of `aor`, each listed Contact with its expiry as ms epoch. */
async function queriedBindings(node: Node, aor: string): Promise<{ seen: SeenContact[]; problems: string[] }> {
  const answer = await queryBindings(node.port, aor, 8_000);
  const at = Date.now();
  if (answer.status !== 200) return { seen: [], problems: [`node ${node.name} answered the query of ${aor} with ${answer.status}`] };
  const response = parseSip(answer.text);
  if (response.kind !== 'response' || response.contacts === '*') return { seen: [], problems: [`node ${node.name}: unusable query answer`] };
  const seen = response.contacts.map((c) => ({ contact: c.uri, expiresAt: at + Number(c.params.expires ?? NaN) * 1000 }));
  return { seen, problems: [] };
}

/** Compare one view of one AOR with the model of its writers. */
function compare(view: string, seen: readonly SeenContact[], writers: readonly Writer[], into: Discrepancies): void {
  const expected = new Map<string, ModelBinding>();
  for (const w of writers) if (w.model !== undefined) expected.set(w.contact, w.model);
  const counts = new Map<string, number>();
  for (const s of seen) counts.set(s.contact, (counts.get(s.contact) ?? 0) + 1);
  for (const [contact, model] of expected) {
    if (!counts.has(contact)) into.lost.push(`${view}: ${contact} (granted ${model.granted} s, CSeq ${model.cseq})`);
  }
  for (const [contact, count] of counts) {
    if (count > 1) into.duplicated.push(`${view}: ${contact} × ${count}`);
    if (!expected.has(contact)) into.extra.push(`${view}: ${contact}`);
  }
  for (const s of seen) {
    const model = expected.get(s.contact);
    if (model === undefined) continue;
    const want = model.okAt + model.granted * 1000;
    if (!(Math.abs(s.expiresAt - want) <= EXPIRY_TOLERANCE_MS)) {
      into.wrongExpiry.push(`${view}: ${s.contact} expires ${s.expiresAt - want} ms from the model's (granted ${model.granted} s)`);
    }
    if (s.callId !== undefined && (s.callId !== model.callId || s.cseq !== model.cseq)) {
      into.wrongRegistration.push(`${view}: ${s.contact} stored Call-ID ${s.callId} CSeq ${s.cseq}, the model's last 200 was CSeq ${model.cseq}`);
    }
  }
}

/** Every AOR through Redis and through both nodes, against the model. */
async function checkAgainstModel(site: Site, writers: readonly Writer[]): Promise<{ found: Discrepancies; problems: string[]; bound: number; views: number }> {
  const found = noDiscrepancies();
  const problems: string[] = [];
  const aors = [...new Set(writers.map((w) => w.aor))];
  let views = 0;
  for (const aor of aors) {
    const mine = writers.filter((w) => w.aor === aor);
    const fromRedis = await redisBindings(site.redis.port, aor);
    problems.push(...fromRedis.problems);
    compare(`redis ${aor}`, fromRedis.seen, mine, found);
    views += 1;
    for (const node of site.nodes) {
      const fromNode = await queriedBindings(node, aor);
      problems.push(...fromNode.problems);
      compare(`query ${aor} at ${node.name}`, fromNode.seen, mine, found);
      views += 1;
    }
  }
  return { found, problems, bound: writers.filter((w) => w.model !== undefined).length, views };
}

/** Counts of each kind of discrepancy, with the first few of each for the failure message. */
function verdict(found: Discrepancies): Record<string, number | string> {
  const sample = (Object.entries(found) as [string, string[]][])
    .filter(([, list]) => list.length > 0)
    .map(([kind, list]) => `${kind}: ${list.slice(0, 8).join(' | ')}`)
    .join('\n');
  return {
    lost: found.lost.length,
    duplicated: found.duplicated.length,
    extra: found.extra.length,
    wrongExpiry: found.wrongExpiry.length,
    wrongRegistration: found.wrongRegistration.length,
    sample,
  };
}

const CLEAN_VERDICT = { lost: 0, duplicated: 0, extra: 0, wrongExpiry: 0, wrongRegistration: 0, sample: '' };

function printFigures(title: string, figures: RunFigures, writers: readonly Writer[], wallMs: number): void {
  const ops = writers.flatMap((w) => w.ops);
  const kinds = { register: 0, refresh: 0, deregister: 0 };
  for (const op of ops) kinds[op.kind] += 1;
  const u = figures.unavailable;
  const sorted = [...figures.latencies].sort((x, y) => x - y);
  const percentile = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  console.log([
    `${title}: ${writers.length} writers, ${figures.ops} ops (${kinds.register} register, ${kinds.refresh} refresh, ${kinds.deregister} de-register)`,
    `  ${figures.attempts} REGISTERs sent, ${figures.attempts - figures.ops} retries, ${figures.retransmissions} retransmissions; answers: ${JSON.stringify(figures.byStatus)}`,
    `  answer latency: median ${percentile(0.5)} ms, p99 ${percentile(0.99)} ms, slowest ${sorted[sorted.length - 1] ?? 0} ms`,
    `  503s: ${u.count} (${u.withRetryAfter} with Retry-After ${[...u.retryAfterValues].join('/') || '-'}, slowest ${u.slowestMs} ms)`,
    `  bound at the end: ${writers.filter((w) => w.model !== undefined).length}; load ran ${wallMs} ms`,
  ].join('\n'));
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

describe('two sipreg registrars sharing one Redis location store', () => {
  let site: Site | undefined;
  let peers: UdpSipPeer[] = [];

  afterEach(async () => {
    await Promise.all(peers.map((p) => p.close()));
    peers = [];
    await stopSite(site);
    site = undefined;
  });

  it('1. 4 AORs × 50 concurrent writers (register / refresh / de-register through both nodes) end with exactly the bindings of the sequential model', async () => {
    const started = Date.now();
    site = await startSite();
    const current = site;
    const writers = await openWriters('hammer', 4, 50, 1, HAMMER_ATTEMPT_TIMEOUT_MS, peers);
    const figures = newFigures();
    const loadStart = Date.now();
    const outcomes = await Promise.allSettled(writers.map(async (w) => {
      const count = w.pause(6, 10);
      for (let i = 0; i < count; i++) {
        await w.perform(w.nextOp(HAMMER_MIX), current.nodes, figures, () => undefined);
        await sleep(w.pause(0, 10));
      }
    }));
    const loadMs = Date.now() - loadStart;
    printFigures('hammer', figures, writers, loadMs);

    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    expect({ writersWithout200: failures.length, first: failures.slice(0, 3).join('\n') }).toEqual({ writersWithout200: 0, first: '' });
    const violations = writers.flatMap((w) => w.violations);
    expect({ badAnswers: violations.length, first: violations.slice(0, 8).join('\n') }).toEqual({ badAnswers: 0, first: '' });

    const { found, problems, bound, views } = await checkAgainstModel(current, writers);
    const late = (await Promise.all(writers.map((w) => w.lateAnswers()))).flat();
    console.log(`hammer: ${bound} bindings in the model, checked in ${views} views (Redis + query at A and B per AOR); late answers: ${late.length}; test ran ${Date.now() - started} ms`);
    expect(problems).toEqual([]);
    const context = `late answers: ${late.slice(0, 5).join('\n')}\n${siteOutput(current)}`;
    expect({ ...verdict(found), context }).toEqual({ ...CLEAN_VERDICT, context });
    expect(bound).toBeGreaterThan(0);
  }, 50_000);

  it('2. Redis killed with SIGKILL and restarted, then node A killed with SIGKILL and restarted, mid-run: no binding answered 200 is lost', async () => {
    const started = Date.now();
    site = await startSite();
    const current = site;
    const [nodeA] = current.nodes;
    const writers = await openWriters('chaos', 4, 25, 2, CHAOS_ATTEMPT_TIMEOUT_MS, peers);
    const figures = newFigures();
    let redisBackAt: number | undefined;
    let nodeADown: { from: number; to: number } | undefined;
    let chaosDone = false;
    const timeline: string[] = [];
    const loadStart = Date.now();
    const note = (what: string): void => {
      timeline.push(`${Date.now() - loadStart} ms: ${what}`);
    };

    const chaos = (async () => {
      try {
        // Redis first, while every writer is busy (after node A's kill most of them sit out the
        // 4 s timeout of an attempt sent to the dead node, and would miss the outage).
        await sleep(1_000);
        note('SIGKILL redis');
        await current.redis.kill();
        await sleep(1_500);
        note('restarting redis');
        await current.redis.restart();
        redisBackAt = Date.now();
        note('redis answers PING again');
        await sleep(1_000);
        note(`SIGKILL node A (pid ${nodeA.process.pid})`);
        const killedAt = Date.now();
        process.kill(nodeA.process.pid, 'SIGKILL');
        await nodeA.process.exited;
        await sleep(300);
        note('starting a fresh node A on the same port');
        nodeA.process = await startNode(nodeA.port, current.redis);
        nodeADown = { from: killedAt, to: Date.now() };
        note('node A ready again');
      } finally {
        chaosDone = true;
      }
    })();

    const outcomes = await Promise.allSettled(writers.map(async (w) => {
      // Keep writing until the chaos is over, then three more ops each.
      let after = 0;
      while (after < 3) {
        await w.perform(w.nextOp(MOSTLY_REGISTER_MIX), current.nodes, figures, () => redisBackAt);
        if (chaosDone) after += 1;
        await sleep(w.pause(150, 450));
      }
    }));
    await chaos;
    const loadMs = Date.now() - loadStart;
    printFigures('chaos', figures, writers, loadMs);
    console.log(`chaos timeline:\n  ${timeline.join('\n  ')}`);

    const failures = outcomes.flatMap((o) => (o.status === 'rejected' ? [String(o.reason)] : []));
    expect({ writersWithout200: failures.length, first: failures.slice(0, 3).join('\n') }).toEqual({ writersWithout200: 0, first: '' });
    const violations = writers.flatMap((w) => w.violations);
    expect({ badAnswers: violations.length, first: violations.slice(0, 8).join('\n') }).toEqual({ badAnswers: 0, first: '' });

    // The outage was seen, answered quickly with 503 + Retry-After, and the run went on after it.
    const u = figures.unavailable;
    expect({ saw503: u.count > 0, allWithRetryAfter: u.withRetryAfter === u.count, slowest503Within3s: u.slowestMs < UNAVAILABLE_ANSWER_BUDGET_MS })
      .toEqual({ saw503: true, allWithRetryAfter: true, slowest503Within3s: true });
    expect([...u.retryAfterValues].every((v) => /^[1-9]\d*$/.test(v))).toBe(true);
    // Some writers did aim at the dead node A (their retransmissions reach the fresh one, or they time out and go to B).
    const down = nodeADown;
    const aimedAtDeadA = writers.flatMap((w) => w.ops.flatMap((op) => op.attempts)).filter((a) => a.node === 'A' && down !== undefined && a.sentAt >= down.from && a.sentAt < down.to);
    expect(aimedAtDeadA.length).toBeGreaterThan(0);
    expect(figures.okAfterMark).toBeGreaterThan(0);

    const { found, problems, bound, views } = await checkAgainstModel(current, writers);
    const late = (await Promise.all(writers.map((w) => w.lateAnswers()))).flat();
    console.log(`chaos: ${bound} bindings in the model, checked in ${views} views; late answers: ${late.length}; test ran ${Date.now() - started} ms`);
    expect(problems).toEqual([]);
    const context = `late answers: ${late.slice(0, 5).join('\n')}\ntimeline:\n${timeline.join('\n')}\n${siteOutput(current)}`;
    expect({ ...verdict(found), context }).toEqual({ ...CLEAN_VERDICT, context });
    expect(bound).toBeGreaterThan(0);
  }, 50_000);
});
