// What a provider does: realise a Plan's nodes and networks, and delete them again. Everything
// after provisioning (install stages, network fix, smoke checks, report) is shared code that only
// sees the Environment a provider returns.

import type { Io } from './core/io';
import type { SshKeyPair } from './core/secrets';
import type { BakedImage, BakeRequest, BootImages } from './bake/types';
import type { Plan } from './plan/types';

/** A resource that exists and must be deleted at teardown; recorded the moment it exists. */
export interface ResourceRecord {
  kind: string; // e.g. 'vpc', 'subnet', 'instance', 'netns', 'process'
  id: string;
  node?: string;
}

/** Collects created resources and persists them (action state) immediately, before any waiter. */
export interface ResourceLedger {
  record(r: ResourceRecord): void;
  list(): ResourceRecord[];
}

interface EnvironmentNic {
  name: string; // the Plan's name (eth0, eth1, eth2)
  mac: string; // as the provider reports it for the ENI: stages find the OS interface by it
  ip: string;
  eniId?: string;
}

export interface EnvironmentNode {
  name: string;
  instanceId: string;
  managementIp: string;
  nics: EnvironmentNic[];
  /** Block devices as the provider attached them, for the storage stages (by Plan device name). */
  disks?: Array<{ device: string; volumeId?: string; path?: string }>;
}

export interface Environment {
  stackId: string;
  nodes: EnvironmentNode[];
  /** Where the runner reaches the controller (its elastic IP on AWS). */
  controllerPublicIp: string;
  sshPort: number;
  /** Public address that maps to the router gateway's registered address (port-forwards land here). */
  routerPublicIp: string;
  /** network-fix routed: pool address → its elastic IP (the router gateway's and the public floating ones). */
  poolElasticIps?: Record<string, string>;
  sshUser: string;
  privateKeyPath: string;
}

export interface TeardownReport {
  stackId: string;
  deleted: ResourceRecord[];
  leftovers: ResourceRecord[];
  seconds: number;
}

/**
 * Limits a teardown to what one run created (the post step's): its ledger, and what carries every one
 * of these tags (run id, run attempt, the Plan's created-at). Without it a teardown deletes the whole
 * stack (mode: down, sweep).
 */
export interface RunScope {
  tags: Record<string, string>;
}

export interface ProviderContext {
  io: Io;
  ledger: ResourceLedger;
  /** Public half of the stack's generated SSH key (OpenSSH format). */
  sshPublicKey: string;
  /** Node name → the host key it must boot with (secret private half: hand it only to that node). */
  hostKeys: Record<string, SshKeyPair>;
  privateKeyPath: string;
  /** Aborted when the run is being cancelled; providers stop creating and return. */
  signal?: AbortSignal;
  /** Nodes that boot a baked image instead of the plain OS (image-cache auto found one per role). */
  bootImages?: BootImages;
}

export interface BakeContext {
  io: Io;
  /** Images kept per bake key and role: older ones (and their snapshots) are deleted. */
  keep: number;
  signal?: AbortSignal;
}

/** One timed provisioning step (for the timings output and the summary's timeline). */
interface ProvisionStep {
  name: string;
  seconds: number;
  startedAt: number;
}

export interface Provider {
  up(plan: Plan, ctx: ProviderContext): Promise<Environment>;
  /** The steps of the last up() in this process, where the provider times them. */
  upSteps?(): ProvisionStep[];
  /** A node's console (EC2's serial console output; the local machine's console log), for the log bundle. */
  consoleOutput?(stackId: string, node: EnvironmentNode, io: Io): Promise<string>;
  /**
   * Deletes everything of the stack: what the ledger lists and what is found by name or tag; with
   * `run`, only what that run created (another run's resources under the same stack id stay).
   */
  down(stackId: string, ctx: { io: Io; known: ResourceRecord[]; run?: RunScope }): Promise<TeardownReport>;
  /**
   * Deletes every stack whose lifetime has passed (and baked images beyond `bakeKeep` per key and
   * role; on EC2 only those tagged with `repository`, the run's GITHUB_REPOSITORY: without it none).
   */
  sweep(now: Date, ctx: { io: Io; bakeKeep?: number; repository?: string }): Promise<TeardownReport[]>;
  /**
   * The newest baked image per requested role whose key matches; undefined unless every role has one
   * (a stack boots baked on every node or on none).
   */
  findBaked?(plan: Plan, requests: BakeRequest[], ctx: { io: Io }): Promise<Record<string, BakedImage> | undefined>;
  /**
   * Turns each requested node (already cleaned by the bake-clean stage, services stopped) into its
   * role's image, tagged with key, role, release and OS; then keeps the newest `keep` per key and role.
   */
  bake?(plan: Plan, env: Environment, requests: BakeRequest[], ctx: BakeContext): Promise<BakedImage[]>;
}
