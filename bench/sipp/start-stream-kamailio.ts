/**
 * Kamailio as the reference registrar of `streams.bench.ts`: the wire benches' config
 * (`kamailio.cfg.tmpl`, in-memory usrloc) with TCP and TLS listeners next to UDP, and SIP over
 * WebSocket (RFC 7118) on both through its `websocket` and `xhttp` modules.
 * Not a bench itself (`bench/run.ts` runs `*.bench.ts` files only).
 */
import { readFileSync } from 'node:fs';

import type { ManagedProcess } from '../../test/helpers/spawn-managed';
import { kamailioModuleDirectory, startKamailio } from '../../test/helpers/start-kamailio';

/** Options for {@link startStreamKamailio}. */
export interface StartStreamKamailioOptions {
  readonly kamailioPath: string;
  /** UDP and TCP port on 127.0.0.1: SIP over UDP and TCP, and WS (HTTP upgrade) on the TCP one. */
  readonly port: number;
  /** TLS port on 127.0.0.1: SIP over TLS and WSS. */
  readonly tlsPort: number;
  /** PEM files of the server certificate and its key. */
  readonly certPath: string;
  readonly keyPath: string;
  /** Most TCP and TLS connections open at once (`tcp_max_connections`, `tls_max_connections`). */
  readonly maxConnections: number;
  /** SIP worker processes (`children`, and `tcp_children` alike). @defaultValue 2 */
  readonly children?: number;
}

const TEMPLATE = new URL('./kamailio.cfg.tmpl', import.meta.url);

/** The modules after registrar: TLS with the given certificate, HTTP and WebSocket. */
function modules(options: StartStreamKamailioOptions): string {
  return [
    'loadmodule "tls.so"',
    'loadmodule "xhttp.so"',
    'loadmodule "websocket.so"',
    `modparam("tls", "certificate", "${options.certPath}")`,
    `modparam("tls", "private_key", "${options.keyPath}")`,
    // TLS 1.2 and later, as sipreg's minimum (the module's default is TLS 1.0 only).
    'modparam("tls", "tls_method", "TLSv1.2+")',
    'modparam("tls", "verify_certificate", 0)',
    'modparam("tls", "require_certificate", 0)',
  ].join('\n');
}

/** RFC 7118 §4 handshakes arrive as HTTP GETs with `Upgrade: websocket` (Kamailio's websocket module checks the `sip` subprotocol). */
const WEBSOCKET_ROUTE = `
event_route[xhttp:request] {
	set_reply_close();
	set_reply_no_connect();
	if ($hdr(Upgrade) =~ "websocket" && $hdr(Connection) =~ "Upgrade" && $rm =~ "GET") {
		if (ws_handle_handshake()) exit;
	}
	xhttp_reply("404", "Not Found", "", "");
}
`;

/**
 * Start Kamailio 5.6 listening on `udp:`, `tcp:` (SIP and WS) at `port` and `tls:` (SIP and
 * WSS) at `tlsPort`, all on 127.0.0.1, saving every REGISTER in memory; resolves once it answers
 * SIP over UDP.
 */
export function startStreamKamailio(options: StartStreamKamailioOptions): Promise<ManagedProcess> {
  const listen = [`udp:127.0.0.1:${options.port}`, `tcp:127.0.0.1:${options.port}`, `tls:127.0.0.1:${options.tlsPort}`].map((address) => `listen=${address}`).join('\n');
  const streams = ['enable_tls=yes', 'tcp_accept_no_cl=yes', `tcp_max_connections=${options.maxConnections}`, `tls_max_connections=${options.maxConnections}`].join('\n');
  const config =
    readFileSync(TEMPLATE, 'utf8')
      .replace('disable_tcp=yes', streams)
      .replace('mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"', `mpath="${kamailioModuleDirectory()}/"`)
      .replace('listen=__LISTEN__', listen)
      .replaceAll('__CHILDREN__', String(options.children ?? 2))
      .replace('__AUTH_MODULE__', modules(options))
      .replace('__AUTH_CHECK__', '') + WEBSOCKET_ROUTE;
  return startKamailio({ kamailioPath: options.kamailioPath, port: options.port, config, sharedMemoryMb: 2048, privateMemoryMb: 16 });
}
