// The log bundle's console output comes from EC2's GetConsoleOutput, decoded, for the stack's
// instances; older instance types that refuse `Latest` still give their snapshot.

import { NO_CONSOLE_OUTPUT } from '../../../src/aws/console';
import { Inputs } from '../../../src/core/names';
import { DEFAULT_TYPES, FakeEc2 } from '../../helpers/fake-ec2';
import { rig } from './harness';

describe('console output of a node', () => {
  it('decodes what the instance printed, asking for the live buffer', async () => {
    const r = rig();
    const env = await r.up();
    const compute = env.nodes.find((n) => n.name === 'compute1')!;
    r.fake.consoleText.set(compute.instanceId, 'cloud-init: ünïcode ok\nlogin: ');
    await expect(r.provider.consoleOutput!('unit-stack', compute, r.io)).resolves.toBe(
      'cloud-init: ünïcode ok\nlogin: ',
    );
    const asked = r.fake.calls.filter((c) => c.op === 'GetConsoleOutput');
    expect(asked.map((c) => c.input)).toEqual([{ InstanceId: compute.instanceId, Latest: true }]);
  });

  it('falls back to the snapshot where the instance type has no live buffer, and says when there is none', async () => {
    const fake = new FakeEc2({ instanceTypes: { ...DEFAULT_TYPES, 't2.xlarge': { maxNics: 3 } } });
    const r = rig({ [Inputs.ComputeInstanceType]: 't2.xlarge' }, {}, fake);
    const env = await r.up();
    const compute = env.nodes.find((n) => n.name === 'compute1')!;
    await expect(r.provider.consoleOutput!('unit-stack', compute, r.io)).resolves.toBe(NO_CONSOLE_OUTPUT);
    const asked = r.fake.calls.filter((c) => c.op === 'GetConsoleOutput');
    expect(asked.map((c) => [c.input.Latest, c.error])).toEqual([
      [true, 'UnsupportedOperation'],
      [undefined, undefined],
    ]);
  });

  it('names the instance when EC2 does not know it', async () => {
    const r = rig();
    const env = await r.up();
    const ghost = { ...env.nodes[0], instanceId: 'i-00000000000000000' };
    await expect(r.provider.consoleOutput!('unit-stack', ghost, r.io)).rejects.toThrow(
      /GetConsoleOutput|i-00000000000000000/,
    );
  });
});
