// Per-node files written into a node's fresh root file system copy before it boots: what EC2 and
// cloud-init would have given the instance (hostname, the stack's SSH key, its own SSH host key, addresses on its NICs),
// plus the local provider's own needs (apt through the host's cache, no DNS).

import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { SshKeyPair } from '../core/secrets';
import type { Run } from './exec';
import { aptSources, aptSourcesFile, OsArchive } from './os-archives';

interface NodeNicConfig {
  name: string;
  mac: string;
  /** Address with prefix (10.42.0.11/24) for NICs with a host address; none for the provider NIC. */
  address?: string;
  /** Only the NIC that carries the node's default route has one. */
  gateway?: string;
}

interface NodeConfig {
  hostname: string;
  nics: NodeNicConfig[];
  /** name → management IP of every node of the stack (there is no DNS). */
  hosts: Array<{ name: string; ip: string }>;
  sshPublicKey: string;
  /** The node's ed25519 host key, made on the runner (which pins its public half). */
  hostKey: SshKeyPair;
  aptProxy: string;
  /** The OS's archive: the node's apt sources. */
  archive: OsArchive;
}

function write(root: string, file: string, content: string, mode = 0o644): void {
  const target = path.join(root, file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.writeFileSync(target, content, { mode });
  fs.chmodSync(target, mode);
}

/** systemd-networkd unit for one NIC, matched by MAC: the OS name does not matter (as on EC2). */
export function networkUnit(nic: NodeNicConfig): string {
  const lines = [
    '[Match]',
    `MACAddress=${nic.mac}`,
    '',
    '[Link]',
    `RequiredForOnline=${nic.address ? 'yes' : 'no'}`,
    '',
  ];
  lines.push('[Network]', 'LinkLocalAddressing=no', 'IPv6AcceptRA=no', 'DHCP=no');
  if (nic.address) lines.push(`Address=${nic.address}`);
  if (nic.gateway) lines.push(`Gateway=${nic.gateway}`);
  // Neutron and the network fix change this NIC later (bridge port, new MAC): leave their work alone.
  lines.push('KeepConfiguration=yes', '');
  return lines.join('\n');
}

export function hostsFile(hostname: string, hosts: NodeConfig['hosts']): string {
  // No 127.0.1.1 line: the install guide wants the node's name to resolve to its management address.
  const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost ip6-loopback', ''];
  for (const h of hosts) lines.push(`${h.ip} ${h.name}`);
  if (!hosts.some((h) => h.name === hostname)) lines.push(`127.0.0.1 ${hostname}`);
  return lines.join('\n') + '\n';
}

export async function writeNodeFiles(run: Run, root: string, cfg: NodeConfig): Promise<void> {
  write(root, 'etc/hostname', `${cfg.hostname}\n`);
  write(root, 'etc/hosts', hostsFile(cfg.hostname, cfg.hosts));
  write(root, 'etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);
  for (const nic of cfg.nics) write(root, `etc/systemd/network/10-ooa-${nic.name}.network`, networkUnit(nic));
  fs.mkdirSync(path.join(root, 'root/.ssh'), { recursive: true, mode: 0o700 });
  fs.chmodSync(path.join(root, 'root/.ssh'), 0o700);
  write(root, 'root/.ssh/authorized_keys', `${cfg.sshPublicKey.trim()}\n`, 0o600);
  write(root, 'etc/apt/apt.conf.d/01proxy', `Acquire::http::Proxy "${cfg.aptProxy}";\n`);
  fs.rmSync(path.join(root, 'etc/apt/sources.list'), { force: true });
  // Only the OS's own archive: debootstrap leaves a one-line sources.list (gone above).
  write(root, `etc/apt/sources.list.d/${aptSourcesFile(cfg.archive)}`, aptSources(cfg.archive));
  // nspawn copies the host's device nodes with the host's modes: a host whose /dev/null lost its
  // mode (seen here once, when a test had chmodded it to 0600) leaves every service user unable to
  // write to it (RabbitMQ never started). Linux's usual mode, set at boot by systemd-tmpfiles.
  write(root, 'etc/tmpfiles.d/openstack-on-aws-dev.conf', 'z /dev/null 0666 root root -\n');
  // The host key the runner pins, as cloud-init's ssh_keys writes it on EC2; ssh-keygen -A then
  // makes only the other types, which the runner never accepts.
  write(root, 'etc/ssh/ssh_host_ed25519_key', cfg.hostKey.privateKey, 0o600);
  write(root, 'etc/ssh/ssh_host_ed25519_key.pub', `${cfg.hostKey.publicKey.trim()}\n`, 0o644);
  await run('ssh-keygen', ['-A', '-f', root]);
}
