import { createServer, type Server } from 'node:http';

/** How long {@link PushWebhook.next} waits for a push. */
const PUSH_TIMEOUT_MS = 4_000;

/**
 * A push gateway for `--pn-webhook` (RFC 8599 §6 leaves the PNS protocol to the operator): an
 * HTTP server on 127.0.0.1 that answers 200 to every POST and keeps its JSON body.
 */
export class PushWebhook {
  /** Every push received, in order. */
  readonly pushes: Record<string, unknown>[] = [];
  readonly #waiters = new Set<() => void>();
  readonly #server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => { body += chunk; });
    req.on('end', () => {
      this.pushes.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end();
      for (const w of this.#waiters) w();
    });
  });

  /** Listen on a free port; resolves to the URL for `--pn-webhook`. */
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.#server.listen(0, '127.0.0.1', r));
    const address = this.#server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/push`;
  }

  /** The first push for `prid` (received already or within 4 s); rejects with the pushes seen. */
  next(prid: string): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = this.pushes.find((p) => p.prid === prid);
        if (hit === undefined) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`no push for ${prid} within ${PUSH_TIMEOUT_MS} ms; got ${JSON.stringify(this.pushes)}`));
      }, PUSH_TIMEOUT_MS);
      this.#waiters.add(check);
      check();
    });
  }

  close(): Promise<void> {
    this.#server.closeAllConnections();
    return new Promise((r) => this.#server.close(() => r()));
  }
}
