// The Plan's shape: every type the Plan is made of, apart from the code that builds it, so the
// stage graph and the Plan builder both depend on the types and not on each other.

import type { Settings } from '../settings/inputs';
import type { NicName, Role } from '../settings/instance-types';
import type { AmiQuery, OsId, PackageSource } from '../settings/matrix';

export type SubnetName = 'management' | 'provider';
export type NicPurpose = 'management' | 'provider' | 'public';
export type SecurityGroupName = 'internal' | 'public';

export interface PlannedNic {
  /** The seeds' name for it; the OS name (eth0, ens5, enX0) is found on the node by MAC. */
  name: NicName;
  deviceIndex: number;
  subnet: SubnetName;
  ip: string;
  purpose: NicPurpose;
  /** False for the provider NIC: OpenStack wants it up with no address (the install guide). */
  hostAddress: boolean;
  /** Off where the node forwards traffic that is neither from nor to its own address. */
  sourceDestCheck: boolean;
  /** An elastic IP is associated with this NIC's private address. */
  elasticIp: boolean;
  /**
   * Secondary private addresses (network-fix routed: the controller's provider NIC carries the
   * external subnet's pool); fixed like every other address. Which get an elastic IP is in
   * networks.external.pool.
   */
  secondaryIps?: string[];
  securityGroups: SecurityGroupName[];
  why: string;
}

export interface PlannedDisk {
  device: string;
  sizeGiB: number;
  purpose: 'root' | 'cinder-lvm' | 'swift';
  /** For swift disks: the mount name under /srv/node that the rings refer to. */
  label?: string;
}

export interface PlannedNode {
  name: string;
  role: Role;
  /** The EC2 instance type; with the local provider LOCAL_MACHINE (no type, no price). */
  instanceType: string;
  virt?: 'kvm' | 'qemu';
  disks: PlannedDisk[];
  nics: PlannedNic[];
  /** Address other nodes and the stage scripts use for it (its management address). */
  managementIp: string;
}

export interface PlannedSubnet {
  name: SubnetName;
  cidr: string;
  /** The VPC router's address in this subnet (AWS reserves .1). */
  gateway: string;
  /** Where 0.0.0.0/0 goes: the internet gateway, or a node's NIC acting as NAT instance. */
  defaultRoute: { target: 'internet-gateway' } | { target: 'nic'; node: string; nic: PlannedNic['name'] };
  why: string;
}

export interface SecurityRule {
  protocol: 'tcp' | 'udp' | 'icmp' | 'all';
  fromPort?: number;
  toPort?: number;
  /** A CIDR block, the VPC itself, or the allowed-cidrs input (resolved when provisioning). */
  source: 'vpc' | 'allowed-cidrs';
  description: string;
}

export interface PlannedSecurityGroup {
  name: SecurityGroupName;
  ingress: SecurityRule[];
  description: string;
}

interface PortForward {
  name: string;
  publicPort: number;
  targetPort: number;
  description: string;
}

/** Every smoke check a Plan can list; smoke/run.ts holds one implementation per id (the type makes sure). */
export const CHECK_IDS = [
  'keystone-token',
  'catalog',
  'image-upload',
  'tenant-network',
  'instance-boot',
  'router-ping',
  'instance-reach',
  'port-forward',
  'floating-ip',
  'second-router',
  'tempest-smoke',
] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface PlannedCheck {
  id: CheckId;
  description: string;
}

interface OpenStackNetworks {
  /** Neutron's external (provider) network: the AWS provider subnet itself. */
  external: {
    cidr: string;
    gateway: string;
    /**
     * The router's gateway address. seeds: the one AWS registered to the controller's eth1 (the
     * only address Neutron may hand out); routed: the pool's first address.
     */
    routerGatewayIp: string;
    physicalNetwork: string;
    /** network-fix routed: the external subnet's allocation pool, in order (empty with seeds). */
    pool: ExternalPoolAddress[];
  };
  /** The self-service network the smoke checks create. */
  tenant: {
    cidr: string;
    gateway: string;
    name: string;
    /**
     * The smoke instance's fixed address, decided up front so the network fix can point the
     * port-forward's DNAT at it before the instance exists.
     */
    smokeInstanceIp: string;
  };
  routerName: string;
}

/** One address of the routed pool: a secondary private IP of the controller's provider NIC. */
export interface ExternalPoolAddress {
  ip: string;
  /** 'router-gateway' for the first (the smoke router's gateway), 'floating' for the others. */
  use: 'router-gateway' | 'floating';
  /** An elastic IP is associated with it: reachable from the internet (the router's always is). */
  elasticIp: boolean;
}

export interface Plan {
  stackId: string;
  provider: Settings['provider'];
  region: string;
  release: { id: string; codename: string; label: string };
  os: { id: OsId; family: string; label: string; sshUser: string; codename?: string; legacy?: string };
  /** What the EC2 provider boots. */
  image: PlannedImage;
  /** Spot instances (EC2), falling back to on-demand where spot has no capacity. */
  spot: boolean;
  /** Who may reach the public security group's ports: empty means the runner's own address /32. */
  ingress: { allowedCidrs: string[] };
  packageSource: PackageSource;
  networkDriver: Settings['networkDriver'];
  /** seeds: the write-ups' MAC move; routed: the pool of secondary addresses the controller routes. */
  networkFix: Settings['networkFix'];
  topology: Settings['topology'];
  vpcCidr: string;
  subnets: PlannedSubnet[];
  securityGroups: PlannedSecurityGroup[];
  nodes: PlannedNode[];
  stages: PlannedStage[];
  networks: OpenStackNetworks;
  portForwards: PortForward[];
  checks: PlannedCheck[];
  tags: Record<string, string>;
  createdAt: string;
  expiresAt: string;
  lifetimeMinutes: number;
  pingTarget: string;
  imageUrl: string;
  smoke: boolean;
  tempest: Settings['tempest'];
  /** Tempest's selection instead of the smoke set (tempest-regex). */
  tempestRegex?: string;
  /** The image's login for Tempest's validation (tempest-ssh-user). */
  tempestSshUser?: string;
  teardown: Settings['teardown'];
  /** Inputs accepted with a second look (Settings.warnings): the log, the plan and the summary show them. */
  warnings: string[];
}

export interface PlannedImage {
  /** The `ami` input: boot exactly this image. */
  ami?: string;
  /** Otherwise the newest available image of the OS's official owner and name pattern. */
  query: AmiQuery;
}

/** Facts from outside that the Plan records but must not look up itself. */
export interface PlanContext {
  now: Date;
  repository?: string;
  runId?: string;
  runAttempt?: string;
}

/** Every install stage the graph can hold: one script src/stages/<name>.sh each (a unit test checks). */
export const STAGE_NAMES = [
  'host-prep',
  'repositories',
  'mariadb',
  'databases',
  'rabbitmq',
  'memcached',
  'etcd',
  'keystone',
  'glance',
  'placement',
  'nova-controller',
  'neutron-controller',
  'horizon',
  'cinder-controller',
  'swift-proxy',
  'tls-proxy',
  'discover-hosts',
  'nova-compute',
  'neutron-compute',
  'cinder-volume',
  'swift-storage',
  // Baked images (src/stages/lib-bake.sh): the bake's clean-up, and a baked node's first stage.
  'bake-clean',
  'rekey',
] as const;
export type StageName = (typeof STAGE_NAMES)[number];
/** "<node>:<stage>": how the graph names a stage on a node. */
export type StageId = `${string}:${StageName}`;

/** One step for the stage runner, which runs any script by name (its own tests use toy stages). */
export interface StageSpec {
  /** "<node>:<stage>", unique in the Plan. */
  id: string;
  node: string;
  /** The script src/stages/<stage>.sh. */
  stage: string;
  /** Ids of stages that must have succeeded first (the previous stage on the node is always one). */
  after: string[];
  timeoutMinutes: number;
  /** Files another node produced that the runner copies onto this node before the stage runs. */
  copies?: Array<{ fromNode: string; paths: string[] }>;
}

/** A stage of the Plan's graph: its stage and the stages it waits for are named by the shared types. */
export interface PlannedStage extends StageSpec {
  id: StageId;
  stage: StageName;
  after: StageId[];
}
