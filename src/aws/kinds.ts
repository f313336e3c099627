// Names of the EC2 resource kinds as the ledger records them, and the shape teardown works on.

export const Kind = {
  Vpc: 'vpc',
  Subnet: 'subnet',
  InternetGateway: 'internet-gateway',
  RouteTable: 'route-table',
  SecurityGroup: 'security-group',
  NetworkInterface: 'network-interface',
  Instance: 'instance',
  ElasticIp: 'elastic-ip',
  KeyPair: 'key-pair',
  /** `<eni id>/<address>`: a secondary private address, deleted with its interface. */
  SecondaryAddress: 'secondary-address',
  /** Baked images (AMIs) and their EBS snapshots: deleted by bake's and sweep's pruning, never by a teardown. */
  Image: 'image',
  Snapshot: 'snapshot',
} as const;
export type KindName = (typeof Kind)[keyof typeof Kind];

/** Everything of one stack that exists, with what is needed to take it apart. */
export interface Found {
  instances: string[];
  addresses: Array<{ allocationId: string; associationId?: string }>;
  networkInterfaces: string[];
  routeTables: Array<{ id: string; associationIds: string[] }>;
  internetGateways: Array<{ id: string; vpcIds: string[] }>;
  subnets: string[];
  securityGroups: string[];
  vpcs: string[];
  keyPairs: string[];
}

export function emptyFound(): Found {
  return {
    instances: [],
    addresses: [],
    networkInterfaces: [],
    routeTables: [],
    internetGateways: [],
    subnets: [],
    securityGroups: [],
    vpcs: [],
    keyPairs: [],
  };
}

export function countFound(f: Found): number {
  return Object.values(f).reduce((n, list: unknown[]) => n + list.length, 0);
}
