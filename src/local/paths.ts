// Where the local provider keeps things on the host, and how it names what it creates. Every name
// carries the stack id between fixed separators, so leftovers of a crashed run are found by name and
// one stack's names never match another's (stack ids hold only [a-z0-9-], never a dot).

import * as path from 'path';
import { PRODUCT } from '../core/names';

export interface LocalPaths {
  /** Shared, survives runs: the debootstrapped root file system. */
  cacheDir: string;
  /** One folder per stack: node copies, pidfiles, stack.json. */
  stateRoot: string;
  /** Network namespaces as `ip netns` keeps them. */
  netnsDir: string;
}

export const DEFAULT_PATHS: LocalPaths = {
  cacheDir: `/var/cache/${PRODUCT}`,
  stateRoot: `/var/lib/${PRODUCT}`,
  netnsDir: '/run/netns',
};

/** Prefix of every host-visible name of a stack (namespaces, machine names). */
export function stackPrefix(stackId: string): string {
  return `ooa.${stackId}.`;
}

export function netnsName(stackId: string, node: string): string {
  return `${stackPrefix(stackId)}${node}`;
}

/** nspawn's machine name: also the instance id the Environment reports. */
export function machineName(stackId: string, node: string): string {
  return `ooa-${stackId}-${node}`;
}

export function stackDir(paths: LocalPaths, stackId: string): string {
  return path.join(paths.stateRoot, stackId);
}

export function nodeDir(paths: LocalPaths, stackId: string, node: string): string {
  return path.join(stackDir(paths, stackId), 'nodes', node);
}

export function pidfile(paths: LocalPaths, stackId: string, node: string): string {
  return path.join(stackDir(paths, stackId), `${node}.nspawn.pid`);
}

export function leaderPidfile(paths: LocalPaths, stackId: string, node: string): string {
  return path.join(stackDir(paths, stackId), `${node}.leader.pid`);
}

export function consoleLog(paths: LocalPaths, stackId: string, node: string): string {
  return path.join(stackDir(paths, stackId), `${node}.console.log`);
}

export function stackRecordPath(paths: LocalPaths, stackId: string): string {
  return path.join(stackDir(paths, stackId), 'stack.json');
}
