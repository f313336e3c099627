// The single table of what is supported: OpenStack releases, operating systems, network drivers,
// where each OS gets each release's packages from, and which combinations are refused and why.
// The README's support table is generated from this file (scripts/docs.js); never edit it by hand.

type ReleaseId =
  | 'rocky'
  | 'stein'
  | 'train'
  | 'ussuri'
  | 'victoria'
  | 'wallaby'
  | 'xena'
  | 'yoga'
  | 'zed'
  | '2023.1'
  | '2023.2'
  | '2024.1'
  | '2024.2'
  | '2025.1'
  | '2025.2'
  | '2026.1'
  | '2026.2';

export interface Release {
  id: ReleaseId;
  codename: string; // lower case; for releases before 2023.1 it equals the id
  /** Position in time, used for "from this release on" rules. */
  order: number;
}

const RELEASE_LIST: Array<[ReleaseId, string]> = [
  ['rocky', 'rocky'],
  ['stein', 'stein'],
  ['train', 'train'],
  ['ussuri', 'ussuri'],
  ['victoria', 'victoria'],
  ['wallaby', 'wallaby'],
  ['xena', 'xena'],
  ['yoga', 'yoga'],
  ['zed', 'zed'],
  ['2023.1', 'antelope'],
  ['2023.2', 'bobcat'],
  ['2024.1', 'caracal'],
  ['2024.2', 'dalmatian'],
  ['2025.1', 'epoxy'],
  ['2025.2', 'flamingo'],
  ['2026.1', 'gazpacho'],
  ['2026.2', 'hibiscus'],
];

export const RELEASES: readonly Release[] = RELEASE_LIST.map(([id, codename], order) => ({
  id,
  codename,
  order,
}));

/** Accepts an id ("2024.1", "zed") or a codename ("caracal", "Caracal"). */
export function findRelease(value: string): Release | undefined {
  const v = value.trim().toLowerCase();
  return RELEASES.find((r) => r.id === v || r.codename === v);
}

export function releaseLabel(r: Release): string {
  return r.id === r.codename ? r.id : `${r.id} (${r.codename})`;
}

export type OsId =
  | 'ubuntu-22.04'
  | 'ubuntu-24.04'
  | 'ubuntu-26.04'
  | 'debian-12'
  | 'debian-13'
  | 'centos-stream-9'
  | 'rocky-9'
  | 'centos-7';

type OsFamily = 'ubuntu' | 'debian' | 'rhel';

/** Where a release's packages come from on an OS; the stage scripts switch on this. */
export type PackageSource =
  | 'distro' // the OS archive itself
  | 'uca' // Ubuntu Cloud Archive
  | 'osbpo' // Debian OpenStack backports
  | 'rdo' // RDO (centos-release-openstack-<codename>)
  | 'rdo-vault'; // RDO from the archived CentOS 7 repositories

export interface AmiQuery {
  owner: string;
  namePattern: string;
  includeDeprecated?: boolean;
}

export interface OperatingSystem {
  id: OsId;
  family: OsFamily;
  label: string;
  codename?: string;
  /** The cloud image's default login user. */
  sshUser: string;
  ami: AmiQuery;
  legacy?: string;
  releases: Partial<Record<ReleaseId, PackageSource>>;
}

function sources(source: PackageSource, ids: ReleaseId[]): Partial<Record<ReleaseId, PackageSource>> {
  return Object.fromEntries(ids.map((id) => [id, source]));
}

export const OPERATING_SYSTEMS: readonly OperatingSystem[] = [
  {
    id: 'ubuntu-22.04',
    family: 'ubuntu',
    label: 'Ubuntu 22.04 LTS',
    codename: 'jammy',
    sshUser: 'ubuntu',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*' },
    releases: { ...sources('distro', ['yoga']), ...sources('uca', ['zed', '2023.1', '2023.2', '2024.1']) },
  },
  {
    id: 'ubuntu-24.04',
    family: 'ubuntu',
    label: 'Ubuntu 24.04 LTS',
    codename: 'noble',
    sshUser: 'ubuntu',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*' },
    // The Cloud Archive backports each newer release to the latest LTS, up to the next LTS's own
    // (as jammy got caracal): dalmatian, epoxy, flamingo, gazpacho.
    releases: { ...sources('distro', ['2024.1']), ...sources('uca', ['2024.2', '2025.1', '2025.2', '2026.1']) },
  },
  {
    id: 'ubuntu-26.04',
    family: 'ubuntu',
    label: 'Ubuntu 26.04 LTS',
    codename: 'resolute',
    sshUser: 'ubuntu',
    ami: { owner: '099720109477', namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-*' },
    // Gazpacho in resolute's own archive; hibiscus (26.10's release) through the Cloud Archive, which
    // add-apt-repository knows from software-properties 0.120.2 (resolute-updates) on.
    releases: { ...sources('distro', ['2026.1']), ...sources('uca', ['2026.2']) },
  },
  {
    id: 'debian-12',
    family: 'debian',
    label: 'Debian 12 (bookworm)',
    codename: 'bookworm',
    sshUser: 'admin',
    ami: { owner: '136693071363', namePattern: 'debian-12-amd64-*' },
    releases: {
      ...sources('distro', ['zed']),
      ...sources('osbpo', ['2023.1', '2023.2', '2024.1', '2024.2', '2025.1']),
    },
  },
  {
    id: 'debian-13',
    family: 'debian',
    label: 'Debian 13 (trixie)',
    codename: 'trixie',
    sshUser: 'admin',
    ami: { owner: '136693071363', namePattern: 'debian-13-amd64-*' },
    // Epoxy in trixie itself; the OpenStack backports (osbpo, through extrepo) carry each later
    // release for the current stable, as they did for bookworm. Never osbpo for epoxy or older here:
    // extrepo's trixie entries for those name bookworm's suites.
    releases: { ...sources('distro', ['2025.1']), ...sources('osbpo', ['2025.2', '2026.1', '2026.2']) },
  },
  {
    id: 'centos-stream-9',
    family: 'rhel',
    label: 'CentOS Stream 9',
    sshUser: 'ec2-user',
    ami: { owner: '125523088429', namePattern: 'CentOS Stream 9 x86_64*' },
    releases: sources('rdo', ['yoga', 'zed', '2023.1', '2023.2', '2024.1', '2024.2', '2025.1']),
  },
  {
    id: 'rocky-9',
    family: 'rhel',
    label: 'Rocky Linux 9',
    sshUser: 'rocky',
    ami: { owner: '792107900819', namePattern: 'Rocky-9-EC2-Base-9.*x86_64*' },
    releases: sources('rdo', ['yoga', 'zed', '2023.1', '2023.2', '2024.1', '2024.2', '2025.1']),
  },
  {
    id: 'centos-7',
    family: 'rhel',
    label: 'CentOS 7',
    sshUser: 'centos',
    ami: { owner: '125523088429', namePattern: 'CentOS Linux 7 x86_64*', includeDeprecated: true },
    legacy:
      "the seeds' own combination; CentOS 7 and Rocky are end of life, packages come from the archived repositories",
    releases: sources('rdo-vault', ['rocky']),
  },
];

export function findOs(value: string): OperatingSystem | undefined {
  const v = value.trim().toLowerCase();
  return OPERATING_SYSTEMS.find((o) => o.id === v);
}

export type NetworkDriver = 'linuxbridge' | 'openvswitch';
export const NETWORK_DRIVERS: readonly NetworkDriver[] = ['linuxbridge', 'openvswitch'];

/** Neutron removed the Linux bridge mechanism driver in 2025.1 (Epoxy). */
export const LINUXBRIDGE_REMOVED_IN: ReleaseId = '2025.1';

export type ProviderId = 'aws' | 'local';
export const PROVIDERS: readonly ProviderId[] = ['aws', 'local'];

/**
 * What the local provider can install: its nodes are nspawn machines of these OSes, built with
 * debootstrap, that reach only their OS's own archive (through the host's apt cache), so each runs
 * the release its archive ships (package source 'distro'). Without os/release inputs: the default.
 */
export const LOCAL_SUPPORT: { oses: OsId[]; default: { os: OsId; release: ReleaseId }; reason: string } = {
  oses: ['debian-12', 'debian-13', 'ubuntu-24.04', 'ubuntu-26.04'],
  default: { os: 'debian-12', release: 'zed' },
  reason: "the local provider's nodes reach only their OS's own archive",
};

/** The releases the local provider installs on an OS: the one its archive ships. */
export function localReleases(os: OperatingSystem): ReleaseId[] {
  if (!LOCAL_SUPPORT.oses.includes(os.id)) return [];
  return RELEASES.filter((r) => os.releases[r.id] === 'distro').map((r) => r.id);
}

interface Combination {
  release: Release;
  os: OperatingSystem;
  driver: NetworkDriver;
}

/** The part of a combination a refusal blames: the input whose value the user should change. */
export type CombinationPart = 'release' | 'os' | 'network-driver';

interface Refusal {
  blames: CombinationPart;
  reason: string;
}

/** Why a combination cannot work and which part of it to change, or undefined when it is supported. */
export function refusalOf(c: Combination, provider: ProviderId = 'aws'): Refusal | undefined {
  if (provider === 'local') {
    if (!LOCAL_SUPPORT.oses.includes(c.os.id))
      return {
        blames: 'os',
        reason: `provider 'local' runs only ${LOCAL_SUPPORT.oses.join(', ')}: it builds their nodes with debootstrap`,
      };
    const local = localReleases(c.os);
    if (!local.includes(c.release.id))
      return {
        blames: 'release',
        reason: `provider 'local' installs only ${local.join(', ')} on ${c.os.id}: ${LOCAL_SUPPORT.reason}`,
      };
  }
  if (!c.os.releases[c.release.id]) {
    return { blames: 'release', reason: `${c.os.label} has no packages for OpenStack ${releaseLabel(c.release)}` };
  }
  if (c.driver === 'linuxbridge' && c.release.order >= findRelease(LINUXBRIDGE_REMOVED_IN)!.order) {
    return {
      blames: 'network-driver',
      reason: `Neutron removed the Linux bridge driver in ${LINUXBRIDGE_REMOVED_IN} (${releaseLabel(c.release)} has none); use openvswitch`,
    };
  }
  return undefined;
}

/** Why a combination cannot work, or undefined when it is supported. */
export function unsupportedReason(c: Combination, provider: ProviderId = 'aws'): string | undefined {
  return refusalOf(c, provider)?.reason;
}

/** Every supported release for an OS, in release order. */
export function releasesFor(os: OperatingSystem): Release[] {
  return RELEASES.filter((r) => os.releases[r.id] !== undefined);
}

export function packageSource(c: Combination): PackageSource {
  const s = c.os.releases[c.release.id];
  if (!s) throw new Error(`no package source for ${c.os.id} × ${c.release.id}`);
  return s;
}

/** The driver a user gets when they name none: the seeds' Linux bridge while Neutron still has it. */
export function defaultDriver(release: Release): NetworkDriver {
  return release.order >= findRelease(LINUXBRIDGE_REMOVED_IN)!.order ? 'openvswitch' : 'linuxbridge';
}
