import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { eventually } from '../helpers/eventually';
import { redisCommand, startRedis } from '../helpers/start-redis';
import { runToExit, type Exited } from '../helpers/run-to-exit';

const run = promisify(execFile);
const CLI = ['--import', 'tsx', 'src/cli/main.ts'];

const failing = (args: string[]): Promise<Exited> => runToExit(process.execPath, [...CLI, ...args]);

/** Start the CLI and resolve with the port it announced. */
function start(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...CLI, 'registrar', '--listen', 'udp:127.0.0.1:0', '--log-level', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('CLI did not announce its socket')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening on udp:127\.0\.0\.1:(\d+)/.exec(d.toString());
      if (m) { clearTimeout(timer); resolve({ child, port: Number(m[1]) }); }
    });
    child.on('exit', (code) => reject(new Error(`CLI exited with ${code}`)));
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

async function transact(port: number, lines: string[]): Promise<string> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const me = socket.address().port;
  const reply = new Promise<string>((r) => socket.once('message', (m) => r(m.toString())));
  socket.send(lines.join('\r\n').replace(/PORT/g, String(me)), port, '127.0.0.1');
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([reply, new Promise<string>((_, j) => { timer = setTimeout(() => j(new Error('no reply')), 5000); })]);
  } finally {
    clearTimeout(timer);
    socket.close();
  }
}

const REGISTER = (user: string, cseq: number, contact = true) => [
  'REGISTER sip:example.com SIP/2.0', `Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-cli-${user}-${cseq};rport`, 'Max-Forwards: 70',
  `From: <sip:${user}@example.com>;tag=a`, `To: <sip:${user}@example.com>`, `Call-ID: cli-${user}`, `CSeq: ${cseq} REGISTER`,
  ...(contact ? [`Contact: <sip:${user}@127.0.0.1:PORT>`] : []), 'Content-Length: 0', '', '',
];

describe('sipreg CLI', () => {
  it('exits 2 with a clear message on a bad flag', async () => {
    expect(await failing(['registrar', '--no-such-flag', '1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown flag --no-such-flag') });
    expect(await failing(['registrar', '--min-expires', 'soon'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--min-expires takes an integer') });
    expect(await failing(['registrar', '--save-flags', 'zz'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown save flag 'z'") });
    expect(await failing(['registrar', '--max-expires', '10', '--min-expires', '60'])).toMatchObject({ code: 2, stderr: expect.stringContaining('maxExpires') });
    expect(await failing(['registrar', '--store', 'postgres://x'])).toMatchObject({ code: 2, stderr: expect.stringContaining("--store must be 'memory', 'sqlite:PATH', 'redis://HOST:PORT' or 'redis-cluster://HOST:PORT,...'") });
    expect(await failing(['registrar', '--store', 'redis-cluster://a:b'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--store: ') });
    expect(await failing(['bogus'])).toMatchObject({ code: 2, stderr: expect.stringContaining("unknown command 'bogus'") });
  });

  it('exits 2 with a clear message on a bad registrar extension flag', async () => {
    const cases: [string[], string][] = [
      [['--pn-webhook', 'ftp://x'], "push webhook URL must be http: or https:, got 'ftp://x'"],
      [['--pn-webhook', 'not a url'], "push webhook URL 'not a url' is not a URL"],
      [['--flow-timer', '-1'], 'flowTimer must be a non-negative integer of seconds, got -1'],
      [['--pn-enable', '1'], 'providers must list the push services to accept'],
      [['--disable-gruu', 'maybe'], '--disable-gruu takes 0/1'],
      [['--pn-refresh-timeout', 'soon'], '--pn-refresh-timeout takes an integer'],
    ];
    const results = await Promise.all(cases.map(([args]) => failing(['registrar', '--store', 'memory', '--listen', 'udp:127.0.0.1:0', ...args])));
    results.forEach((result, i) => expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(cases[i][1]) }));
  });

  it('lists the registrar extension flags in --help', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'registrar', '--help']);
    for (const flag of ['disable-gruu', 'gruu-secret', 'outbound', 'flow-timer', 'service-route', 'pn-enable', 'pn-providers',
      'pn-ct-match-params', 'pn-pnsreg-interval', 'pn-trigger-interval', 'pn-skip-pn-interval', 'pn-refresh-timeout',
      'pn-enable-purr', 'pn-purr-secret', 'pn-max-push-attempts', 'pn-webhook']) expect(stdout).toMatch(new RegExp(`^  --${flag} `, 'm'));
    expect(stdout).toMatch(/^  --save-flags .*p0\/p1\/p2 off\/lazy\/strict, v received/m);
  });

  it('reg-event: lists every pua_reginfo parameter in --help and exits 2 naming the flag of a bad value', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'registrar', '--help']);
    for (const flag of ['reginfo-server-address', 'reginfo-outbound-proxy', 'reginfo-default-domain', 'reginfo-publish', 'reginfo-publish-expires',
      'reginfo-notifier', 'reginfo-subscribe', 'reginfo-min-subscribe-expires', 'reginfo-max-subscribe-expires', 'reginfo-use-identities', 'reginfo-identities']) expect(stdout).toMatch(new RegExp(`^  --${flag} `, 'm'));
    const base = ['registrar', '--store', 'memory', '--listen', 'udp:127.0.0.1:0'];
    const server = ['--reginfo-server-address', 'sip:reginfo@127.0.0.1:5999'];
    const cases: [string[], string][] = [
      [['--reginfo-publish', '1'], '--reginfo-publish needs --reginfo-server-address'],
      [['--reginfo-server-address', 'reginfo@host'], "--reginfo-server-address: ReginfoOptions.serverAddress must be a sip: or sips: URI"],
      [[...server, '--reginfo-subscribe', 'alice@example.com'], "--reginfo-subscribe: expected URI[,EXPIRES]"],
      [[...server, '--reginfo-subscribe', 'sip:alice@example.com,0'], 'EXPIRES must be at least 1 second'],
      [[...server, '--reginfo-min-subscribe-expires', '0'], '--reginfo-min-subscribe-expires: ReginfoOptions.minSubscribeExpiresSec must be an integer in 1..'],
      [[...server, '--reginfo-outbound-proxy', 'tel:+1555'], '--reginfo-outbound-proxy: ReginfoOptions.outboundProxy must be a sip: or sips: URI'],
      [[...server, '--reginfo-default-domain', 'bad domain'], '--reginfo-default-domain: ReginfoOptions.defaultDomain must be a host name'],
    ];
    const results = await Promise.all(cases.map(([args]) => failing([...base, ...args])));
    results.forEach((result, i) => expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(cases[i][1]) }));
  });

  it('lists every module parameter in --help', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'registrar', '--help']);
    for (const flag of ['default-expires', 'min-expires', 'max-expires', 'default-q', 'realm-prefix', 'case-sensitive', 'received-param',
      'max-contacts', 'max-username-len', 'max-domain-len', 'max-aor-len', 'max-contact-len', 'retry-after', 'sock-hdr-name',
      'tcp-persistent-flag', 'save-flags', 'lookup-flags']) expect(stdout).toContain(`--${flag}`);
  });

  it('applies module parameters and save flags, and keeps bindings across a restart on SQLite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-cli-'));
    const db = join(dir, 'location.db');
    try {
      const a = await start(['--store', `sqlite:${db}`, '--min-expires', '120', '--save-flags', 'c1']);
      const ok = await transact(a.port, REGISTER('carol', 1));
      expect(ok).toMatch(/^SIP\/2\.0 200 OK/);
      expect(ok).toMatch(/Contact: <sip:carol@127\.0\.0\.1:\d+>;expires=3600/);
      expect(await stop(a.child)).toBe(0);

      const b = await start(['--store', `sqlite:${db}`]);
      const query = await transact(b.port, REGISTER('carol', 2, false));
      expect(query).toMatch(/^SIP\/2\.0 200 OK/);
      expect(query).toMatch(/Contact: <sip:carol@127\.0\.0\.1:\d+>;expires=3\d\d\d/);
      const notFound = await transact(b.port, ['OPTIONS sip:nobody@example.com SIP/2.0', 'Via: SIP/2.0/UDP 127.0.0.1:PORT;branch=z9hG4bK-o1;rport',
        'Max-Forwards: 70', 'From: <sip:x@example.com>;tag=1', 'To: <sip:nobody@example.com>', 'Call-ID: o1', 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '']);
      expect(notFound).toMatch(/^SIP\/2\.0 404/);
      expect(await stop(b.child)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('shares one location between two processes on Redis, answers 503 while Redis is down, and exits 1 when Redis is unreachable at start', async () => {
    const redis = await startRedis();
    try {
      const store = ['--store', redis.url, '--store-key-prefix', 'cli:', '--store-timeout', '500', '--retry-after', '3'];
      const [a, b] = await Promise.all([start(store), start(store)]);
      expect(await transact(a.port, REGISTER('dora', 1))).toMatch(/^SIP\/2\.0 200 OK/);
      // The other process answers from the same location.
      expect(await transact(b.port, REGISTER('dora', 2, false))).toMatch(/Contact: <sip:dora@127\.0\.0\.1:\d+>;expires=3\d\d\d/);
      expect(await redisCommand(redis.port, ['HEXISTS', 'cli:aor:{dora@example.com}', '0'])).toBe(1);
      // Notices are on by default: both processes listen on the change channel; --store-notices 0 does not.
      const listeners = async (): Promise<number> => ((await redisCommand(redis.port, ['PUBSUB', 'NUMSUB', 'cli:changes'])) as [string, number])[1];
      expect(await eventually(async () => ((await listeners()) === 2 ? 2 : undefined), 'two listeners', 5_000, () => '')).toBe(2);
      const quiet = await start([...store, '--store-notices', '0']);
      expect(await transact(quiet.port, REGISTER('dora', 5, false))).toMatch(/^SIP\/2\.0 200 OK/);
      expect(await listeners()).toBe(2);
      expect(await stop(quiet.child)).toBe(0);
      await redis.kill();
      const refused = await transact(b.port, REGISTER('dora', 3));
      expect(refused).toMatch(/^SIP\/2\.0 503/);
      expect(refused).toMatch(/Retry-After: 3/);
      await redis.restart();
      expect(await eventually(async () => ((await transact(b.port, REGISTER('dora', 4))).startsWith('SIP/2.0 200') ? true : undefined), 'a 200 after the restart', 10_000, () => '', 200)).toBe(true);
      expect([await stop(a.child), await stop(b.child)]).toEqual([0, 0]);
      await redis.kill();
      const unreachable = await failing(['registrar', '--listen', 'udp:127.0.0.1:0', '--store', redis.url]);
      expect(unreachable.code).toBe(1);
      expect(unreachable.stderr).toContain(`--store ${redis.url}: cannot reach Redis`);
    } finally {
      await redis.stop();
    }
  });

  it('--shtag: bindings carry the ownership tag, one node holds it and purges them, and the other takes over when it dies', async () => {
    const redis = await startRedis({ appendOnly: false });
    const children: ChildProcess[] = [];
    try {
      const flags = ['--store', redis.url, '--store-key-prefix', 'own:', '--shtag', 'vip/1', '--shtag-lease', '600', '--purge-interval', '100', '--min-expires', '1'];
      const nodes = await Promise.all([start(flags), start(flags)]);
      children.push(...nodes.map((n) => n.child));
      const holderPid = async (): Promise<number | undefined> => {
        const owner = await redisCommand(redis.port, ['GET', 'own:shtag:{vip/1}']);
        return typeof owner === 'string' ? Number(owner.split(':')[1]) : undefined;
      };
      const bindingOf = async (user: string): Promise<string | undefined> => {
        const json = await redisCommand(redis.port, ['HGET', `own:aor:{${user}@example.com}`, '0']);
        return typeof json === 'string' ? json : undefined;
      };
      const first = await eventually(holderPid, 'a holder of vip/1', 5_000, () => '');
      const holder = nodes.find((n) => n.child.pid === first)!;
      const backup = nodes.find((n) => n !== holder)!;
      expect(await transact(backup.port, [...REGISTER('emil', 1).slice(0, 7), 'Expires: 1', ...REGISTER('emil', 1).slice(7)])).toMatch(/^SIP\/2\.0 200 OK/);
      expect(JSON.parse((await bindingOf('emil'))!)).toMatchObject({ ownershipTag: 'vip/1' });
      await eventually(async () => ((await bindingOf('emil')) === undefined ? true : undefined), 'the holder purging the expired binding', 5_000, () => '');
      holder.child.kill('SIGKILL');
      expect(await eventually(async () => ((await holderPid()) === backup.child.pid ? true : undefined), 'the backup taking vip/1 over', 5_000, () => '')).toBe(true);
      expect(await transact(backup.port, [...REGISTER('fay', 1).slice(0, 7), 'Expires: 1', ...REGISTER('fay', 1).slice(7)])).toMatch(/^SIP\/2\.0 200 OK/);
      await eventually(async () => ((await bindingOf('fay')) === undefined ? true : undefined), 'the new holder purging', 5_000, () => '');
      expect(await failing(['registrar', '--shtag', 'vip/1'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--shtag needs --store redis://') });
    } finally {
      for (const child of children) if (child.exitCode === null && child.signalCode === null) await stop(child);
      await redis.stop();
    }
  });

  it('registrant: lists every uac_registrant module parameter in --help and exits 2 on bad ones', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'registrant', '--help']);
    for (const flag of ['registrants', 'hash-size', 'timer-interval', 'failure-retry-interval', 'table-name', 'registrar-column', 'proxy-column',
      'aor-column', 'third-party-registrant-column', 'username-column', 'password-column', 'binding-uri-column', 'binding-params-column',
      'expiry-column', 'forced-socket-column', 'cluster-shtag-column', 'state-column', 'shtag-active']) expect(stdout).toMatch(new RegExp(`^  --${flag} `, 'm'));
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-cli-'));
    try {
      const file = join(dir, 'registrants.json');
      writeFileSync(file, JSON.stringify([{ aor: 'sip:a@example.com', bindingUri: 'sip:a@127.0.0.1', registrar: 'sip:127.0.0.1:5070', colour: 'red' }]));
      const base = ['registrant', '--listen', 'udp:127.0.0.1:0'];
      const cases: [string[], string][] = [
        [[], '--registrants is required'],
        [['--registrants', 'postgres://x'], '--registrants takes sqlite:PATH or FILE.json'],
        [['--registrants', file], 'colour'],
        [['--registrants', join(dir, 'none.json'), '--hash-size', '5', '--timer-interval', '8'], '--timer-interval: RegistrantSchedulerOptions.timerIntervalSec (8) must be at least the number of buckets'],
        [['--registrants', join(dir, 'none.json'), '--shtag-active', 'vip'], '--shtag-active takes TAG/CLUSTER_ID'],
      ];
      writeFileSync(join(dir, 'none.json'), '[]');
      const results = await Promise.all(cases.map(([args]) => failing([...base, ...args])));
      results.forEach((result, i) => expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(cases[i][1]) }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('registrant: registers from a JSON file, logs each state change, SIGHUP reloads the file, --shtag-active gates, --unregister-on-exit unREGISTERs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipreg-cli-'));
    const registrar = dgram.createSocket('udp4');
    await new Promise<void>((r) => registrar.bind(0, '127.0.0.1', r));
    // A scripted remote registrar: 200 OK echoing the Contact of every REGISTER.
    const received: string[] = [];
    registrar.on('message', (m, rinfo) => {
      const text = m.toString();
      received.push(text);
      const head = text.split('\r\n').filter((l) => /^(Via|From|To|Call-ID|CSeq|Contact):/i.test(l));
      registrar.send(['SIP/2.0 200 OK', ...head.map((l) => (/^To:/i.test(l) ? `${l};tag=r` : l)), 'Content-Length: 0', '', ''].join('\r\n'), rinfo.port, rinfo.address);
    });
    const entry = (user: string) => ({ aor: `sip:${user}@example.com`, binding_URI: `sip:${user}@127.0.0.1`, registrar: `sip:127.0.0.1:${registrar.address().port}`, expiry: 300, state: 0 });
    const file = join(dir, 'registrants.json');
    const elsewhere = { ...entry('cal'), cluster_shtag: 'vip/1' }; // its sharing tag is active on another node
    writeFileSync(file, JSON.stringify([entry('ann'), elsewhere]));
    const child = spawn(process.execPath, [...CLI, 'registrant', '--registrants', file, '--listen', 'udp:127.0.0.1:0', '--hash-size', '0', '--timer-interval', '2',
      '--shtag-active', 'edge/1', '--unregister-on-exit', '1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    const logged = (aor: string, state: string) => new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${state} for ${aor} in:\n${log}`)), 15_000);
      const check = (): void => {
        if (log.split('\n').some((l) => l.includes(`"aor":"${aor}"`) && l.includes(`"to":"${state}"`))) { clearTimeout(timer); resolve(); } else setTimeout(check, 50);
      };
      check();
    });
    try {
      await logged('sip:ann@example.com', 'REGISTERED');
      expect(log).toContain('"from":"NOT_REGISTERED","to":"REGISTERING"');
      writeFileSync(file, JSON.stringify([entry('ann'), elsewhere, entry('bob')]));
      child.kill('SIGHUP');
      await logged('sip:bob@example.com', 'REGISTERED');
      expect(await stop(child)).toBe(0);
      const to = (user: string) => received.filter((m) => m.includes(`To: <sip:${user}@example.com>`));
      expect(to('cal')).toEqual([]);
      for (const user of ['ann', 'bob']) expect(to(user).at(-1)).toMatch(/Contact: <[^>]+>;expires=0\r\n/);
    } finally {
      child.kill('SIGKILL');
      registrar.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('mid-registrar: lists every mid_registrar module parameter in --help and exits 2 on bad ones', async () => {
    const { stdout } = await run(process.execPath, [...CLI, 'mid-registrar', '--help']);
    for (const flag of ['mode', 'upstream', 'advertise', 'contact-id-insertion', 'contact-id-param', 'at-escape-str', 'outgoing-expires',
      'expires-max-deviation', 'extra-contact-params', 'upstream-credentials', 'min-expires', 'max-expires', 'default-q', 'realm-prefix',
      'case-sensitive', 'max-contacts', 'retry-after', 'disable-gruu', 'gruu-secret', 'pn-enable', 'tcp-persistent-flag']) expect(stdout).toMatch(new RegExp(`^  --${flag} `, 'm'));
    const base = ['mid-registrar', '--store', 'memory', '--listen', 'udp:127.0.0.1:0'];
    const cases: [string[], string][] = [
      [[], '--upstream is required'],
      [['--upstream', 'udp:nowhere'], '--upstream:'],
      [['--upstream', 'udp:127.0.0.1:5070', '--mode', 'sometimes'], '--mode: MidRegistrarOptions.mode must be one of mirror, throttle-contact, throttle-aor'],
      [['--upstream', 'udp:127.0.0.1:5070', '--contact-id-insertion', 'header'], '--contact-id-insertion:'],
      [['--upstream', 'udp:127.0.0.1:5070', '--advertise', 'host-without-port'], '--advertise takes HOST:PORT'],
      [['--upstream', 'udp:127.0.0.1:5070', '--upstream-credentials', 'nopassword'], '--upstream-credentials takes USER:PASSWORD'],
    ];
    const results = await Promise.all(cases.map(([args]) => failing([...base, ...args])));
    results.forEach((result, i) => expect(result).toMatchObject({ code: 2, stderr: expect.stringContaining(cases[i][1]) }));
  });
});
