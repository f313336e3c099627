// Types and constants of the emulated AWS VPC (see index.ts for the picture).

/** Addresses of the emulated outside world (documentation ranges, never routed anywhere real). */
export const INTERNET_CIDR = '203.0.113.0/24';
/** The emulated internet host: the internet namespace itself answers on it (the local ping-target). */
export const INTERNET_HOST_IP = '203.0.113.10';
/** The root namespace's address on the internet when `hostLink` is on. */
export const HOST_LINK_IP = '203.0.113.1';
/** The internet gateway's address on the internet segment (next hop for elastic IPs). */
export const IGW_INTERNET_IP = '203.0.113.2';
/** Elastic IPs are allocated from here, starting at .10. */
export const ELASTIC_IP_POOL = '198.51.100.0/24';

export interface SubnetSpec {
  /** Unique inside the VPC, e.g. 'management' or 'provider'. */
  name: string;
  /** IPv4 CIDR, e.g. '10.42.1.0/24'. */
  cidr: string;
  /** The VPC router's address in the subnet (AWS: .1). */
  gateway: string;
  /**
   * The subnet route table's 0.0.0.0/0 target: the internet gateway, or an ENI's IP (a NAT instance,
   * e.g. the controller's eth0; that ENI must have source/dest check off for it to work).
   */
  defaultRoute: 'igw' | { viaIp: string };
}

export interface VpcSpec {
  /** Short id (lowercase letters, digits, '-', at most 24 chars); all names carry it: `ooa-<id>-…`. */
  id: string;
  subnets: SubnetSpec[];
  /**
   * Links the root namespace to the emulated internet at 203.0.113.1 with a route to the elastic IP
   * pool, so the host can SSH to elastic IPs and nodes can reach a host service (e.g. an apt cache on
   * 3142). The host never forwards anything from it (nft drop + forwarding=0 on that link). Only one
   * VPC per host can have it (the routes would clash); createVpc refuses a second one.
   */
  hostLink?: boolean;
}

export interface EniSpec {
  /** Caller's id, used by setSourceDestCheck/detachEni (e.g. 'controller-eth1' or an eni-… id). */
  id: string;
  /** A SubnetSpec name. */
  subnet: string;
  /** The ENI's MAC (what AWS would report); the node-side interface gets it. Unicast. */
  mac: string;
  /**
   * The ENI's private IPs: the primary first, then any secondary ones (like CreateNetworkInterface's
   * PrivateIpAddresses). The switch lets only these through (unless check off); the router delivers
   * traffic for any of them to this ENI. More can be assigned later (assignPrivateIps).
   */
  ips: string[];
  sourceDestCheck: boolean;
  /** The node's network namespace: a name under /run/netns, or the pid of a process inside it. */
  netns: string | { pid: number };
  /** Interface name inside the node namespace (≤ 15 chars), e.g. 'eth0'. */
  ifname: string;
}

export interface AttachedEni {
  id: string;
  subnet: string;
  mac: string;
  ips: string[];
  sourceDestCheck: boolean;
  /** The switch-side port (inside namespaces.switch). */
  switchPort: string;
}

export interface VpcNamespaces {
  switch: string;
  router: string;
  igw: string;
  /** The internet; also the internet host 203.0.113.10 (run listeners/pings here). */
  internet: string;
}

export interface Vpc {
  readonly id: string;
  readonly spec: VpcSpec;
  readonly namespaces: VpcNamespaces;
  /** 203.0.113.10 */
  readonly internetHostIp: string;
  /** 203.0.113.1 when hostLink is on, else undefined. */
  readonly hostIp?: string;
  /** The root-namespace interface of the host link (when hostLink is on). */
  readonly hostIfname?: string;
  /**
   * Creates a veth: one end in the node namespace with the given name and MAC (brought up when the
   * namespace is named or a pid), the other a port of the subnet's switch with the AWS rules. The node
   * configures its own addresses and routes.
   */
  attachEni(spec: EniSpec): Promise<AttachedEni>;
  /** Removes the ENI's switch port (the node-side interface goes with it) and its rules. */
  detachEni(eniId: string): Promise<void>;
  /** Turns the ENI's source/dest check on or off (rewrites its switch rules atomically). */
  setSourceDestCheck(eniId: string, on: boolean): Promise<void>;
  /**
   * AssignPrivateIpAddresses: secondary private IPs for an attached ENI, with EC2's rules (inside
   * the ENI's subnet, not one of the subnet's five reserved addresses, not in use by any ENI). From
   * then on frames from them pass the ENI's port and traffic for them is delivered to it. The node
   * configures them itself (as on EC2, where nothing adds them to the OS interface).
   */
  assignPrivateIps(eniId: string, ips: string[]): Promise<AttachedEni>;
  /**
   * UnassignPrivateIpAddresses: the secondary IPs go (never the primary); an elastic IP associated
   * with one of them is disassociated, as on EC2.
   */
  unassignPrivateIps(eniId: string, ips: string[]): Promise<AttachedEni>;
  /**
   * 1:1 NAT at the internet gateway between an elastic IP and a private IP (primary or secondary)
   * of an attached ENI. Allocates the next free 198.51.100.x when publicIp is not given. Returns the
   * elastic IP.
   */
  associateElasticIp(privateIp: string, publicIp?: string): Promise<string>;
  /** DisassociateAddress: the elastic IP's NAT goes; absent is an error (as on EC2). */
  disassociateElasticIp(publicIp: string): Promise<void>;
  /** elastic IP → private IP. */
  elasticIps(): ReadonlyMap<string, string>;
  enis(): readonly AttachedEni[];
  /** Deletes every namespace, link and nft table it made. Idempotent; safe after a partial create. */
  destroy(): Promise<void>;
}
