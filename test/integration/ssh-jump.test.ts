// The jump-host path against two real sshd: the "controller" on 127.0.0.1 and a "compute" node on
// 127.0.0.2. The compute session must go through the controller's connection (a direct-tcpip
// channel), which the test proves from the kernel's socket table, not from what the code says.

import * as fs from 'fs';
import { closeAll, connectEnvironment } from '../../src/remote/connect';
import type { SshSession } from '../../src/remote/session';
import type { Environment } from '../../src/provider';
import { generateSshKey } from '../../src/core/secrets';
import { descendants, sshdNeeds, startSshd, TestSshd } from '../helpers/sshd';
import { AS_ROOT, describeIf } from '../helpers/requires';

const describeIfSshd = describeIf(sshdNeeds(), AS_ROOT);

/** The inode of the TCP socket localPort → remote (127.0.0.x:port), from /proc/net/tcp. */
function socketInode(localPort: number, remoteIp: string, remotePort: number): string | undefined {
  const hexIp = remoteIp
    .split('.')
    .reverse()
    .map((o) => Number(o).toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
  const hexPort = (p: number) => p.toString(16).toUpperCase().padStart(4, '0');
  for (const line of fs.readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    if (f[1].endsWith(`:${hexPort(localPort)}`) && f[2] === `${hexIp}:${hexPort(remotePort)}`) return f[9];
  }
  return undefined;
}

function owners(inode: string, pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return fs.readdirSync(`/proc/${pid}/fd`).some((fd) => {
        try {
          return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  });
}

describeIfSshd('reaching a node through the controller as jump host', () => {
  const key = generateSshKey('ooa-test-jump');
  let controller: TestSshd;
  let compute: TestSshd;
  let sessions: Map<string, SshSession>;
  const lines: string[] = [];
  const io = { info: (m: string) => lines.push(m), warning: (m: string) => lines.push(m) };

  beforeAll(async () => {
    controller = await startSshd({ id: 'jump-controller', listenAddress: '127.0.0.1', key });
    compute = await startSshd({ id: 'jump-compute', listenAddress: '127.0.0.2', key });
    const env: Environment = {
      stackId: 'jumptest',
      nodes: [
        { name: 'controller', instanceId: 'local-1', managementIp: '127.0.0.1', nics: [] },
        { name: 'compute1', instanceId: 'local-2', managementIp: compute.host, nics: [] },
      ],
      controllerPublicIp: controller.host,
      sshPort: controller.port,
      routerPublicIp: '198.51.100.2',
      sshUser: 'root',
      privateKeyPath: '',
    };
    sessions = await connectEnvironment(env, {
      io,
      privateKey: key.privateKey,
      hostKeys: { controller: controller.hostKey.publicKey, compute1: compute.hostKey.publicKey },
      innerPort: compute.port,
      execRunDir: `${controller.dir}/run`,
    });
  });

  afterAll(async () => {
    if (sessions) await closeAll(sessions);
    await compute?.dispose();
    await controller?.dispose();
  });

  const accepted = (s: TestSshd) => (s.log().match(/Accepted publickey for root/g) ?? []).length;

  test('the compute connection is a TCP connection owned by the controller sshd, not by the runner', async () => {
    const r = await sessions.get('compute1')!.exec('echo "$SSH_CONNECTION"');
    const [clientIp, clientPort, serverIp, serverPort] = r.stdout.trim().split(' ');
    expect([serverIp, Number(serverPort)]).toEqual([compute.host, compute.port]);
    expect(clientIp).toBe('127.0.0.1');
    const inode = socketInode(Number(clientPort), compute.host, compute.port);
    expect(inode).toBeDefined();
    const controllerSide = [controller.pid(), ...descendants(controller.pid())];
    expect(owners(inode!, controllerSide).length).toBeGreaterThan(0);
    expect(owners(inode!, [process.pid])).toEqual([]);
    expect(controller.log()).toMatch(
      new RegExp(`server_request_direct_tcpip: .*target 127\\.0\\.0\\.2 port ${compute.port}`),
    );
  });

  test('files and commands work on the inner node', async () => {
    const path = `${compute.dir}/opt/stages/lib.sh`;
    await sessions.get('compute1')!.writeFile(path, 'echo lib\n', 0o755);
    expect(fs.statSync(path).mode & 0o777).toBe(0o755);
    expect((await sessions.get('compute1')!.exec(`bash ${path}`)).stdout).toBe('lib\n');
  });

  test('the inner node reconnects through the jump host after its own server restarted', async () => {
    const before = accepted(compute);
    await compute.restart();
    expect((await sessions.get('compute1')!.exec('echo back')).stdout).toBe('back\n');
    expect(accepted(compute)).toBe(before + 1);
  });

  test('after the jump host restarted, both sessions reconnect (the inner one through the new jump connection)', async () => {
    const beforeController = accepted(controller);
    const beforeCompute = accepted(compute);
    await controller.restart();
    expect((await sessions.get('compute1')!.exec('echo inner')).stdout).toBe('inner\n');
    expect((await sessions.get('controller')!.exec('echo outer')).stdout).toBe('outer\n');
    expect(accepted(controller)).toBe(beforeController + 1);
    expect(accepted(compute)).toBe(beforeCompute + 1);
  });
});
