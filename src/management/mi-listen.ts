import { isIP } from 'node:net';
import { ConfigError } from '../errors/sdk-error';

/** Where the management interface listens: `http:IP:PORT` parsed. */
export interface MiListen {
  /** An IPv4 or IPv6 literal (without brackets). */
  readonly host: string;
  /** 0 asks the kernel for a free port. */
  readonly port: number;
}

/**
 * `http:127.0.0.1:8888` or `http:[::1]:8888` (the `--mi-listen` syntax, OpenSIPS `httpd`'s
 * `ip` and `port` in one, like sipreg's SIP `--listen`).
 * @throws {@link ConfigError} naming the expected form.
 */
export function parseMiListen(spec: string): MiListen {
  const m = /^http:(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(spec);
  const host = m === null ? undefined : m[1] ?? m[2];
  const port = m === null ? NaN : Number(m[3]);
  if (host === undefined || isIP(host) === 0 || !(port >= 0 && port <= 65535)) {
    throw new ConfigError(`the management interface listens on http:IP:PORT (e.g. http:127.0.0.1:8888 or http:[::1]:8888), got '${spec}'`);
  }
  return { host, port };
}

/** True for 127.0.0.0/8, ::1 and an IPv4-mapped 127.x address: reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const v4 = host.toLowerCase().replace(/^::ffff:/, '');
  return (isIP(v4) === 4 && v4.startsWith('127.')) || host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host);
}
