import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ManagedProcess } from './spawn-managed';
import type { UdpSipPeer } from './udp-sip-peer';

/** What {@link suiteResources} releases after the suite: each call hands its argument back. */
export interface SuiteResources {
  /** A new temporary directory named `<prefix>XXXXXX`, removed with everything in it. */
  tempDir(prefix: string): string;
  /** A server process, stopped. */
  process<P extends ManagedProcess>(process: P): P;
  /** A UDP SIP peer, closed. */
  peer(peer: UdpSipPeer): UdpSipPeer;
}

/**
 * The server, peers and temporary directory an interop suite starts in its tests, released by
 * one `afterAll` it registers: peers closed, then the servers stopped, then the directories removed.
 */
export function suiteResources(): SuiteResources {
  const directories: string[] = [];
  const processes: ManagedProcess[] = [];
  const peers: UdpSipPeer[] = [];
  afterAll(async () => {
    await Promise.all(peers.map((peer) => peer.close()));
    await Promise.all(processes.map((process) => process.stop()));
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });
  return {
    tempDir(prefix) {
      const directory = mkdtempSync(join(tmpdir(), prefix));
      directories.push(directory);
      return directory;
    },
    process(process) {
      processes.push(process);
      return process;
    },
    peer(peer) {
      peers.push(peer);
      return peer;
    },
  };
}
