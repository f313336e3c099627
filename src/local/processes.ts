// Host process helpers that never act on a PID without first checking it is still the process we
// started (a recorded PID may have been reused by the time `down` runs after a crash).

import * as fs from 'fs';
import { realSleep, Sleep } from '../core/retry';

export function cmdlineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return undefined;
  }
}

/** Alive and not a zombie (a zombie's parent may never reap it inside a container). */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function childrenOf(pid: number): number[] {
  try {
    return fs
      .readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s)
      .map(Number);
  } catch {
    return [];
  }
}

export function netnsInode(pathOrPid: string | number): string | undefined {
  try {
    const p = typeof pathOrPid === 'number' ? `/proc/${pathOrPid}/ns/net` : pathOrPid;
    return String(fs.statSync(p).ino);
  } catch {
    return undefined;
  }
}

export function signal(pid: number, sig: NodeJS.Signals): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of the PIDs is alive, up to timeoutMs; returns those still alive. */
export async function waitGone(pids: number[], timeoutMs: number, sleep: Sleep = realSleep): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let alive = pids.filter(isAlive);
  while (alive.length && Date.now() < deadline) {
    await sleep(200);
    alive = alive.filter(isAlive);
  }
  return alive;
}

export function readPidfile(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(n) && n > 1 ? n : undefined;
  } catch {
    return undefined;
  }
}
