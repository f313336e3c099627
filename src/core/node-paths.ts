// Paths on a node that the TypeScript side and the shell scripts share: one constant each here, and
// the scripts' own spelling of each is held to it by test/unit/node-paths.test.ts (lib.sh and
// network-fix.sh are sourced by a real bash there and their variables compared).

/** Settings and records of the stages (lib.sh OOA_ETC, network-fix.sh ETC). */
export const NODE_ETC_DIR = '/etc/openstack-on-aws';
/** The per-node settings the stages source (lib.sh OOA_SETTINGS; written 0600 by the runner). */
export const SETTINGS_PATH = `${NODE_ETC_DIR}/settings.env`;
/** Written by the stages: the OS names of the node's NICs, found by MAC (lib.sh OOA_NICS). */
export const NICS_PATH = `${NODE_ETC_DIR}/nics.env`;
/** eth1's AWS MAC, recorded once by the network fix (network-fix.sh ORIGINAL_MAC_FILE). */
export const ETH1_ORIGINAL_MAC_PATH = `${NODE_ETC_DIR}/eth1-original-mac`;
/** The stack's certificate, its key and its CA's certificate (tls-proxy.sh tls_dir). */
export const TLS_DIR = `${NODE_ETC_DIR}/tls`;
/** The stack's CA certificate: what the proxy's HTTPS is verified against on the node. */
export const TLS_CA_CERT_PATH = `${TLS_DIR}/ca.crt`;
/** Where lib.sh and the stage scripts are unpacked. */
export const STAGES_DIR = '/opt/openstack-on-aws/stages';
/** Per-stage logs (lib.sh OOA_LOG_DIR), collected into the log bundle. */
export const STAGE_LOG_DIR = '/var/log/openstack-on-aws';
/** The admin credentials keystone.sh writes (lib.sh OOA_ADMIN_RC); the fix and the checks source it. */
export const ADMIN_OPENRC = '/root/admin-openrc';
/** The network fix's installed copy, run by its boot unit (network-fix.sh INSTALLED). */
export const NETWORK_FIX_INSTALLED_PATH = '/usr/local/sbin/ooa-network-fix';
/** Tempest's workspace: tempest-smoke.sh writes junit.xml and logs/ there, collect-logs.sh takes the logs. */
export const TEMPEST_DIR = '/var/lib/openstack-on-aws/tempest';
