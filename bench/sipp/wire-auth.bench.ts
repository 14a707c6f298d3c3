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
 * - sipreg with `--auth-db FILE.json --auth-secret S --nonce-expire 3600`, SIPp sending each
 *   REGISTER with an `Authorization` the bench computed beforehand into the injection file (MD5,
 *   then SHA-256, qop auth, nc 1): a nonce issued for that AOR by an authenticator with the same
 *   secret (its own `challenge`), so each registration is one round trip like the rows without
 *   authentication and the server does the whole verification;
 * - the whole flow with SIPp's own digest (`[authentication]`, MD5 only in SIPp 3.6): REGISTER,
 *   401, REGISTER with credentials, 200 (two requests per registration), for sipreg and for
 *   Kamailio (auth module `pv_www_authenticate`, qop auth, nonce counts checked, the To user
 *   must be the digest user).
 *
 * The AORs are the subscribers `u0`, `u1` ... of one pool (`--users`, default 150,000, every
 * one in the JSON file with its MD5 and SHA-256 HA1s), taken in order from the start for every
 * row; past the end of the pool a row starts over, and those REGISTERs replace the AOR's binding
 * (same Contact, new Call-ID) instead of creating one. A step is `--seconds` long (default 3);
 * every row starts at 3,000 registrations/s, then steps up and bisects as `wire.bench.ts` does;
 * the whole run stays within 6 minutes. Prints the steps and a markdown table of the highest
 * clean rate per row and the server CPU per registration at 3,000/s, with their ratios to the
 * same server without authentication; never part of CI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { findBinary } from '../../test/helpers/find-binary';
import { startSipreg } from '../../test/helpers/start-sipreg';
import { writeSippInjectionFile } from '../../test/helpers/write-sipp-injection-file';
import { createDigestAuthenticator } from '../../src/auth/digest-authenticator';
import { computeHa1s } from '../../src/auth/compute-ha1s';
import type { DigestAlgorithm } from '../../src/ports/credential-store';
import { digestAuthorization, parseDigestChallenge, type DigestChallenge } from '../../src/sip/digest';
import { MemoryCredentialStore } from '../../src/stores/memory-credential-store';
import { parseRequest } from '../bench-kit';
import { SIPP_INSTANCES, searchMaxRate, type LoadTarget, type StepResult } from './rate-search';
import { startBenchKamailio } from './start-kamailio';

const DOMAIN = 'bench.test';
const PASSWORD = 'bench-password';
const SECRET = 'wire-auth-bench-secret';
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
/** No new step starts after this much wall time; with the last steps and the start the whole run stays under 6 minutes. */
const BUDGET_MS = 320_000;
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

/**
 * A nonce source per algorithm: `challenge` of an authenticator with the bench's secret, as the
 * sipreg CLI under test signs with `--auth-secret` (the realm is the To domain, the same for every AOR).
 */
function challenger(algorithm: DigestAlgorithm): () => DigestChallenge {
  const authenticator = createDigestAuthenticator({ credentials: new MemoryCredentialStore(), algorithms: [algorithm], secret: SECRET, nonceExpire: NONCE_EXPIRE_SEC });
  const request = parseRequest(Buffer.from(`REGISTER sip:${DOMAIN} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-nonce\r\nMax-Forwards: 70\r\nFrom: <sip:u0@${DOMAIN}>;tag=n\r\nTo: <sip:u0@${DOMAIN}>\r\nCall-ID: nonce\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n`, 'latin1'));
  return () => {
    const header = authenticator.challenge(request, 'www').headers?.find(([name]) => name === 'WWW-Authenticate');
    const challenge = header === undefined ? undefined : parseDigestChallenge(header[1]);
    if (challenge === undefined) throw new Error('the authenticator answered without a digest challenge');
    return challenge;
  };
}
const challengers: Partial<Record<DigestAlgorithm, () => DigestChallenge>> = { 'MD5': challenger('MD5'), 'SHA-256': challenger('SHA-256') };

/** `[field1]` for the call registering `username`: its precomputed `Authorization` on a fresh nonce, its password, or nothing. */
function field1(credentials: Credentials, username: string, k: number): string {
  if (credentials === 'none') return '-';
  if (credentials === 'password') return PASSWORD;
  const challenge = (challengers[credentials] as () => DigestChallenge)();
  const value = digestAuthorization(challenge, { username, password: PASSWORD }, { method: 'REGISTER', uri: `sip:${DOMAIN}` }, k.toString(16), 1);
  if (value === undefined) throw new Error(`the client cannot answer ${credentials}`);
  return value;
}

/**
 * A target whose calls register the pool's next subscribers, one injection file per SIPp
 * instance and step (`[field0]` the user, `[field1]` as {@link field1} says); every target starts
 * at the pool's first subscriber.
 */
function poolTarget(name: string, file: string, credentials: Credentials, start: LoadTarget['start']): LoadTarget {
  let next = 0;
  return {
    name,
    start,
    scenario: scenario(file),
    instanceLoad: (step, instance, calls) => {
      const path = join(workDir, `${name.replace(/\W+/g, '-')}-${step}-${instance}.csv`);
      const rows: string[][] = [];
      for (let c = 0; c < calls; c++, next++) rows.push([user(next), field1(credentials, user(next), next)]);
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
    ['--auth-db', subscribers, '--auth-secret', SECRET, '--nonce-expire', String(NONCE_EXPIRE_SEC), '--auth-algorithms', algorithm];
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

/** The step at {@link REFERENCE_RATE}, when it was clean. */
const reference = (results: readonly StepResult[]): StepResult | undefined => results.find((r) => r.offeredRate === REFERENCE_RATE && r.clean);

function summaryTable(measured: readonly { row: Row; results: readonly StepResult[] }[]): string {
  const lines = [
    `| server | authentication | REGISTERs per registration | max sustained registrations/s | REGISTER requests/s | rate: no auth ÷ this | server CPU µs / registration at ${REFERENCE_RATE.toLocaleString('en-US')}/s | CPU: this ÷ no auth |`,
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? '–' : (a / b).toFixed(2));
  for (const { row, results } of measured) {
    const base = measured.find((m) => m.row.server === row.server && m.row.auth === 'none')?.results ?? [];
    const top = best(results);
    const cpu = reference(results)?.cpuUsPerCall;
    lines.push([
      `| ${row.server} | ${row.auth} | ${row.requests}`,
      top === undefined ? 'no clean step' : Math.round(top.achievedRate).toLocaleString('en-US'),
      top === undefined ? '–' : Math.round(top.achievedRate * row.requests).toLocaleString('en-US'),
      ratio(best(base)?.achievedRate, top?.achievedRate),
      cpu === undefined ? '–' : cpu.toFixed(1),
      `${ratio(cpu, reference(base)?.cpuUsPerCall)} |`,
    ].join(' | '));
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const all = rows(writeSubscribers());
  const measured: { row: Row; results: StepResult[] }[] = [];
  for (const [index, row] of all.entries()) {
    // Each row gets an equal share of the time left, so a slow row cannot starve the last ones.
    const deadline = Date.now() + (startedAt + BUDGET_MS - Date.now()) / (all.length - index);
    const results = await searchMaxRate(sippPath, row.target, {
      rates: RATES[row.requests],
      stepSeconds,
      bisections: BISECTIONS,
      granularity: 1000 / row.requests,
      deadline,
      sippArgs: row.requests === 2 ? ['-auth_uri', DOMAIN] : [],
    });
    measured.push({ row, results });
  }
  console.log(`\nREGISTER over UDP on loopback, ${SIPP_INSTANCES} SIPp instances, ${stepSeconds} s per step, ${poolSize.toLocaleString('en-US')} subscribers`);
  console.log(`machine: ${cpus().length} cores, load average before the run ${loadAtStart} (SIPp shares the cores with the server); whole run ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
  console.log('a registration: one call of the scenario; clean: under 1 % failed calls and at least 90 % of the offered rate reached\n');
  console.log(stepsTable(measured.flatMap((m) => m.results)));
  console.log('\nThe highest clean step of each row; the ratios compare it with the same server without authentication:\n');
  console.log(summaryTable(measured));
}

try {
  await main();
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
