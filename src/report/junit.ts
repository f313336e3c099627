// The smoke results as JUnit XML: one test case per check with its duration in seconds, and on
// failure the command, its output and a hint. Tempest's own suite is merged in beside ours.

import { promises as fs } from 'fs';
import * as path from 'path';
import { junitCounts, testsuiteElements } from '../smoke/junit-counts';
import { maskSecrets } from '../smoke/shell';
import type { CheckResult } from '../smoke/types';
import { xmlAttr, xmlText } from './xml';

interface JunitOptions {
  stackId: string;
  /** ISO time the checks started (JUnit's testsuite timestamp). */
  timestamp?: string;
  secrets?: readonly string[];
}

const secs = (s: number) => s.toFixed(3);

function failureBody(f: NonNullable<CheckResult['failure']>): string {
  return [`Command: ${f.command || '(none)'}`, 'Output:', f.output || '(none)', `Hint: ${f.hint}`].join('\n');
}

function testcase(r: CheckResult, secrets: readonly string[]): string {
  const mask = (t: string) => maskSecrets(t, secrets);
  const open = `    <testcase classname="openstack-on-aws.smoke" name="${xmlAttr(r.id)}" time="${secs(r.seconds)}">`;
  const inner: string[] = [];
  if (r.status === 'failed' && r.failure)
    inner.push(
      `      <failure message="${xmlAttr(mask(r.failure.message))}" type="CheckFailure">${xmlText(mask(failureBody(r.failure)))}</failure>`,
    );
  if (r.status === 'skipped') inner.push(`      <skipped message="${xmlAttr(mask(r.skippedReason ?? 'skipped'))}"/>`);
  const out = [r.name, ...r.notes].join('\n');
  inner.push(`      <system-out>${xmlText(mask(out))}</system-out>`);
  return [open, ...inner, '    </testcase>'].join('\n');
}

/** Tempest's suites, renamed so a CI report shows where they came from. */
function mergedSuites(results: CheckResult[], secrets: readonly string[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (!r.junit) continue;
    for (const suite of testsuiteElements(maskSecrets(r.junit, secrets))) {
      // subunit2junitxml writes name="": give the suite the check's id so a CI report shows its origin.
      const named = /^<testsuite\b[^>]*\sname="[^"]+"/.test(suite)
        ? suite
        : suite
            .replace(/^<testsuite\b([^>]*?)\s+name=""/, '<testsuite$1')
            .replace(/^<testsuite\b/, `<testsuite name="${xmlAttr(r.id)}"`);
      out.push(named);
    }
  }
  return out;
}

export function renderJunit(results: CheckResult[], opts: JunitOptions): string {
  const secrets = opts.secrets ?? [];
  const failures = results.filter((r) => r.status === 'failed').length;
  const skipped = results.filter((r) => r.status === 'skipped').length;
  const time = results.reduce((a, r) => a + r.seconds, 0);
  const extra = mergedSuites(results, secrets);
  const extraCounts = junitCounts(extra.join('\n'));
  const suiteAttrs = `tests="${results.length}" failures="${failures}" errors="0" skipped="${skipped}" time="${secs(time)}"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="openstack-on-aws" tests="${results.length + extraCounts.tests}" failures="${failures + extraCounts.failures}" errors="${extraCounts.errors}" skipped="${skipped + extraCounts.skipped}" time="${secs(time)}">`,
    `  <testsuite name="smoke" ${suiteAttrs}${opts.timestamp ? ` timestamp="${xmlAttr(opts.timestamp)}"` : ''}>`,
    '    <properties>',
    `      <property name="stack-id" value="${xmlAttr(opts.stackId)}"/>`,
    '    </properties>',
    ...results.map((r) => testcase(r, secrets)),
    '  </testsuite>',
    ...extra.map((s) => `  ${s}`),
    '</testsuites>',
    '',
  ].join('\n');
}

/** Writes the report under workDir and returns its path. */
export async function writeJunit(results: CheckResult[], workDir: string, opts: JunitOptions): Promise<string> {
  const file = path.join(workDir, `smoke-${opts.stackId}.junit.xml`);
  await fs.mkdir(workDir, { recursive: true });
  await fs.writeFile(file, renderJunit(results, opts));
  return file;
}
