// policy/iam-policy.json grants exactly the EC2 actions the code calls: a command added to
// src/aws without the policy (or a grant nothing uses) fails here. Scoping: everything but reads
// is conditioned on the stack tag key.

import * as fs from 'fs';
import * as path from 'path';
import { Inputs, Tags } from '../../src/core/names';
import { rig } from './aws/harness';

interface Statement {
  Sid: string;
  Effect: 'Allow' | 'Deny';
  Action: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}

const root = path.join(__dirname, '..', '..');
const policy = JSON.parse(fs.readFileSync(path.join(root, 'policy', 'iam-policy.json'), 'utf8')) as {
  Statement: Statement[];
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every `new XxxCommand(` in src/aws: the EC2 actions the code can call. */
function calledActions(): Set<string> {
  const actions = new Set<string>();
  for (const file of sourceFiles(path.join(root, 'src', 'aws'))) {
    for (const m of fs.readFileSync(file, 'utf8').matchAll(/new ([A-Z][A-Za-z0-9]*)Command\(/g)) actions.add(m[1]);
  }
  return actions;
}

const granted = (s: Statement) => s.Action.map((a) => a.replace(/^ec2:/, ''));
const allGranted = () => new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap(granted));
const stackTagCondition = (s: Statement, kind: 'RequestTag' | 'ResourceTag') =>
  s.Condition?.Null?.[`aws:${kind}/${Tags.StackId}`] === 'false';

describe('policy/iam-policy.json', () => {
  it('grants every EC2 action the code calls, and nothing else (CreateTags only for tag-on-create)', () => {
    const called = calledActions();
    expect(called.size).toBeGreaterThan(30);
    expect(called).toContain('RunInstances');
    const expected = new Set([...called, 'CreateTags']);
    const grants = allGranted();
    expect([...expected].filter((a) => !grants.has(a)).sort()).toEqual([]); // the code calls it, the policy lacks it
    expect([...grants].filter((a) => !expected.has(a)).sort()).toEqual([]); // granted, but nothing calls it
    for (const s of policy.Statement) for (const a of s.Action) expect(a).toMatch(/^ec2:[A-Z][A-Za-z]+$/);
  });

  it('lets only reads (and launching from an image) go without the stack tag condition', () => {
    for (const s of policy.Statement) {
      if (s.Condition) continue;
      const unscoped = granted(s).filter((a) => !a.startsWith('Describe'));
      if (unscoped.length === 0) continue;
      expect(unscoped).toEqual(['RunInstances']);
      expect(s.Resource).toEqual(['arn:aws:ec2:*::image/*']);
    }
  });

  it('tags on create exactly for the calls that send TagSpecifications, each under the stack tag condition', async () => {
    const r = rig({ [Inputs.Topology]: 'full', [Inputs.Spot]: 'true' });
    await r.up();
    await r.down();
    const tagged = new Set(r.fake.calls.filter((c) => c.input.TagSpecifications).map((c) => c.op));
    expect(tagged.size).toBeGreaterThan(5);
    const createTags = policy.Statement.find((s) => granted(s).includes('CreateTags'))!;
    expect(new Set(createTags.Condition!.StringEquals['ec2:CreateAction'] as string[])).toEqual(tagged);
    const create = policy.Statement.filter((s) => stackTagCondition(s, 'RequestTag'));
    expect(new Set(create.flatMap(granted))).toEqual(tagged);
    // Everything that changes or deletes an existing resource needs the stack tag on that resource.
    const change = policy.Statement.filter((s) => stackTagCondition(s, 'ResourceTag')).flatMap(granted);
    const mutating = [...calledActions()].filter(
      (a) =>
        !a.startsWith('Describe') &&
        !['CreateVpc', 'CreateInternetGateway', 'AllocateAddress', 'ImportKeyPair'].includes(a),
    );
    expect(mutating.filter((a) => !change.includes(a))).toEqual([]);
  });
});
