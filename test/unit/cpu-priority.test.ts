import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { lowerCpuPriority, systemCpuPriority, type CpuPriorityDeps } from '../../src/lib/cpu-priority.js';

/** Scheduling policy (SCHED_IDLE = 5) and nice value of every thread of `pid`, from /proc. */
function threads(pid: number): Array<{ policy: number; nice: number }> {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Counting from "state" as field 3 of proc(5): nice is field 19, policy field 41.
    return { nice: Number(fields[16]), policy: Number(fields[38]) };
  });
}

describe('a worker process stands back for the listeners', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
  });

  const nodeWithThreads = async (): Promise<number> => {
    child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    const pid = child.pid as number;
    // V8 and libuv start their threads at once; wait until they are there.
    for (let i = 0; i < 50 && threads(pid).length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return pid;
  };

  it('idle puts every thread of the process in SCHED_IDLE (real chrt, real kernel)', async () => {
    const pid = await nodeWithThreads();
    expect(threads(pid).length).toBeGreaterThan(1);
    expect(threads(pid).every((thread) => thread.policy === 0)).toBe(true);
    expect(lowerCpuPriority('idle', systemCpuPriority(pid))).toEqual({ got: 'idle' });
    expect(threads(pid).every((thread) => thread.policy === 5)).toBe(true);
  });

  it('low is nice 10', async () => {
    const pid = await nodeWithThreads();
    expect(lowerCpuPriority('low', systemCpuPriority(pid))).toEqual({ got: 'low' });
    expect(threads(pid)[0]).toEqual({ nice: 10, policy: 0 });
  });

  it('falls back to nice 10 and says why when SCHED_IDLE cannot be had, and normal touches nothing', () => {
    const calls: string[] = [];
    const deps: CpuPriorityDeps = {
      run: (file) => {
        calls.push(file);
        throw new Error('spawnSync chrt ENOENT');
      },
      setNice: (value) => calls.push(`nice ${value}`),
      pid: 1234,
    };
    const result = lowerCpuPriority('idle', deps);
    expect(result.got).toBe('low');
    expect(result.problem).toMatch(/SCHED_IDLE not available \(spawnSync chrt ENOENT\)/);
    expect(calls).toEqual(['chrt', 'nice 10']);
    calls.length = 0;
    expect(lowerCpuPriority('normal', deps)).toEqual({ got: 'normal' });
    expect(calls).toEqual([]);
  });
});
