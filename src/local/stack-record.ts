// stack.json in each local stack's folder: what `down` and `sweep` need when the process that
// created the stack is gone (a crash, a cancelled job, another terminal).

import * as fs from 'fs';
import * as path from 'path';
import { LocalPaths, stackRecordPath } from './paths';

export interface StackRecord {
  stackId: string;
  createdAt: string;
  expiresAt: string;
  nodes: string[];
  /** The emulated VPC's id (its namespaces are named after it). */
  vpcId: string;
  /** Host /32 routes added to keep the host's path to its mirror (see mirror-routes.ts). */
  pinnedRoutes: string[];
}

export function writeStackRecord(paths: LocalPaths, r: StackRecord): void {
  const file = stackRecordPath(paths, r.stackId);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(r, null, 2) + '\n');
}

export function readStackRecord(paths: LocalPaths, stackId: string): StackRecord | undefined {
  try {
    return JSON.parse(fs.readFileSync(stackRecordPath(paths, stackId), 'utf8')) as StackRecord;
  } catch {
    return undefined;
  }
}

/** Every stack folder under the state root (whether or not its stack.json survived). */
export function listStackIds(paths: LocalPaths): string[] {
  if (!fs.existsSync(paths.stateRoot)) return [];
  return fs
    .readdirSync(paths.stateRoot, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^[a-z][a-z0-9-]*$/.test(d.name))
    .map((d) => d.name);
}
