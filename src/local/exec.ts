// Host commands for the local provider: the shared runner (src/core/host-command.ts), re-exported so the
// provider can be handed a recording fake of the same type in unit tests.
export { runHost } from '../core/host-command';
export type { Run, RunOptions, RunResult } from '../core/host-command';
