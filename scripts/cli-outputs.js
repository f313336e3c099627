// What a CLI run of `up` left for the scripts that drive it (e2e-local.js, bench-baked.js): its
// outputs. Short ones are printed as `output <name>=<value>` lines; long ones (the timings among
// them) go to <state-dir>/<stack>.outputs.json instead.
'use strict';
const fs = require('fs');
const path = require('path');

/** The outputs file of a run: name → value ({} when the run wrote none). */
function cliOutputs(stateDir, stackId) {
  try {
    return JSON.parse(fs.readFileSync(path.join(stateDir, `${stackId}.outputs.json`), 'utf8'));
  } catch {
    return {};
  }
}

/** The timings output: from a printed line when there was one, else from the outputs file. */
function cliTimings(printed, stateDir, stackId) {
  if (printed) return printed;
  const raw = cliOutputs(stateDir, stackId).timings;
  if (!raw) return undefined;
  return typeof raw === 'string' ? JSON.parse(raw) : raw;
}

/** The timings of one printed line, if it is the timings output. */
function timingsLine(line) {
  return line.startsWith('output timings=') ? JSON.parse(line.slice('output timings='.length)) : undefined;
}

module.exports = { cliOutputs, cliTimings, timingsLine };
