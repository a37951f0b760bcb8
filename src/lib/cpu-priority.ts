import { execFileSync } from 'node:child_process';
import { setPriority } from 'node:os';

/**
 * How a worker-only process stands back for the SMTP listeners on its machine.
 *
 * `idle` puts every thread of the process in the kernel's SCHED_IDLE class
 * (with util-linux `chrt`, on Linux): it gets all the CPU nobody else wants and
 * yields the moment a listener has work, so case processing no longer adds to
 * a sender's wait. A nice value only shifts shares; a listener still queues
 * behind a busy worker for a time slice. `low` is nice 10, `normal` changes
 * nothing. When `idle` cannot be had, `low` is used.
 */
export type CpuPriority = 'idle' | 'low' | 'normal';

export interface CpuPriorityDeps {
  /** Runs a program and throws when it fails (util-linux chrt). */
  run(file: string, args: string[]): void;
  setNice(value: number): void;
  pid: number;
}

/** The real thing, for process `pid`. */
export function systemCpuPriority(pid: number): CpuPriorityDeps {
  return {
    run: (file, args) => {
      execFileSync(file, args, { stdio: 'ignore', timeout: 5_000 });
    },
    setNice: (value) => setPriority(pid, value),
    pid,
  };
}

/** Applies `wanted`; returns what the process got, with the reason when it is less. */
export function lowerCpuPriority(wanted: CpuPriority, deps: CpuPriorityDeps = systemCpuPriority(process.pid)): { got: CpuPriority; problem?: string } {
  if (wanted === 'normal') return { got: 'normal' };
  let problem: string | undefined;
  if (wanted === 'idle') {
    try {
      deps.run('chrt', ['--all-tasks', '--idle', '--pid', '0', String(deps.pid)]);
      return { got: 'idle' };
    } catch (error) {
      problem = `SCHED_IDLE not available (${(error as Error).message.split('\n')[0]}); using nice 10`;
    }
  }
  try {
    deps.setNice(10);
    return { got: 'low', problem };
  } catch (error) {
    return { got: 'normal', problem: `could not lower the CPU priority: ${(error as Error).message}` };
  }
}
