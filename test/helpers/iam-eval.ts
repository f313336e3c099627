// A small IAM policy evaluator for the fake EC2: enough of IAM's rules to hold policy/iam-policy.json
// against every call the code makes. A request is a list of checks (one per resource the action
// touches, plus ec2:CreateTags for each resource tagged at creation); each check needs an Allow
// statement that matches its action, resource ARN and conditions, and no matching Deny.
// Condition operators it does not know fail loudly instead of being skipped.

import * as fs from 'fs';
import * as path from 'path';

export interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Statement: Statement[];
}

/** One authorisation EC2 makes for a request: an action on one resource, with its condition keys. */
export interface Check {
  action: string;
  arn: string;
  context: Record<string, string | undefined>;
}

/** The placeholder the README tells users to replace with their owner/repository. */
export const REPOSITORY_PLACEHOLDER = 'OWNER/REPO';

/** policy/iam-policy.json of this checkout, from the tests and from the benchmark's compiled copy alike. */
function policyFile(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'policy', 'iam-policy.json');
    if (fs.existsSync(file)) return file;
    if (path.dirname(dir) === dir) throw new Error(`policy/iam-policy.json not found above ${__dirname}`);
  }
}

export function loadPolicy(repository: string): PolicyDocument {
  const text = fs.readFileSync(policyFile(), 'utf8');
  return JSON.parse(text.split(REPOSITORY_PLACEHOLDER).join(repository)) as PolicyDocument;
}

const list = (v: string | string[]) => (Array.isArray(v) ? v : [v]);

const compiled = new Map<string, RegExp>();

function glob(pattern: string, value: string): boolean {
  let re = compiled.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    compiled.set(pattern, re);
  }
  return re.test(value);
}

function conditionHolds(op: string, key: string, wanted: string[], ctx: Check['context']): boolean {
  const value = ctx[key];
  switch (op) {
    case 'StringEquals':
      return value !== undefined && wanted.includes(value);
    case 'StringNotEquals':
      return value === undefined || !wanted.includes(value);
    case 'StringLike':
      return value !== undefined && wanted.some((w) => glob(w, value));
    case 'StringNotLike':
      return value === undefined || !wanted.some((w) => glob(w, value));
    case 'Bool':
      return value !== undefined && wanted.includes(value);
    case 'Null':
      return wanted.every((w) => (w === 'true' ? value === undefined : value !== undefined));
    default:
      throw new Error(`the policy evaluator does not know the condition operator ${op}`);
  }
}

function statementMatches(s: Statement, check: Check): boolean {
  if (!s.Action.some((a) => glob(a, check.action))) return false;
  if (!list(s.Resource).some((r) => glob(r, check.arn))) return false;
  return Object.entries(s.Condition ?? {}).every(([op, keys]) =>
    Object.entries(keys).every(([key, wanted]) => conditionHolds(op, key, list(wanted), check.context)),
  );
}

export interface Decision {
  allowed: boolean;
  /** Why a check was refused, naming its action and resource. */
  reason?: string;
}

/** Evaluates checks against a policy; `used` collects "Sid action" for every Allow that granted one. */
export function evaluate(policy: PolicyDocument, checks: Check[], used?: Set<string>): Decision {
  for (const check of checks) {
    const deny = policy.Statement.find((s) => s.Effect === 'Deny' && statementMatches(s, check));
    if (deny) {
      used?.add(`${deny.Sid} ${check.action}`);
      return { allowed: false, reason: `${check.action} on ${check.arn}: explicitly denied by ${deny.Sid}` };
    }
    const allows = policy.Statement.filter((s) => s.Effect === 'Allow' && statementMatches(s, check));
    if (allows.length === 0)
      return { allowed: false, reason: `${check.action} on ${check.arn}: no statement allows it` };
    for (const a of allows) used?.add(`${a.Sid} ${check.action}`);
  }
  return { allowed: true };
}
