import {
  findOs,
  findRelease,
  OPERATING_SYSTEMS,
  refusalOf,
  RELEASES,
  releasesFor,
  unsupportedReason,
} from '../../src/settings/matrix';

describe('support matrix', () => {
  it('knows every release from rocky to 2025.2 and their codenames', () => {
    expect(RELEASES[0].id).toBe('rocky');
    expect(RELEASES.at(-1)!.id).toBe('2025.2');
    expect(findRelease('caracal')!.id).toBe('2024.1');
    expect(findRelease('flamingo')!.id).toBe('2025.2');
    expect(findRelease('antelope')!.id).toBe('2023.1');
  });

  it('lists the six operating systems', () => {
    expect(OPERATING_SYSTEMS.map((o) => o.id)).toEqual([
      'ubuntu-22.04',
      'ubuntu-24.04',
      'debian-12',
      'centos-stream-9',
      'rocky-9',
      'centos-7',
    ]);
  });

  it('allows centos-7 with rocky only', () => {
    const c7 = OPERATING_SYSTEMS.find((o) => o.id === 'centos-7')!;
    expect(releasesFor(c7).map((r) => r.id)).toEqual(['rocky']);
  });

  it('refuses linuxbridge from 2025.1 on and allows openvswitch', () => {
    const noble = OPERATING_SYSTEMS.find((o) => o.id === 'ubuntu-24.04')!;
    for (const id of ['2025.1', '2025.2']) {
      const release = findRelease(id)!;
      expect(unsupportedReason({ release, os: noble, driver: 'linuxbridge' })).toMatch(/removed/);
      expect(unsupportedReason({ release, os: noble, driver: 'openvswitch' })).toBeUndefined();
    }
    expect(unsupportedReason({ release: findRelease('2024.2')!, os: noble, driver: 'linuxbridge' })).toBeUndefined();
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
