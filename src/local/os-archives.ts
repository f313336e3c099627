// What the local provider needs to build one OS's nodes: the suite debootstrap fetches, from which
// archive, with which debootstrap script and signing key, and the apt sources the nodes get. One
// table for the provider (src/local/rootfs.ts) and the stage tests (test/integration/stages-*),
// so both build an OS's root file system the same way. Only archives reachable from a plain
// machine are here: each OS installs the OpenStack release its own archive ships.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { LOCAL_SUPPORT, OsId } from '../settings/matrix';
import type { DebianMirror } from './host-mirror';

export interface OsArchive {
  os: OsId;
  family: 'debian' | 'ubuntu';
  suite: string;
  /** The archive debootstrap and the nodes use (through the host's apt cache). */
  archive: string;
  /** The security archive, when it is a different one (Debian's). */
  security?: string;
  components: string[];
  /** Suites of the nodes' sources, besides security when that is a separate archive. */
  suites: string[];
  securitySuite?: string;
  /** The keyring the nodes' sources name (installed by debootstrap with the base system). */
  signedBy: string;
  /** debootstrap's script when the host's debootstrap may not know the suite by name. */
  script?: string;
  /** Ubuntu only: the archive key debootstrap checks the Release file with (see ubuntuArchiveKey). */
  needsUbuntuKey?: boolean;
}

const UBUNTU_ARCHIVE = 'http://archive.ubuntu.com/ubuntu';
// Every Ubuntu release since gutsy uses debootstrap's one Ubuntu script (newer names link to it);
// Debian 12's debootstrap predates noble and resolute, so the script is named explicitly.
const UBUNTU_SCRIPT = '/usr/share/debootstrap/scripts/gutsy';

function debian(os: OsId, suite: string, mirror: DebianMirror): OsArchive {
  return {
    os,
    family: 'debian',
    suite,
    archive: mirror.archive,
    ...(mirror.security ? { security: mirror.security, securitySuite: `${suite}-security` } : {}),
    components: ['main'],
    suites: [suite, `${suite}-updates`],
    signedBy: '/usr/share/keyrings/debian-archive-keyring.gpg',
  };
}

function ubuntu(os: OsId, suite: string): OsArchive {
  return {
    os,
    family: 'ubuntu',
    suite,
    archive: UBUNTU_ARCHIVE,
    // Some OpenStack packages (tempest among them) and their dependencies are in universe.
    components: ['main', 'universe'],
    suites: [suite, `${suite}-updates`, `${suite}-security`],
    signedBy: '/usr/share/keyrings/ubuntu-archive-keyring.gpg',
    script: UBUNTU_SCRIPT,
    needsUbuntuKey: true,
  };
}

/** The archive recipe of one OS; Debian's archive is the one the host itself uses. */
export function osArchive(os: OsId, mirror: DebianMirror): OsArchive {
  switch (os) {
    case 'debian-12':
      return debian(os, 'bookworm', mirror);
    case 'debian-13':
      return debian(os, 'trixie', mirror);
    case 'ubuntu-24.04':
      return ubuntu(os, 'noble');
    case 'ubuntu-26.04':
      return ubuntu(os, 'resolute');
    default:
      throw new Error(`the local provider cannot build ${os} nodes (it builds ${LOCAL_SUPPORT.oses.join(', ')})`);
  }
}

/** The nodes' apt sources (deb822) for the OS. */
export function aptSources(a: OsArchive): string {
  const stanza = (uri: string, suites: string[]) =>
    [
      'Types: deb',
      `URIs: ${uri}`,
      `Suites: ${suites.join(' ')}`,
      `Components: ${a.components.join(' ')}`,
      `Signed-By: ${a.signedBy}`,
    ].join('\n');
  const stanzas = [stanza(a.archive, a.suites)];
  if (a.security && a.securitySuite) stanzas.push(stanza(a.security, [a.securitySuite]));
  return stanzas.join('\n\n') + '\n';
}

/** The file name of the sources under /etc/apt/sources.list.d (as the OS's own images name it). */
export function aptSourcesFile(a: OsArchive): string {
  return `${a.family}.sources`;
}

// Ubuntu's archive signing key (2018), the one that signs noble's and resolute's Release files
// (read from their InRelease: issuer F6EC…C93C). Pinned by fingerprint, so the keyring package
// fetched over plain http is trusted only for this exact key.
const UBUNTU_ARCHIVE_KEY_2018 = 'F6ECB3762474EDA9D21B7022871920D1991BC93C';
const UBUNTU_KEYRING_DEB = 'pool/main/u/ubuntu-keyring/ubuntu-keyring_2023.11.28.1_all.deb';

/**
 * Debian has no Ubuntu keyring package: the key is taken from noble's ubuntu-keyring package and
 * exported by its full fingerprint (that key or nothing), once, into the cache directory.
 */
export function ubuntuArchiveKey(cacheDir: string, proxyUrl?: string): string {
  const out = path.join(cacheDir, 'ubuntu-archive-key-2018.gpg');
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = fs.mkdtempSync('/tmp/ooa-ubuntu-keyring-');
  const sh = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const curlArgs = ['-fsS', '--max-time', '120', '-o', path.join(tmp, 'keyring.deb')];
    if (proxyUrl) curlArgs.push('--proxy', proxyUrl);
    sh('curl', [...curlArgs, `${UBUNTU_ARCHIVE}/${UBUNTU_KEYRING_DEB}`]);
    sh('dpkg-deb', ['-x', path.join(tmp, 'keyring.deb'), path.join(tmp, 'x')]);
    const home = path.join(tmp, 'gnupg');
    fs.mkdirSync(home, { mode: 0o700 });
    const gpg = ['--batch', '-q', '--homedir', home];
    sh('gpg', [...gpg, '--import', path.join(tmp, 'x/usr/share/keyrings/ubuntu-archive-keyring.gpg')]);
    const key = sh('gpg', [...gpg, '--export', UBUNTU_ARCHIVE_KEY_2018]);
    if (key.length === 0) throw new Error(`ubuntu-keyring has no key ${UBUNTU_ARCHIVE_KEY_2018}`);
    fs.writeFileSync(`${out}.tmp`, key);
    fs.renameSync(`${out}.tmp`, out);
    return out;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** debootstrap's arguments after the options: suite, target, archive and (Ubuntu) the script. */
export function debootstrapTail(a: OsArchive, target: string): string[] {
  return [a.suite, target, a.archive, ...(a.script ? [a.script] : [])];
}
