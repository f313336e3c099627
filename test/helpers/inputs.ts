// Input fakes keyed by input name, as the action's runner would provide them.
import { InputReader, readSettings, RunContext, Settings } from '../../src/settings/inputs';
import { InputName } from '../../src/core/names';

export function fakeInputs(values: Partial<Record<InputName, string>>): InputReader {
  return (name) => values[name] ?? '';
}

export const testContext: RunContext = { runId: '1234567', runAttempt: '2', env: {} };

export function settingsFrom(values: Partial<Record<InputName, string>>, ctx: RunContext = testContext): Settings {
  return readSettings(fakeInputs(values), ctx);
}
