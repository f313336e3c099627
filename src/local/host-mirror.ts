// The Debian mirror the host already uses, read from its apt sources, so debootstrap and the nodes
// ask the same archive (through the host's apt-cacher-ng). https becomes http: the cache can only
// store what it sees, and the archive is signed, so transport encryption adds nothing here.

import * as fs from 'fs';

export interface DebianMirror {
  /** e.g. http://deb.debian.org/debian */
  archive: string;
  /** e.g. http://deb.debian.org/debian-security, when the host has one. */
  security?: string;
}

export const FALLBACK_MIRROR: DebianMirror = {
  archive: 'http://deb.debian.org/debian',
  security: 'http://deb.debian.org/debian-security',
};

function toHttp(url: string): string {
  return url.replace(/^https:\/\//, 'http://').replace(/\/+$/, '');
}

/** Every archive URI named in deb822 (.sources) or one-line (.list) text. */
export function urisIn(text: string): string[] {
  const uris: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#')) continue;
    const deb822 = /^URIs:\s*(.+)$/i.exec(line);
    if (deb822) uris.push(...deb822[1].split(/\s+/));
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/.exec(line);
    if (oneLine) uris.push(oneLine[1]);
  }
  return uris;
}

/** Picks the Debian archive (…/debian) and security archive (…/debian-security) among URIs. */
export function mirrorFrom(uris: string[]): DebianMirror | undefined {
  const http = uris.filter((u) => /^https?:\/\//.test(u)).map(toHttp);
  const archive = http.find((u) => /\/debian$/.test(u));
  if (!archive) return undefined;
  return { archive, security: http.find((u) => /\/debian-security$/.test(u)) };
}

export function hostMirror(
  files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'],
  read: (f: string) => string | undefined = (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined),
): DebianMirror {
  const uris = files.flatMap((f) => urisIn(read(f) ?? ''));
  return mirrorFrom(uris) ?? FALLBACK_MIRROR;
}
