// Suites that need something a host may lack (root, a binary, an opt-in for the slow runs) are
// skipped loudly: the reason and how to run them go into the skipped suite's title, and
// scripts/jest-skip-reporter.js lists every skipped test with that text at the end of the run.
// Conditions are evaluated when the test file asks (at its top level), never at this module's import.
import * as fs from 'fs';

/** What the suite lacks, or null when it has it. */
export type Unmet = string | null;

/** Marks the reason inside a title; the reporter looks for it. */
export const SKIP_MARK = '[skipped: ';

/** How to run the suites that need root and the host tools: npm test installs the tools as root. */
export const AS_ROOT = 'run npm test as root (it installs the host tools itself)';

/** How to run the slow stage suites (real packages in nspawn machines, minutes each). */
export const STAGES_RUN = 'npm run test:stages (as root; it sets OOA_STAGES_REAL=1; minutes per OS)';

export function needRoot(): Unmet {
  return typeof process.getuid === 'function' && process.getuid() === 0 ? null : 'needs root';
}

/** A file, e.g. one a package provides: needFile('/usr/sbin/sshd', 'openssh-server'). */
export function needFile(file: string, aptPackage?: string): Unmet {
  if (fs.existsSync(file)) return null;
  return aptPackage ? `needs ${file} (Debian/Ubuntu package ${aptPackage})` : `needs ${file}`;
}

/** An opt-in variable for runs too slow for every npm test. */
export function needEnv(name: string, value = '1'): Unmet {
  return process.env[name] === value ? null : `slow: runs only with ${name}=${value}`;
}

/** The title of a skipped suite or test: what it lacks and how to run it. */
export function skippedTitle(title: string, unmet: string[], howToRun: string): string {
  return `${title} ${SKIP_MARK}${unmet.join('; ')}. To run it: ${howToRun}]`;
}

type Block = (title: string, fn: () => void) => void;
type Case = (title: string, fn: jest.ProvidesCallback, timeout?: number) => void;

const unmetOf = (needs: Unmet[]) => needs.filter((n): n is string => n !== null);

/** describe when every need is met; otherwise describe.skip with the reason and how to run it. */
export function describeIf(needs: Unmet[], howToRun: string): Block {
  const unmet = unmetOf(needs);
  if (unmet.length === 0) return describe;
  return (title, fn) => describe.skip(skippedTitle(title, unmet, howToRun), fn);
}

/** it when every need is met; otherwise it.skip with the reason and how to run it. */
export function itIf(needs: Unmet[], howToRun: string): Case {
  const unmet = unmetOf(needs);
  if (unmet.length === 0) return it;
  return (title, fn, timeout) => it.skip(skippedTitle(title, unmet, howToRun), fn, timeout);
}
