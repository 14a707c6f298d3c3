import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ManagedProcess } from './spawn-managed';
import type { UdpSipPeer } from './udp-sip-peer';

/** What a CLI test starts in each test, stopped and removed after it by {@link useCliFixture}. */
export interface CliFixture {
  /** A fresh working directory of the current test (its files, the CLI's cwd). */
  readonly dir: string;
  /** CLI processes started by the test, stopped after it. */
  readonly started: ManagedProcess[];
  /** UDP peers opened by the test, closed after it. */
  readonly peers: UdpSipPeer[];
}

/**
 * A fresh directory named `prefix…` under the system temp dir for each test (jest `beforeEach`),
 * and after each test every process in `started` stopped, every peer in `peers` closed and the
 * directory removed.
 */
export function useCliFixture(prefix: string): CliFixture {
  const fixture = { dir: '', started: [] as ManagedProcess[], peers: [] as UdpSipPeer[] };
  beforeEach(() => {
    fixture.dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await Promise.all(fixture.started.splice(0).map((s) => s.stop()));
    await Promise.all(fixture.peers.splice(0).map((p) => p.close()));
    rmSync(fixture.dir, { recursive: true, force: true });
  });
  return fixture;
}
