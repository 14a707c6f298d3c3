import { parseArgs } from '../../../src/cli/parse-args';
import { PING_FLAGS, pingSettingsFrom, startPinger } from '../../../src/cli/ping-flags';
import { CliUsageError } from '../../../src/cli/cli-usage-error';
import { createRegistrar } from '../../../src/registrar/registrar';
import { FakeTransport } from '../../../src/testing/fake-transport';
import { ManualClock } from '../../../src/testing/manual-clock';
import { silentLogger } from '../../../src/ports/logger';

/** The `--ping-*` flags of the server commands (nathelper SIP pinging parameters). */

const values = (...argv: string[]) => parseArgs(argv, PING_FLAGS);

describe('pingSettingsFrom', () => {
  it('is off without --ping-interval or with 0', () => {
    expect(pingSettingsFrom(values())).toBeUndefined();
    expect(pingSettingsFrom(values('--ping-interval', '0'))).toBeUndefined();
  });

  it('turns seconds into the interval and passes every parameter', () => {
    expect(pingSettingsFrom(values(
      '--ping-interval', '30', '--ping-method', 'INFO', '--ping-from', 'sip:ka@example.com', '--ping-partitions', '4',
      '--ping-max-lost', '5', '--ping-remove-on-timeout', '1', '--ping-tcp', '1',
    ))).toEqual({ intervalMs: 30_000, method: 'INFO', from: 'sip:ka@example.com', partitions: 4, maxPingsLost: 5, removeOnTimeout: true, pingTcp: true });
  });

  it('names the flag of a bad value, and of a --ping-* flag without --ping-interval', () => {
    const usage = (...argv: string[]) => () => pingSettingsFrom(values(...argv));
    expect(usage('--ping-interval', '-1')).toThrow(CliUsageError);
    expect(usage('--ping-interval', '10', '--ping-partitions', '0')).toThrow(/^--ping-partitions: ContactPingerOptions\.partitions/);
    expect(usage('--ping-interval', '10', '--ping-max-lost', '0')).toThrow(/^--ping-max-lost: /);
    expect(usage('--ping-interval', '10', '--ping-method', 'INVITE')).toThrow(/^--ping-method: /);
    expect(usage('--ping-interval', '10', '--ping-from', 'pinger')).toThrow(/^--ping-from: /);
    expect(usage('--ping-interval', '99999999')).toThrow(/^--ping-interval: /);
    expect(usage('--ping-tcp', '1')).toThrow(/^--ping-tcp needs --ping-interval/);
  });
});

describe('startPinger', () => {
  it('starts a pinger on the registrar and transport only when --ping-interval is set', async () => {
    const clock = new ManualClock(0);
    const registrar = createRegistrar({ clock, purgeIntervalMs: 0 });
    const transport = new FakeTransport();
    expect(startPinger(values(), registrar, transport, silentLogger, clock)).toBeUndefined();
    const pinger = startPinger(values('--ping-interval', '20'), registrar, transport, silentLogger, clock);
    expect(pinger?.stats).toEqual({ sent: 0, answered: 0, lost: 0, removed: 0 });
    pinger?.close();
    await registrar.close();
  });
});
