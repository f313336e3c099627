// A failed `up` puts each created node's console (the provider's consoleOutput: EC2's
// GetConsoleOutput on AWS) into the log bundle, masked like everything else; a node that was never
// created says so instead of failing the bundle.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Outputs } from '../../src/core/names';
import { runMain } from '../../src/pipeline/pipeline';
import type { Provider } from '../../src/provider';
import { memoryIo } from '../helpers/memory-io';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-console-test-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** compute1 "exists" (and printed a panic), the controller never came up: `up` fails at once. */
function controllerLessProvider(asked: string[]): Provider {
  return {
    async up(plan, ctx) {
      return {
        stackId: plan.stackId,
        nodes: [{ name: 'compute1', instanceId: 'i-0c0ffee000000001', managementIp: '10.42.0.21', nics: [] }],
        controllerPublicIp: '127.0.0.1',
        sshPort: 22,
        routerPublicIp: '127.0.0.1',
        sshUser: 'root',
        privateKeyPath: ctx.privateKeyPath,
      };
    },
    async consoleOutput(_stackId, node) {
      asked.push(node.instanceId);
      return `[    2.1] Kernel panic - not syncing: VFS on ${node.name}\n`;
    },
    async down(stackId) {
      return { stackId, deleted: [], leftovers: [], seconds: 0 };
    },
    async sweep() {
      return [];
    },
  };
}

it('writes the console of every created node into the bundle, and says which node never existed', async () => {
  const asked: string[] = [];
  const io = memoryIo({ mode: 'up', 'stack-id': 'console-up', 'log-bundle': 'on-failure' });
  const run = runMain(
    io,
    { env: {}, now: new Date() },
    {
      providerFor: () => controllerLessProvider(asked),
      workRoot: dir,
      stagesDir: dir,
    },
  );
  await expect(run).rejects.toThrow(/no node 'controller'/);
  expect(asked).toEqual(['i-0c0ffee000000001']);

  const out = path.join(dir, 'unpacked');
  fs.mkdirSync(out);
  execFileSync('tar', ['-xzf', io.outputs[Outputs.LogBundle], '-C', out]);
  const files = execFileSync('find', [out, '-name', 'ec2-console-output.txt'], { encoding: 'utf8' });
  const read = (node: string) =>
    fs.readFileSync(
      files.split('\n').find((f) => f.includes(`/${node}/`))!,
      'utf8',
    );
  expect(read('compute1')).toBe('[    2.1] Kernel panic - not syncing: VFS on compute1\n');
  expect(read('controller')).toMatch(/console output unavailable: controller was never created/);
});
