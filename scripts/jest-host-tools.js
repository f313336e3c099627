// jest globalSetup (jest.config.js): before any test runs, the host tools the tests drive for real
// are there. As root, scripts/host-tools.sh installs the missing ones from the distribution's
// packages; otherwise the run stops at once, before any test, with the one command that installs
// them. OOA_HOST_TOOLS=skip goes on without looking (e.g. one unit file on a host without apt):
// tests that need a missing tool then fail, with the tool's name in the error.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

const script = path.join(__dirname, 'host-tools.sh');

module.exports = async function hostTools() {
  if (process.env.OOA_HOST_TOOLS === 'skip') {
    process.stderr.write('host-tools: OOA_HOST_TOOLS=skip: host tools not checked\n');
    return;
  }
  // stdout is jest's (its --json goes there in .ci/run): the script's messages go to stderr only.
  // stdin is inherited rather than 'ignore' (/dev/null), which some hosts make root-only.
  const r = spawnSync('bash', [script, 'install'], { stdio: ['inherit', 2, 2] });
  if (r.status === 0) return;
  const error = new Error(
    r.error
      ? `npm test could not run ${script}: ${r.error.message}`
      : 'npm test stopped before running any test: host tools are missing (see above).',
  );
  error.stack = error.message; // jest prints the stack of a failed globalSetup: the message is enough
  throw error;
};
