// The support matrix: releases, OSes, where each cell's packages come from, the local provider's
// cells and the combinations refused (with the reason a user reads).
import {
  findOs,
  findRelease,
  localReleases,
  OPERATING_SYSTEMS,
  packageSource,
  RELEASES,
  releasesFor,
  refusalOf,
  unsupportedReason,
} from '../../src/settings/matrix';

const osOf = (id: string) => findOs(id)!;
const rel = (id: string) => findRelease(id)!;

describe('support matrix', () => {
  it('knows every release from rocky to 2026.2 and their codenames', () => {
    expect(RELEASES[0].id).toBe('rocky');
    expect(RELEASES.at(-1)!.id).toBe('2026.2');
    expect(findRelease('caracal')!.id).toBe('2024.1');
    expect(findRelease('flamingo')!.id).toBe('2025.2');
    expect(findRelease('Gazpacho')!.id).toBe('2026.1');
    expect(findRelease('hibiscus')!.id).toBe('2026.2');
    expect(findRelease('antelope')!.id).toBe('2023.1');
  });

  it('lists the eight operating systems', () => {
    expect(OPERATING_SYSTEMS.map((o) => o.id)).toEqual([
      'ubuntu-22.04',
      'ubuntu-24.04',
      'ubuntu-26.04',
      'debian-12',
      'debian-13',
      'centos-stream-9',
      'rocky-9',
      'centos-7',
    ]);
  });

  it('says where every new cell gets its packages', () => {
    const cells: Array<[string, string, string]> = [
      ['debian-13', '2025.1', 'distro'],
      ['debian-13', '2025.2', 'osbpo'],
      ['debian-13', '2026.1', 'osbpo'],
      ['debian-13', '2026.2', 'osbpo'],
      ['ubuntu-26.04', '2026.1', 'distro'],
      ['ubuntu-26.04', '2026.2', 'uca'],
      ['ubuntu-24.04', '2024.1', 'distro'],
      ['ubuntu-24.04', '2024.2', 'uca'],
      ['ubuntu-24.04', '2025.1', 'uca'],
      ['ubuntu-24.04', '2025.2', 'uca'],
      ['ubuntu-24.04', '2026.1', 'uca'],
    ];
    for (const [os, release, source] of cells)
      expect(packageSource({ os: osOf(os), release: rel(release), driver: 'openvswitch' })).toBe(source);
    expect(releasesFor(osOf('debian-13')).map((r) => r.id)).toEqual(['2025.1', '2025.2', '2026.1', '2026.2']);
    expect(releasesFor(osOf('ubuntu-26.04')).map((r) => r.id)).toEqual(['2026.1', '2026.2']);
    expect(unsupportedReason({ os: osOf('ubuntu-26.04'), release: rel('2025.2'), driver: 'openvswitch' })).toMatch(
      /Ubuntu 26\.04 LTS has no packages for OpenStack 2025\.2/,
    );
  });

  it('takes from the Cloud Archive and the OpenStack backports exactly the releases they publish per OS', () => {
    // What add-apt-repository's cloud-archive map holds (software-properties 0.120.2, resolute-updates)
    // and what extrepo's data lists per Debian codename (extrepo-offline-data 1.0.7): an entry
    // neither publishes would fail at its repositories stage.
    const published: Record<string, { source: string; releases: string[] }> = {
      'ubuntu-22.04': { source: 'uca', releases: ['zed', '2023.1', '2023.2', '2024.1'] },
      'ubuntu-24.04': { source: 'uca', releases: ['2024.2', '2025.1', '2025.2', '2026.1'] },
      'ubuntu-26.04': { source: 'uca', releases: ['2026.2'] },
      'debian-12': { source: 'osbpo', releases: ['2023.1', '2023.2', '2024.1', '2024.2', '2025.1'] },
      'debian-13': { source: 'osbpo', releases: ['2025.2', '2026.1', '2026.2'] },
    };
    for (const [os, { source, releases }] of Object.entries(published))
      expect([
        os,
        releasesFor(osOf(os))
          .filter((r) => osOf(os).releases[r.id] === source)
          .map((r) => r.id),
      ]).toEqual([os, releases]);
    expect(releasesFor(osOf('ubuntu-24.04')).map((r) => r.id)).toEqual([
      '2024.1',
      '2024.2',
      '2025.1',
      '2025.2',
      '2026.1',
    ]);
    expect(unsupportedReason({ os: osOf('ubuntu-24.04'), release: rel('2026.2'), driver: 'openvswitch' })).toMatch(
      /Ubuntu 24\.04 LTS has no packages for OpenStack 2026\.2/,
    );
  });

  it("finds each new OS's official image: Debian's and Canonical's owners and name patterns", () => {
    expect(osOf('debian-13').ami).toEqual({ owner: '136693071363', namePattern: 'debian-13-amd64-*' });
    expect(osOf('debian-13').sshUser).toBe('admin');
    expect(osOf('ubuntu-26.04').ami).toEqual({
      owner: '099720109477',
      namePattern: 'ubuntu/images/hvm-ssd-gp3/ubuntu-resolute-26.04-amd64-server-*',
    });
    expect(osOf('ubuntu-26.04').codename).toBe('resolute');
  });

  it('allows centos-7 with rocky only', () => {
    expect(releasesFor(osOf('centos-7')).map((r) => r.id)).toEqual(['rocky']);
  });

  it('refuses linuxbridge from 2025.1 on, naming the release, and allows openvswitch', () => {
    const cells: Array<[string, string]> = [
      ['ubuntu-24.04', '2025.1'],
      ['ubuntu-24.04', '2026.1'],
      ['debian-13', '2025.1'],
      ['debian-13', '2026.2'],
      ['ubuntu-26.04', '2026.1'],
      ['ubuntu-26.04', '2026.2'],
    ];
    for (const [os, id] of cells) {
      const c = { release: rel(id), os: osOf(os) };
      expect(unsupportedReason({ ...c, driver: 'linuxbridge' })).toMatch(
        new RegExp(
          `removed the Linux bridge driver in 2025\\.1 \\(${id.replace('.', '\\.')} \\(\\w+\\) has none\\); use openvswitch`,
        ),
      );
      expect(unsupportedReason({ ...c, driver: 'openvswitch' })).toBeUndefined();
      expect(unsupportedReason({ ...c, driver: 'linuxbridge' }, 'local')).toMatch(/removed|installs only/);
    }
    expect(
      unsupportedReason({ release: rel('2024.2'), os: osOf('ubuntu-24.04'), driver: 'linuxbridge' }),
    ).toBeUndefined();
  });

  it("lets the local provider run each buildable OS with its own archive's release only", () => {
    expect(localReleases(osOf('debian-12'))).toEqual(['zed']);
    expect(localReleases(osOf('debian-13'))).toEqual(['2025.1']);
    expect(localReleases(osOf('ubuntu-24.04'))).toEqual(['2024.1']);
    expect(localReleases(osOf('ubuntu-26.04'))).toEqual(['2026.1']);
    expect(localReleases(osOf('rocky-9'))).toEqual([]);
    const ok: Array<[string, string, 'linuxbridge' | 'openvswitch']> = [
      ['debian-12', 'zed', 'linuxbridge'],
      ['debian-12', 'zed', 'openvswitch'],
      ['debian-13', '2025.1', 'openvswitch'],
      ['ubuntu-24.04', '2024.1', 'linuxbridge'],
      ['ubuntu-26.04', '2026.1', 'openvswitch'],
    ];
    for (const [os, id, driver] of ok)
      expect(unsupportedReason({ os: osOf(os), release: rel(id), driver }, 'local')).toBeUndefined();
    expect(unsupportedReason({ os: osOf('debian-13'), release: rel('2026.1'), driver: 'openvswitch' }, 'local')).toBe(
      "provider 'local' installs only 2025.1 on debian-13: the local provider's nodes reach only their OS's own archive",
    );
    expect(unsupportedReason({ os: osOf('rocky-9'), release: rel('2024.1'), driver: 'openvswitch' }, 'local')).toMatch(
      /runs only debian-12, debian-13, ubuntu-24\.04, ubuntu-26\.04/,
    );
  });

  it('gives every OS at least one release and every supported pair a package source', () => {
    for (const os of OPERATING_SYSTEMS) expect(releasesFor(os).length).toBeGreaterThan(0);
  });
});

describe('a refusal names the part of the combination it blames, as data', () => {
  const release = (id: string) => findRelease(id)!;
  const os = (id: string) => findOs(id)!;

  it('blames the network driver where Neutron dropped it', () =>
    expect(refusalOf({ release: release('2025.1'), os: os('ubuntu-24.04'), driver: 'linuxbridge' })?.blames).toBe(
      'network-driver',
    ));

  it('blames the release an OS has no packages for', () =>
    expect(refusalOf({ release: release('rocky'), os: os('ubuntu-24.04'), driver: 'linuxbridge' })?.blames).toBe(
      'release',
    ));

  it('blames the OS, then the release, that the local provider cannot build', () => {
    const zed = { release: release('zed'), driver: 'linuxbridge' as const };
    expect(refusalOf({ ...zed, os: os('ubuntu-22.04') }, 'local')?.blames).toBe('os');
    expect(refusalOf({ release: release('2024.1'), os: os('debian-12'), driver: 'openvswitch' }, 'local')?.blames).toBe(
      'release',
    );
    expect(refusalOf({ ...zed, os: os('debian-12') }, 'local')).toBeUndefined();
  });

  it('gives the same reason unsupportedReason words', () => {
    const c = { release: release('2025.1'), os: os('ubuntu-24.04'), driver: 'linuxbridge' as const };
    expect(refusalOf(c)?.reason).toBe(unsupportedReason(c));
  });
});
