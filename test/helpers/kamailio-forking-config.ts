import { kamailioRegistrarConfig } from './start-kamailio';

/**
 * A Kamailio registrar that routes calls as a transaction-stateful forking proxy, the reference
 * for sipreg's own (RFC 3261 §16): REGISTERs go to `save("location")`; a CANCEL follows its INVITE's
 * transaction, an ACK matching one is absorbed; other in-dialog requests (no Record-Route, so they
 * arrive only from a UA using Kamailio as outbound proxy) are relayed to their Request-URI; any other
 * request goes to every binding `lookup("location")` finds with `t_relay()` (tm forks to them in
 * parallel, 404 when none). Modules tm and siputils on top of {@link kamailioRegistrarConfig}'s.
 *
 * @param port - its UDP port on 127.0.0.1.
 */
export function kamailioForkingConfig(port: number): string {
  return kamailioRegistrarConfig(port, `
	if (method == "REGISTER") {
		if (!save("location")) sl_reply_error();
		exit;
	}
	if (method == "CANCEL") {
		if (t_check_trans()) t_relay();
		exit;
	}
	if (has_totag()) {
		if (method == "ACK" && t_check_trans()) exit;
		t_relay();
		exit;
	}
	if (!lookup("location")) {
		sl_send_reply("404", "Not Found");
		exit;
	}
	t_relay();
	exit;`, ['tm', 'siputils']);
}
