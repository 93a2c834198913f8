// CPU time and peak memory of a process tree, from /proc (Linux only). CPU is utime+stime of every
// live process in the tree (all of a process's threads are counted in its own stat line); peak
// memory is the sum of VmHWM, reset before each measured run through /proc/<pid>/clear_refs;
// syscalls come from /proc/<pid>/io (on loopback a write(2) also pays for the TCP delivery, so
// syscalls per request explain much of the CPU gap between proxies). The load generators are
// short-lived children of the benchmark runner: their CPU is what the runner's cutime/cstime grow
// by while one runs (the kernel adds a child's times there when it is reaped), and the machine's
// total busy time (/proc/stat) shows how much of the cores everything else took.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Fields after the ")" that ends the command name: [state, ppid, …]; utime is field 14 of stat(5). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** `root` and its live descendants. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const parent = Number(statFields(pid)?.[1]);
    if (!Number.isInteger(parent)) continue;
    const siblings = children.get(parent);
    if (siblings === undefined) children.set(parent, [pid]);
    else siblings.push(pid);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** utime and stime of the processes, in microseconds (resolution: one clock tick, usually 10 ms). */
export function cpuMicros(pids: readonly number[]): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    const fields = statFields(pid);
    if (fields === undefined) continue;
    user += Number(fields[11]);
    system += Number(fields[12]);
  }
  return { user: (user * 1_000_000) / ticksPerSecond, system: (system * 1_000_000) / ticksPerSecond };
}

/** Resets the peak-RSS mark (Linux ≥ 4.0, "5" in proc(5) clear_refs); false when not allowed. */
export function resetPeakRss(pids: readonly number[]): boolean {
  let isReset = true;
  for (const pid of pids) {
    try {
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      isReset = false;
    }
  }
  return isReset;
}

/** Sum of VmHWM (peak resident set) in bytes. */
export function peakRssBytes(pids: readonly number[]): number {
  let kilobytes = 0;
  for (const pid of pids) {
    try {
      const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) kilobytes += Number(match[1]);
    } catch {
      // the process ended
    }
  }
  return kilobytes * 1024;
}

/** read(2)- and write(2)-family system calls made so far (syscr/syscw of /proc/<pid>/io). */
export function syscalls(pids: readonly number[]): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const pid of pids) {
    try {
      const io = readFileSync(`/proc/${pid}/io`, 'utf8');
      reads += Number(/^syscr: (\d+)/m.exec(io)?.[1] ?? 0);
      writes += Number(/^syscw: (\d+)/m.exec(io)?.[1] ?? 0);
    } catch {
      // the process ended, or /proc/<pid>/io is not readable
    }
  }
  return { reads, writes };
}

/**
 * CPU of this process's children that have ended and been reaped (cutime+cstime of
 * /proc/self/stat): the load generator's CPU is the difference across its run.
 */
export function reapedChildrenCpuMicros(): number {
  const fields = statFields(process.pid);
  if (fields === undefined) return 0;
  return ((Number(fields[13]) + Number(fields[14])) * 1_000_000) / ticksPerSecond;
}

/** Busy CPU time of the whole machine (every core, every process: /proc/stat "cpu" line, not idle or iowait). */
export function machineBusyMicros(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest is inside user)
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (((user ?? 0) + (nice ?? 0) + (system ?? 0) + (irq ?? 0) + (softirq ?? 0) + (steal ?? 0)) * 1_000_000) / ticksPerSecond;
  } catch {
    return 0;
  }
}
