// A node's serial console as EC2 keeps it (GetConsoleOutput): the one log that exists even when the
// node never answered SSH (a kernel panic, cloud-init stuck before sshd), so the log bundle has it.

import { GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import type { Ec2 } from './client';
import { errorCode } from './errors';

export const NO_CONSOLE_OUTPUT = '(EC2 has no console output for this instance yet)\n';

export async function consoleOutput(ec2: Ec2, instanceId: string): Promise<string> {
  const ask = (latest: boolean) =>
    ec2.call('GetConsoleOutput', (c) =>
      c.send(new GetConsoleOutputCommand({ InstanceId: instanceId, ...(latest ? { Latest: true } : {}) })),
    );
  // Latest (the live buffer rather than the snapshot taken at the last state change) exists only
  // on Nitro instance types; older types refuse it, and their snapshot is all there is.
  const r = await ask(true).catch((err: unknown) => {
    if (errorCode(err) === 'UnsupportedOperation') return ask(false);
    throw err;
  });
  return r.Output ? Buffer.from(r.Output, 'base64').toString('utf8') : NO_CONSOLE_OUTPUT;
}
