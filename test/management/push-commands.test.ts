import { PushCoordinator } from '../../src/features/push/push-coordinator';
import { pushCommands } from '../../src/management/push-commands';
import { BindingFlags } from '../../src/ports/binding';
import { BINDING_T0, buildBinding, ManualClock } from '../../src/testing';
import { runMiCommand } from '../helpers/run-mi-command';

const AOR = 'alice@example.com';
const APNS = 'sip:alice@192.0.2.10:5060;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78512;pn-param=ABCD1234.com.example.voip';
const FCM = 'sip:alice@192.0.2.11:5060;pn-provider=fcm;pn-param=project';

describe('push MI command (RFC 8599)', () => {
  it('push_pending lists the bindings waiting on a push until they re-register or time out', async () => {
    const clock = new ManualClock(BINDING_T0);
    const pushes = new PushCoordinator({ enabled: true, providers: ['apns', 'fcm'], refreshTimeoutSec: 6, pushRetrySec: 2 }, { clock, emit: () => undefined, random: () => 0.5 });
    const commands = pushCommands({ pendingPushes: () => pushes.pending() });
    expect(await runMiCommand(commands, 'push_pending')).toEqual({ Bindings: [] });
    const apns = buildBinding(APNS, { flags: BindingFlags.push });
    pushes.startPush(AOR, apns, 'lookup');
    clock.advance(1_000);
    pushes.startPush(AOR, buildBinding(FCM, { flags: BindingFlags.push }), 'purr');
    expect(await runMiCommand(commands, 'push_pending')).toEqual({
      Bindings: [
        {
          aor: AOR, contact: APNS, reason: 'lookup', pn_provider: 'apns', pn_prid: '00fc13adff78512', attempts: 1,
          started_at: new Date(BINDING_T0).toISOString(), retry_until: new Date(BINDING_T0 + 6_000).toISOString(), waiting_requests: 1,
        },
        {
          aor: AOR, contact: FCM, reason: 'purr', pn_provider: 'fcm', attempts: 1,
          started_at: new Date(BINDING_T0 + 1_000).toISOString(), retry_until: new Date(BINDING_T0 + 7_000).toISOString(), waiting_requests: 1,
        },
      ],
    });
    const refreshed = buildBinding(APNS, { flags: BindingFlags.push, updatedAt: clock.now(), expiresAt: clock.now() + 600_000 });
    pushes.bindingsSaved(AOR, [{ kind: 'refreshed', aor: AOR, binding: refreshed, previous: apns }]);
    clock.advance(2_000);
    expect(await runMiCommand(commands, 'push_pending')).toMatchObject({ Bindings: [{ contact: FCM, attempts: 2 }] });
    clock.advance(4_000);
    expect(await runMiCommand(commands, 'push_pending')).toEqual({ Bindings: [] });
    pushes.close();
  });
});
