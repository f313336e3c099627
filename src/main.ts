// Entry of the action's main step: thin on purpose; everything lives in pipeline.ts.
import { errorMessage } from './core/errors';
import { actionsIo, Io } from './core/io';
import { runContextFromEnv, runMain } from './pipeline/pipeline';

async function run(io: Io = actionsIo()): Promise<void> {
  try {
    await runMain(io, runContextFromEnv(process.env));
  } catch (err) {
    io.setFailed(errorMessage(err));
  }
}

/* istanbul ignore next */
if (require.main === module) void run();
