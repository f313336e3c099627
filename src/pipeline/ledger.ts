// The ledger of created resources, saved to the action's state on every record so that the post
// step (a new process, possibly after a crash or a cancel) knows what to delete.

import type { Io } from '../core/io';
import { States } from '../core/names';
import type { ResourceLedger, ResourceRecord } from '../provider';

export function stateLedger(io: Io, initial: ResourceRecord[] = []): ResourceLedger {
  const records = [...initial];
  return {
    record(r) {
      if (records.some((x) => x.kind === r.kind && x.id === r.id)) return;
      records.push(r);
      io.saveState(States.Resources, JSON.stringify(records));
    },
    list: () => [...records],
  };
}

export function savedResources(io: Io): ResourceRecord[] {
  const raw = io.getState(States.Resources);
  return raw ? (JSON.parse(raw) as ResourceRecord[]) : [];
}
