// jest reporter (jest.config.js): at the end of a run, every skipped test is listed with why it was
// skipped and how to run it (the text test/helpers/requires.ts puts into the skipped suite's title),
// grouped per file, so no suite is skipped without a word. A skip without that text is listed too,
// as "no reason given", which is a defect to fix in that test file.
'use strict';
const path = require('path');

const MARK = '[skipped: ';

/** The reason text of a skipped test: from its own title or the nearest describe that has one. */
function reasonOf(test) {
  for (const title of [test.title, ...[...test.ancestorTitles].reverse()]) {
    const at = title.indexOf(MARK);
    if (at >= 0) return title.slice(at + MARK.length).replace(/\]$/, '');
  }
  return 'no reason given';
}

/** { file, reason, count } for every (file, reason) pair with skipped tests, in run order. */
function skippedGroups(results, rootDir) {
  const groups = new Map();
  for (const file of results.testResults) {
    for (const test of file.testResults) {
      if (test.status !== 'pending' && test.status !== 'skipped' && test.status !== 'disabled') continue;
      const rel = path.relative(rootDir, file.testFilePath);
      const reason = reasonOf(test);
      const key = `${rel}\0${reason}`;
      const g = groups.get(key) ?? { file: rel, reason, count: 0 };
      g.count += 1;
      groups.set(key, g);
    }
  }
  return [...groups.values()];
}

class SkipReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_contexts, results) {
    const groups = skippedGroups(results, this.rootDir);
    if (groups.length === 0) return;
    const total = groups.reduce((n, g) => n + g.count, 0);
    const lines = [`\nSkipped: ${total} test(s), with why and how to run them:`];
    for (const g of groups) lines.push(`  ${g.file} (${g.count}): ${g.reason}`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }
}

module.exports = SkipReporter;
module.exports.skippedGroups = skippedGroups;
