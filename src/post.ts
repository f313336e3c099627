// Entry of the action's post step (runs always, also after a failure or a cancel).
import { errorMessage } from './core/errors';
import { actionsIo, Io } from './core/io';
import { runPost } from './pipeline/pipeline';

async function run(io: Io = actionsIo()): Promise<void> {
  try {
    await runPost(io);
  } catch (err) {
    io.setFailed(errorMessage(err));
  }
}

/* istanbul ignore next */
if (require.main === module) void run();
