/**
 * Interop: the real fail2ban-regex reads the log of the sipreg CLI registrar with
 * examples/fail2ban/filter.d/sipreg.conf and finds exactly the one ban (RFC 7616 §5.3 limits on
 * password guessing, taken to the firewall by fail2ban). The registrar runs as the example's README
 * tells a user to run it, its output appended to a log file, with `--auth-db`, `--ban-after 3
 * --ban-time 1` and the pike rate limit on. The log then holds, besides the ban of 127.0.0.1 after
 * 3 wrong passwords, the lines the filter must not match: the startup lines (one of them names the
 * ban settings), the rate limit of a flooding 127.0.0.3 and the end of the ban
 * (`unbanned 127.0.0.1 (expired)`).
 *
 * In CI (env CI set) a missing fail2ban-regex fails the test; locally it is skipped with a warning.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { computeHa1s } from '../../src/auth/compute-ha1s';
import { buildRegister } from '../../src/testing/message-builders';
import { eventually } from '../helpers/eventually';
import { freePort } from '../helpers/free-port';
import { interopPrerequisites } from '../helpers/interop-prerequisites';
import { suiteResources } from '../helpers/suite-resources';
import { registerWithDigest } from '../helpers/register-with-digest';
import { runToExit } from '../helpers/run-to-exit';
import { spawnManaged } from '../helpers/spawn-managed';
import { REPOSITORY_ROOT } from '../helpers/start-sipreg';
import { UdpSipPeer } from '../helpers/udp-sip-peer';

const FAIL2BAN_REGEX = interopPrerequisites('the fail2ban interop test', { 'fail2ban-regex': 'fail2ban' });
const FILTER = join(REPOSITORY_ROOT, 'examples', 'fail2ban', 'filter.d', 'sipreg.conf');
const REALM = 'example.com';
const ALICE = { username: 'alice', password: 'alice-password' };
const AOR = `sip:alice@${REALM}`;
const BAN_AFTER = 3;
/** Requests per 2 s sampling unit one source may send (`--pike-reqs-density-per-unit`). */
const PIKE_DENSITY = 10;
const FLOOD = 3 * PIKE_DENSITY;

/** The lines of a `fail2ban-regex --print-all-*` block (`|- Matched line(s):` ... `` `- ``), without their `|  ` indent. */
function printedBlock(output: string, title: 'Matched' | 'Missed'): string[] {
  const lines = output.split('\n');
  const start = lines.indexOf(`|- ${title} line(s):`);
  if (start < 0) return [];
  const end = lines.indexOf('`-', start);
  return lines.slice(start + 1, end).map((line) => line.slice(3));
}

FAIL2BAN_REGEX.describe('fail2ban-regex with examples/fail2ban/filter.d/sipreg.conf on the log of the sipreg CLI registrar', () => {
  const resources = suiteResources();

  it('matches the one ban line, with 127.0.0.1 as the address, and none of the other lines of the log', async () => {
    const directory = resources.tempDir('sipreg-fail2ban-');
    const subscribers = join(directory, 'subscribers.json');
    const ha1 = computeHa1s(ALICE.username, REALM, ALICE.password);
    writeFileSync(subscribers, JSON.stringify([{ username: ALICE.username, domain: REALM, ha1: ha1.MD5 }]));
    const log = join(directory, 'sipreg.log');
    const port = await freePort('udp');
    const listen = `udp:127.0.0.1:${port}`;
    // As a user runs it, `sipreg registrar ... >>/var/log/sipreg.log 2>&1`: the JSON log lines of
    // stderr and the startup lines of stdout, as the journal of a systemd unit holds them too (the
    // shell execs the CLI, so a stop ends it).
    const server = resources.process(spawnManaged('/bin/sh', [
      '-c', 'exec "$@" >>"$SIPREG_LOG" 2>&1', 'sh',
      process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'registrar', '--listen', listen, '--store', 'memory',
      '--auth-db', subscribers, '--ban-after', String(BAN_AFTER), '--ban-time', '1', '--pike-reqs-density-per-unit', String(PIKE_DENSITY),
    ], { cwd: REPOSITORY_ROOT, env: { SIPREG_LOG: log }, killAfterMs: 60_000 }));
    const logLines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line !== '') : []);
    const context = (): string => `--- ${log}:\n${logLines().join('\n')}\n--- sh:\n${server.output()}`;
    const logged = (text: string, timeoutMs = 5_000): Promise<string> =>
      eventually(() => logLines().find((line) => line.includes(text)), `the log line "${text}"`, timeoutMs, context);
    await logged(`sipreg registrar guard: pike ${PIKE_DENSITY} requests per 2 s, ban after ${BAN_AFTER} failed authentications in 60 s for 1 s`, 20_000);

    const guesser = resources.peer(await UdpSipPeer.open({ user: 'alice', context }));
    for (let guess = 1; guess <= BAN_AFTER; guess++) {
      const refused = await registerWithDigest(guesser, port, { aor: AOR, username: ALICE.username, password: `guess-${guess}` });
      expect([refused.challenge?.status, refused.final.status]).toEqual([401, 401]);
    }
    const banLine = await logged('sipreg: banned ');
    expect(JSON.parse(banLine)).toMatchObject({
      level: 'warn', msg: `sipreg: banned 127.0.0.1 for 1 s after ${BAN_AFTER} failed authentications`, source: '127.0.0.1', banSec: 1, failures: BAN_AFTER,
    });

    const flooder = resources.peer(await UdpSipPeer.open({ address: '127.0.0.3', user: 'flood', context }));
    for (let cseq = 1; cseq <= FLOOD; cseq++) {
      flooder.send(buildRegister({ aor: 'sip:flood@example.com', callId: 'fail2ban-flood', fromTag: 'flood', cseq, via: { host: flooder.address, port: flooder.port, rport: true } }), port);
    }
    await logged('sipreg: rate-limited 127.0.0.3: ');

    // The ban runs out after 1 s; the next request from 127.0.0.1 ends it and is served.
    const registered = await eventually(
      () => registerWithDigest(guesser, port, { aor: AOR, ...ALICE, timeoutMs: 300 }).then((exchange) => exchange.final.status, () => undefined),
      'a REGISTER from 127.0.0.1 served after its ban', 10_000, context,
    );
    expect(registered).toBe(200);
    await logged('sipreg: unbanned 127.0.0.1 (expired)');
    await server.stop();

    const lines = logLines();
    const checked = await runToExit(FAIL2BAN_REGEX.path('fail2ban-regex'), ['--print-all-matched', '--print-all-missed', log, FILTER]);
    expect({ code: checked.code, stderr: checked.stderr }).toEqual({ code: 0, stderr: '' });
    const summary = /^Lines: (\d+) lines, (\d+) ignored, (\d+) matched, (\d+) missed$/m.exec(checked.stdout);
    expect(summary?.slice(1).map(Number)).toEqual([lines.length, 0, 1, lines.length - 1]);
    expect(printedBlock(checked.stdout, 'Matched')).toEqual([banLine]);
    expect(printedBlock(checked.stdout, 'Missed')).toEqual(lines.filter((line) => line !== banLine));

    const addresses = await runToExit(FAIL2BAN_REGEX.path('fail2ban-regex'), ['--out', 'ip', log, FILTER]);
    expect({ code: addresses.code, stdout: addresses.stdout }).toEqual({ code: 0, stdout: '127.0.0.1\n' });
  }, 60_000);
});
