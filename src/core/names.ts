// Constant names for every input, output and saved-state entry, so a typo is a compile error and
// action.yml, the code and the tests cannot drift apart silently (test/unit/action-yml.test.ts
// checks action.yml against these lists).

export const Inputs = {
  Mode: 'mode',
  Provider: 'provider',
  Release: 'release',
  Os: 'os',
  Topology: 'topology',
  ComputeCount: 'compute-count',
  NetworkDriver: 'network-driver',
  Region: 'region',
  StackId: 'stack-id',
  Lifetime: 'lifetime',
  Teardown: 'teardown',
  ControllerInstanceType: 'controller-instance-type',
  ComputeInstanceType: 'compute-instance-type',
  BlockInstanceType: 'block-instance-type',
  ObjectInstanceType: 'object-instance-type',
  Ami: 'ami',
  AllowedCidrs: 'allowed-cidrs',
  VpcCidr: 'vpc-cidr',
  PingTarget: 'ping-target',
  ImageUrl: 'image-url',
  Smoke: 'smoke',
  Spot: 'spot',
  Tempest: 'tempest',
  Ec2Endpoint: 'ec2-endpoint',
  LogBundle: 'log-bundle',
  PrComment: 'pr-comment',
  GithubToken: 'github-token',
  NetworkFix: 'network-fix',
  ExternalPoolSize: 'external-pool-size',
  FloatingElasticIps: 'floating-elastic-ips',
  TempestRegex: 'tempest-regex',
  TempestSshUser: 'tempest-ssh-user',
  Bake: 'bake',
  BakeKeep: 'bake-keep',
  ImageCache: 'image-cache',
} as const;
export type InputName = (typeof Inputs)[keyof typeof Inputs];

export const Outputs = {
  StackId: 'stack-id',
  AuthUrl: 'auth-url',
  DashboardUrl: 'dashboard-url',
  ControllerIp: 'controller-ip',
  CloudsYaml: 'clouds-yaml',
  Openrc: 'openrc',
  AdminPassword: 'admin-password',
  SshKeyPath: 'ssh-key-path',
  InstanceIds: 'instance-ids',
  SmokeResult: 'smoke-result',
  JunitPath: 'junit-path',
  Timings: 'timings',
  Plan: 'plan',
  PortForwards: 'port-forwards',
  ExternalAddresses: 'external-addresses',
  LogBundle: 'log-bundle',
  LogBundleArtifact: 'log-bundle-artifact',
  ExpiresAt: 'expires-at',
  BootedFrom: 'booted-from',
  BakedImages: 'baked-images',
} as const;

// Saved with core.saveState by main, read by post (which runs in a fresh process).
export const States = {
  Settings: 'settings',
  Resources: 'resources',
  UpOutcome: 'up-outcome',
  WorkDir: 'work-dir',
  /** When provisioning started: the cost estimate after teardown bills from here. */
  StartedAt: 'started-at',
  /** The Plan's nodes, provider and region: what the post step's cost estimate needs (it builds no Plan). */
  CostBasis: 'cost-basis',
  /** The run's timings (JSON), so the teardown's timeline is the whole run's. */
  Timings: 'timings',
  /** The Plan's run id, run attempt and created-at tags (JSON): what marks this run's own resources. */
  RunTags: 'run-tags',
} as const;

// Tag keys put on every AWS resource, and the prefix of every local resource name.
export const Tags = {
  StackId: 'openstack-on-aws:stack-id',
  Repository: 'openstack-on-aws:repository',
  RunId: 'openstack-on-aws:run-id',
  RunAttempt: 'openstack-on-aws:run-attempt',
  CreatedAt: 'openstack-on-aws:created-at',
  ExpiresAt: 'openstack-on-aws:expires-at',
  Node: 'openstack-on-aws:node',
  /** Baked images (and their snapshots): what they are, so a later up finds the one it can boot. */
  BakeKey: 'openstack-on-aws:bake-key',
  Role: 'openstack-on-aws:role',
  Release: 'openstack-on-aws:release',
  Os: 'openstack-on-aws:os',
  /** The stack that baked an image: never under StackId, which a stack's teardown deletes by. */
  BakedBy: 'openstack-on-aws:baked-by',
} as const;

export const PRODUCT = 'openstack-on-aws';
