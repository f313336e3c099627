// Puts the stack's certificate, its key and the CA certificate on the controller, where the
// tls-proxy stage reads them: the key through writeFile with mode 0600 (never on a command line,
// never in the settings file the other stages source), the certificates 0644.

import type { StackTls } from '../core/tls';
import type { RemoteSession } from './types';
import { TLS_CA_CERT_PATH, TLS_DIR } from '../core/node-paths';

/** The files and their modes, as the stage expects them (tests write the same into a rootfs). */
export function tlsFiles(tls: StackTls): Array<{ path: string; content: string; mode: number }> {
  return [
    { path: TLS_CA_CERT_PATH, content: tls.caCertPem, mode: 0o644 },
    { path: `${TLS_DIR}/server.crt`, content: tls.serverCertPem, mode: 0o644 },
    { path: `${TLS_DIR}/server.key`, content: tls.serverKeyPem, mode: 0o600 },
  ];
}

export async function installTlsFiles(session: RemoteSession, tls: StackTls): Promise<void> {
  for (const f of tlsFiles(tls)) await session.writeFile(f.path, f.content, f.mode);
}

type PlanNics = { nodes: Array<{ role: string; nics: Array<{ purpose: string; ip: string }> }> };

/** The controller's public NIC's own address: the one by which the node reaches its HTTPS proxy. */
export function controllerPublicNicIp(plan: PlanNics): string | undefined {
  return plan.nodes.find((n) => n.role === 'controller')?.nics.find((n) => n.purpose === 'public')?.ip;
}

/**
 * The addresses the certificate must carry: the elastic IP users reach, and the public NIC's own
 * address, by which the tls-proxy stage checks itself (the controller cannot reach its elastic IP).
 */
export function tlsAddresses(plan: PlanNics, env: { controllerPublicIp: string }): string[] {
  const own = controllerPublicNicIp(plan);
  return [...new Set([env.controllerPublicIp, ...(own ? [own] : [])])];
}
