import * as fs from 'fs';
import * as yaml from 'js-yaml';
import * as path from 'path';
import { Inputs, Outputs } from '../../src/core/names';
import { LOG_BUNDLE_RETENTION_DAYS, logBundleArtifactName } from '../../src/report/artifact-upload';

interface ActionYml {
  name: string;
  description: string;
  branding: { icon: string; color: string };
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string; post: string; 'post-if': string };
}

const action = yaml.load(fs.readFileSync(path.join(__dirname, '../../action.yml'), 'utf8')) as ActionYml;

describe('action.yml', () => {
  it('runs on node24 with a main and a post that always runs', () => {
    expect(action.runs.using).toBe('node24');
    expect(action.runs.main).toBe('dist/main/index.js');
    expect(action.runs.post).toBe('dist/post/index.js');
    expect(action.runs['post-if']).toBe('always()');
    expect(action.branding.icon).toBeTruthy();
  });

  it('declares exactly the inputs the code reads, each described', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.values(Inputs).sort());
    for (const [name, input] of Object.entries(action.inputs))
      expect([name, input.description.length > 20]).toEqual([name, true]);
  });

  it('declares exactly the outputs the code writes, each described', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.values(Outputs).sort());
    for (const [name, o] of Object.entries(action.outputs))
      expect([name, o.description.length > 10]).toEqual([name, true]);
  });

  it('describes the log bundle outputs as the code makes them: a path, and the artifact the action uploaded', () => {
    expect(action.outputs[Outputs.LogBundle].description).toMatch(/^Path /);
    const artifact = action.outputs[Outputs.LogBundleArtifact].description;
    expect(artifact).toContain(logBundleArtifactName('<stack-id>', '<run attempt>'));
    expect(artifact).toContain(`${LOG_BUNDLE_RETENTION_DAYS} days`);
  });

  it('has the defaults the issue asks for', () => {
    expect(action.inputs['ping-target'].default).toBe('8.8.8.8');
    expect(action.inputs.mode.default).toBe('up');
    expect(action.inputs.teardown.default).toBe('always');
  });
});

describe('README', () => {
  it('carries the tables generated from action.yml and the matrix, unedited', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const docs = require('../../scripts/docs.js') as { render: (s: string) => string };
    const readme = fs.readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    expect(docs.render(readme)).toBe(readme);
    for (const name of Object.values(Inputs)) expect(readme).toContain(`| \`${name}\` |`);
  });
});
