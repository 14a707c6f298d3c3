import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** CPU time and memory of a process and all its descendants, from `/proc`. */
export interface ProcessTreeUsage {
  /** user + system CPU seconds consumed so far by the live processes of the tree. */
  readonly cpuSec: number;
  /**
   * Proportional set size summed over the tree, in bytes: resident memory with shared pages
   * (Kamailio's shared memory segment, mapped by every worker) counted once overall.
   */
  readonly pssBytes: number;
  /** How many processes the tree has. */
  readonly processes: number;
}

interface StatLine {
  readonly pid: number;
  readonly ppid: number;
  readonly cpuTicks: number;
}

/** `/proc/PID/stat`: fields after the parenthesised command name; ppid is the 2nd, utime the 12th, stime the 13th. */
function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function readPssBytes(pid: number): number {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
    const start = rollup.indexOf('\nPss:');
    if (start === -1) return 0;
    return Number.parseInt(rollup.slice(start + 5).trimStart(), 10) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Create a reader of CPU and memory use for a server under load (a sipreg CLI process, or
 * Kamailio's main process with its forked workers). The clock tick rate is read once.
 *
 * @returns a function taking the root pid.
 */
export function createProcessTreeUsageReader(): (rootPid: number) => ProcessTreeUsage {
  const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return (rootPid) => {
    const stats = readdirSync('/proc')
      .filter((name) => name.charCodeAt(0) >= 48 && name.charCodeAt(0) <= 57)
      .map((name) => readStat(Number(name)))
      .filter((stat): stat is StatLine => stat !== undefined);
    const tree = new Set<number>([rootPid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const stat of stats) {
        if (!tree.has(stat.pid) && tree.has(stat.ppid)) {
          tree.add(stat.pid);
          grew = true;
        }
      }
    }
    let ticks = 0;
    let pssBytes = 0;
    for (const stat of stats) {
      if (!tree.has(stat.pid)) continue;
      ticks += stat.cpuTicks;
      pssBytes += readPssBytes(stat.pid);
    }
    return { cpuSec: ticks / ticksPerSecond, pssBytes, processes: tree.size };
  };
}
