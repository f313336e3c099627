// sweep for the local provider: every local stack whose stack.json says its lifetime has passed is
// torn down with down; a folder without stack.json is named, never guessed at.

import type { Io } from '../core/io';
import type { TeardownReport } from '../provider';
import type { LocalHost } from './host';
import { stackDir } from './paths';
import { listStackIds, readStackRecord } from './stack-record';

export async function sweepLocal(
  host: LocalHost,
  now: Date,
  ctx: { io: Io },
  down: (stackId: string) => Promise<TeardownReport>,
): Promise<TeardownReport[]> {
  const reports: TeardownReport[] = [];
  for (const id of listStackIds(host.paths)) {
    const rec = readStackRecord(host.paths, id);
    if (!rec) {
      ctx.io.warning(
        `local stack folder ${stackDir(host.paths, id)} has no stack.json; not sweeping it (use down --stack-id ${id})`,
      );
      continue;
    }
    if (Date.parse(rec.expiresAt) > now.getTime()) continue;
    ctx.io.info(`Local stack ${id} expired at ${rec.expiresAt}: removing it`);
    reports.push(await down(id));
  }
  return reports;
}
