/**
 * Register this server on a SIP trunk and keep the registration alive (OpenSIPS
 * uac_registrant): an SBC that must appear at its carrier's registrar as
 * `sip:pbx@carrier.example` with its own address as the Contact.
 *
 * Here the "carrier" is a sipreg registrar on its own socket so the example runs alone; in
 * production `registrar` is your carrier's (`sip:carrier.example`, resolved through DNS) and the
 * records usually live in an OpenSIPS `registrant` table (`SqliteRegistrantStore` from
 * `sipreg/stores/sqlite`) or a JSON file (`JsonFileRegistrantStore`).
 *
 * Run: `node --import tsx examples/trunk-registration.ts` (Ctrl-C unregisters and stops), or
 * with `--smoke` to register, check the carrier holds the binding, disable it and exit.
 */
import { createRegistrar, createRegistrarServer, createRegistrantScheduler, MemoryRegistrantStore } from 'sipreg';
import { createNodeTransport } from 'sipreg/transports/node';

// The carrier's registrar (stands for the remote one).
const carrierTransport = await createNodeTransport({ listen: ['udp:127.0.0.1:0'] });
const carrier = createRegistrar({ minExpires: 60 });
createRegistrarServer({ registrar: carrier, transport: carrierTransport });
const [carrierSocket] = carrierTransport.endpoints();

// Our side: the socket the REGISTERs leave from, and the registrant records.
const transport = await createNodeTransport({ listen: [`udp:127.0.0.1:${process.env.PORT ?? 0}`] });
const [local] = transport.endpoints();
const trunk = {
  aor: 'sip:pbx@carrier.example',
  bindingUri: `sip:pbx@${local.address}:${local.port}`,
  registrar: `sip:${carrierSocket.address}:${carrierSocket.port}`,
  username: 'pbx',
  password: 'secret',
  expirySec: 600,
  enabled: true,
};
const scheduler = await createRegistrantScheduler({
  store: new MemoryRegistrantStore([trunk]),
  transport,
  hashSize: 0,
  timerIntervalSec: 30,
  unregisterOnClose: true,
});
scheduler.on('stateChange', (c) => console.log(`${c.registrant.aor}: ${c.from} -> ${c.to} (${c.reason})`));

const registered = new Promise<void>((resolve) => scheduler.on('stateChange', (c) => c.to === 'REGISTERED' && resolve()));
await registered;
const [status] = scheduler.list(trunk);
console.log(`registered until ${new Date(status.registeredUntil).toISOString()}, refresh at ${new Date(status.dueAt).toISOString()}`);

if (process.argv.includes('--smoke')) {
  const held = await carrier.bindings('pbx@carrier.example');
  await scheduler.disable(trunk); // sends the unREGISTER at once
  await new Promise<void>((resolve) => scheduler.on('stateChange', (c) => c.to === 'NOT_REGISTERED' && resolve()));
  const after = await carrier.bindings('pbx@carrier.example');
  await scheduler.close();
  await Promise.all([transport.close(), carrierTransport.close()]);
  const ok = held.length === 1 && held[0].contact === trunk.bindingUri && after.length === 0;
  console.log(ok ? 'smoke: OK' : `smoke: FAILED (held ${held.length}, after disable ${after.length})`);
  process.exitCode = ok ? 0 : 1;
} else {
  process.on('SIGINT', () => {
    void scheduler.close().then(() => Promise.all([transport.close(), carrierTransport.close()]));
  });
}
