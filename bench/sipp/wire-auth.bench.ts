/**
 * Over-the-wire digest-authenticated REGISTER (RFC 3261 §22, RFC 7616), next to the same
 * without authentication in the same run: two SIPp instances on loopback UDP against the sipreg
 * CLI registrar (`--store memory`) and, when installed, Kamailio 5.6 (in-memory usrloc, 2
 * children), the highest rate each sustains found as in `bench/sipp/wire.bench.ts`.
 *
 *   node --import tsx bench/sipp/wire-auth.bench.ts [--seconds S] [--users N]
 *
 * Rows, each a server started afresh:
 * - without authentication, one REGISTER per registration (sipreg, Kamailio);
 * - sipreg with `--auth-db FILE.json --nonce-expire 3600`, SIPp sending each
 *   REGISTER with an `Authorization` the bench computed beforehand into the injection file (MD5,
 *   then SHA-256, qop auth, nc 1), answering a nonce the server issued in a 401 the bench fetched
 *   before the step (outside the CPU time measured), so each registration is one round trip like
 *   the rows without authentication and the server does the whole verification;
 * - the whole flow with SIPp's own digest (`[authentication]`, MD5 only in SIPp 3.6): REGISTER,
 *   401, REGISTER with credentials, 200 (two requests per registration), for sipreg and for
 *   Kamailio (auth module `pv_www_authenticate`, qop auth, nonce counts checked, the To user
 *   must be the digest user).
 *
 * The AORs are the subscribers `u0`, `u1` ... of one pool (`--users`, default 150,000, every
 * one in the JSON file with its MD5 and SHA-256 HA1s), taken in order from the start for every
 * row; past the end of the pool a row starts over, and those REGISTERs replace the AOR's binding
 * (same Contact, new Call-ID) instead of creating one. The CPU figures come first: each server's
 * rows, their servers started together, get 5 alternating rounds of 4 s at 3,000 registrations/s
 * (a rate no row saturates), and each row's figure is the median of its rounds, so that what
 * disturbs the machine for a while falls on every row alike. Then each row's highest rate: a
 * step is `--seconds` long (default 3); every row starts at 3,000/s, then steps up and bisects as
 * `wire.bench.ts` does, within 5 minutes for all rows. The whole run takes about 9 minutes.
 * Prints the steps and a markdown table of the highest clean rate per row and the server CPU per
 * registration, with their ratios to the same server without authentication; never part of CI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { findBinary } from '../../test/helpers/find-binary';
import { startSipreg } from '../../test/helpers/start-sipreg';
import { writeSippInjectionFile } from '../../test/helpers/write-sipp-injection-file';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import type { DigestAlgorithm } from '../../src/ports/credential-store';
import { digestAuthorization, type DigestChallenge } from '../../src/sip/digest';
import { fetchChallenges } from './fetch-challenges';
import { SIPP_INSTANCES, alternateRounds, searchMaxRate, type LoadTarget, type StepResult } from './rate-search';
import { startBenchKamailio } from './start-kamailio';

const DOMAIN = 'bench.test';
const PASSWORD = 'bench-password';
const NONCE_EXPIRE_SEC = 3600;
/**
 * Registrations per second offered, by REGISTERs per registration. Every row starts at
 * {@link REFERENCE_RATE}, which no row saturates: its CPU per registration compares the rows at
 * one load (a server spends less per request the busier it is, so figures at different rates do
 * not compare).
 */
const REFERENCE_RATE = 3_000;
const RATES: Readonly<Record<1 | 2, readonly number[]>> = {
  1: [REFERENCE_RATE, 6_000, 10_000, 14_000, 18_000, 22_000, 26_000, 30_000, 35_000],
  2: [REFERENCE_RATE, 5_000, 7_000, 9_000, 11_000, 13_000, 15_000, 17_000],
};
const BISECTIONS = 2;
/** Alternating rounds of a server's rows at {@link REFERENCE_RATE}, and their length, s: the CPU figures. */
const ROUNDS = 5;
const ROUND_SECONDS = 4;
/** No new step of the rate searches starts after this much wall time from their start. */
const BUDGET_MS = 300_000;
const scenario = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

const options = parseArgs({
  options: { seconds: { type: 'string', default: '3' }, users: { type: 'string', default: '150000' } },
}).values;
const stepSeconds = Number(options.seconds);
const poolSize = Number(options.users);
if (!(stepSeconds > 0) || !Number.isInteger(poolSize) || poolSize < 1000) {
  console.error('usage: node --import tsx bench/sipp/wire-auth.bench.ts [--seconds S] [--users N (>= 1000)]');
  process.exit(2);
}

const sipp = findBinary('sipp');
if (sipp === undefined) {
  console.log('wire-auth bench skipped: sipp is not installed (apt-get install sip-tester)');
  process.exit(0);
}
const sippPath = sipp;
const startedAt = Date.now();
const loadAtStart = loadavg()[0].toFixed(2);
const workDir = mkdtempSync(join(tmpdir(), 'sipreg-wire-auth-'));
const user = (k: number): string => `u${k % poolSize}`;

/** What a row's SIPp calls carry in `[field1]` of the injection file beside the username. */
type Credentials = 'none' | 'password' | DigestAlgorithm;

/** One row: a server, how it authenticates, and the scenario its calls run. */
interface Row {
  readonly server: 'sipreg' | 'Kamailio';
  readonly auth: string;
  /** REGISTER requests per registration: 1, or 2 with the 401 round trip. */
  readonly requests: 1 | 2;
  readonly target: LoadTarget;
}

/** `[field1]` for the call registering `username`: its `Authorization` answering `challenge` (nc 1), its password, or nothing. */
function field1(credentials: Credentials, username: string, k: number, challenge: DigestChallenge | undefined): string {
  if (credentials === 'none') return '-';
  if (credentials === 'password') return PASSWORD;
  if (challenge === undefined) throw new Error(`no challenge to answer with ${credentials}`);
  const value = digestAuthorization(challenge, { username, password: PASSWORD }, { method: 'REGISTER', uri: `sip:${DOMAIN}` }, k.toString(16), 1);
  if (value === undefined) throw new Error(`the client cannot answer ${credentials}`);
  return value;
}

/**
 * A target whose calls register the pool's next subscribers, one injection file per SIPp
 * instance and step (`[field0]` the user, `[field1]` as {@link field1} says: for a digest
 * algorithm, answering a challenge the server under test issued just before the step, as a
 * phone answers the 401 it got); every target starts at the pool's first subscriber.
 */
function poolTarget(name: string, file: string, credentials: Credentials, start: LoadTarget['start']): LoadTarget {
  let next = 0;
  let serverPort = 0;
  return {
    name,
    start: (port) => {
      serverPort = port;
      return start(port);
    },
    scenario: scenario(file),
    instanceLoad: async (step, instance, calls) => {
      const path = join(workDir, `${name.replace(/\W+/g, '-')}-${step}-${instance}.csv`);
      const challenges = credentials === 'none' || credentials === 'password' ? [] : await fetchChallenges(serverPort, DOMAIN, calls);
      const rows: string[][] = [];
      for (let c = 0; c < calls; c++, next++) rows.push([user(next), field1(credentials, user(next), next, challenges[c])]);
      writeSippInjectionFile(path, rows);
      return { extraArgs: ['-inf', path] };
    },
  };
}

/** The subscriber file of `--auth-db`: every pool user with its MD5 and SHA-256 HA1 (OpenSIPS `subscriber` columns). */
function writeSubscribers(): string {
  const path = join(workDir, 'subscribers.json');
  const entries = Array.from({ length: poolSize }, (_, k) => {
    const ha1 = computeHa1s(user(k), DOMAIN, PASSWORD);
    return { username: user(k), domain: DOMAIN, ha1: ha1['MD5'], ha1_sha256: ha1['SHA-256'] };
  });
  writeFileSync(path, JSON.stringify(entries));
  return path;
}

function rows(subscribers: string): Row[] {
  const sipregAuth = (algorithm: string): readonly string[] =>
    ['--auth-db', subscribers, '--nonce-expire', String(NONCE_EXPIRE_SEC), '--auth-algorithms', algorithm];
  const out: Row[] = [
    { server: 'sipreg', auth: 'none', requests: 1, target: poolTarget('sipreg, no auth', 'register-user.xml', 'none', (port) => startSipreg({ port })) },
    { server: 'sipreg', auth: 'MD5, precomputed Authorization', requests: 1, target: poolTarget('sipreg, MD5 precomputed', 'register-authorized.xml', 'MD5', (port) => startSipreg({ port, extraArgs: sipregAuth('md5') })) },
    { server: 'sipreg', auth: 'SHA-256, precomputed Authorization', requests: 1, target: poolTarget('sipreg, SHA-256 precomputed', 'register-authorized.xml', 'SHA-256', (port) => startSipreg({ port, extraArgs: sipregAuth('sha-256') })) },
    { server: 'sipreg', auth: 'MD5, SIPp [authentication]: REGISTER, 401, REGISTER, 200', requests: 2, target: poolTarget('sipreg, MD5 full flow', 'register-challenged.xml', 'password', (port) => startSipreg({ port, extraArgs: sipregAuth('md5') })) },
  ];
  const kamailioPath = findBinary('kamailio');
  if (kamailioPath === undefined) {
    console.log('Kamailio not installed: reference rows skipped');
    return out;
  }
  out.push(
    { server: 'Kamailio', auth: 'none', requests: 1, target: poolTarget('Kamailio, no auth', 'register-user.xml', 'none', (port) => startBenchKamailio({ kamailioPath, port })) },
    { server: 'Kamailio', auth: 'MD5, SIPp [authentication]: REGISTER, 401, REGISTER, 200 (pv_www_authenticate)', requests: 2, target: poolTarget('Kamailio, MD5 full flow', 'register-challenged.xml', 'password', (port) => startBenchKamailio({ kamailioPath, port, authPassword: PASSWORD })) },
  );
  return out;
}

/** The clean step with the highest achieved rate, undefined when no step was clean. */
function best(results: readonly StepResult[]): StepResult | undefined {
  return results.filter((r) => r.clean).reduce<StepResult | undefined>((top, r) => (top === undefined || r.achievedRate > top.achievedRate ? r : top), undefined);
}

function stepsTable(results: readonly StepResult[]): string {
  return [
    '| row | offered/s | achieved registrations/s | failed % | retransmissions | server CPU % | CPU µs / registration | PSS MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map((r) => `| ${r.target} | ${r.offeredRate.toLocaleString('en-US')} | ${Math.round(r.achievedRate).toLocaleString('en-US')} | ${(r.failedShare * 100).toFixed(2)} | ${r.retransmissions.toLocaleString('en-US')} | ${r.cpuPercent.toFixed(0)} | ${r.cpuUsPerCall.toFixed(1)} | ${r.memoryMb.toFixed(0)} |`),
  ].join('\n');
}

/** The median CPU µs per registration of a row's rounds at {@link REFERENCE_RATE}, when every round was clean. */
function referenceCpu(rounds: readonly StepResult[]): number | undefined {
  if (rounds.length === 0 || rounds.some((r) => !r.clean)) return undefined;
  const sorted = rounds.map((r) => r.cpuUsPerCall).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function summaryTable(measured: readonly { row: Row; results: readonly StepResult[]; rounds: readonly StepResult[] }[]): string {
  const lines = [
    `| server | authentication | REGISTERs per registration | max sustained registrations/s | REGISTER requests/s | rate: no auth ÷ this | server CPU µs / registration at ${REFERENCE_RATE.toLocaleString('en-US')}/s (median of ${ROUNDS} rounds) | CPU: this ÷ no auth |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '–' : (a / b).toFixed(2));
  for (const { row, results, rounds } of measured) {
    const base = measured.find((m) => m.row.server === row.server && m.row.auth === 'none');
    const top = best(results);
    const cpu = referenceCpu(rounds);
    lines.push([
      `| ${row.server} | ${row.auth} | ${row.requests}`,
      top === undefined ? 'no clean step' : Math.round(top.achievedRate).toLocaleString('en-US'),
      top === undefined ? '–' : Math.round(top.achievedRate * row.requests).toLocaleString('en-US'),
      ratio(best(base?.results ?? [])?.achievedRate, top?.achievedRate),
      cpu === undefined ? '–' : cpu.toFixed(1),
      `${ratio(cpu, referenceCpu(base?.rounds ?? []))} |`,
    ].join(' | '));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const all = rows(writeSubscribers());
  const sippArgsOf = (row: Row): readonly string[] => (row.requests === 2 ? ['-auth_uri', DOMAIN] : []);
  // The CPU figures first: each server's rows in alternating rounds at the reference rate.
  const rounds = new Map<Row, StepResult[]>();
  for (const server of ['sipreg', 'Kamailio'] as const) {
    const group = all.filter((row) => row.server === server);
    if (group.length === 0) continue;
    const results = await alternateRounds(sippPath, group.map((row) => row.target), {
      rate: REFERENCE_RATE, stepSeconds: ROUND_SECONDS, rounds: ROUNDS, sippArgs: (target) => sippArgsOf(group.find((row) => row.target === target)!),
    });
    group.forEach((row, index) => rounds.set(row, results[index]));
  }
  const searchStartedAt = Date.now();
  const measured: { row: Row; results: StepResult[]; rounds: StepResult[] }[] = [];
  for (const [index, row] of all.entries()) {
    // Each row gets an equal share of the time left, so a slow row cannot starve the last ones.
    const deadline = Date.now() + (searchStartedAt + BUDGET_MS - Date.now()) / (all.length - index);
    const results = await searchMaxRate(sippPath, row.target, {
      rates: RATES[row.requests],
      stepSeconds,
      bisections: BISECTIONS,
      granularity: 1000 / row.requests,
      deadline,
      sippArgs: sippArgsOf(row),
    });
    measured.push({ row, results, rounds: rounds.get(row) ?? [] });
  }
  console.log(`\nREGISTER over UDP on loopback, ${SIPP_INSTANCES} SIPp instances, ${stepSeconds} s per step, ${poolSize.toLocaleString('en-US')} subscribers`);
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp shares the cores with the server); whole run ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  console.log('a registration: one call of the scenario; clean: under 1 % failed calls and at least 90 % of the offered rate reached\n');
  console.log(stepsTable([...measured.flatMap((m) => m.rounds), ...measured.flatMap((m) => m.results)]));
  console.log(`\nThe highest clean step of each row, and the median CPU of its ${ROUNDS} rounds at ${REFERENCE_RATE.toLocaleString('en-US')}/s (a server's rows alternating); the ratios compare them with the same server without authentication:\n`);
  console.log(summaryTable(measured));
}

try {
  await main();
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
