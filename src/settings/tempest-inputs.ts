// Tempest's selection and login inputs (issue 15): `tempest-regex` runs any selection instead of the
// smoke set, `tempest-ssh-user` names the login of a user's own image so Tempest's validation can
// SSH into its servers. Both only mean something with `tempest: smoke`; refused otherwise, before
// anything is created. The regex is compiled by the runner's python3 where it has one.

import { spawnSync } from 'child_process';
import { InputError } from '../core/errors';
import { Inputs } from '../core/names';

export interface TempestSelectionSettings {
  /** Replaces the smoke set (tempest run --regex); absent: the smoke set. */
  tempestRegex?: string;
  /** The login of the image's servers; absent: the known images' (CirrOS, the project's test image). */
  tempestSshUser?: string;
}

type Read = (name: (typeof Inputs)[keyof typeof Inputs]) => string;

const MAX_REGEX_LENGTH = 500;
/** A user name as useradd takes it (and as cloud-init's default_user does). */
const SSH_USER_PATTERN = /^[a-z_][a-z0-9_-]{0,31}$/;

function regex(raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  const accepted = `one line of at most ${MAX_REGEX_LENGTH} printable characters: a Python regular expression over Tempest's test ids (e.g. tempest\\.api\\.network), or empty for the smoke set`;
  // Control characters (a new line above all) would make it two arguments or none.
  if (v.length > MAX_REGEX_LENGTH || [...v].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f))
    throw new InputError(Inputs.TempestRegex, raw, accepted);
  const refusal = pythonRefusal(v);
  if (refusal !== undefined)
    throw new InputError(Inputs.TempestRegex, raw, accepted, `Python's re refuses it (${refusal})`);
  return v;
}

/**
 * Why Python's re (stestr's, JavaScript's syntax differs) refuses a regex, judged on the runner
 * before anything is created; undefined when it compiles or the runner has no python3 (the
 * controller's own check in tempest-smoke.sh still judges it then, after the cloud is built).
 */
function pythonRefusal(regex: string): string | undefined {
  // The CLI reads the inputs twice (to validate them, then the pipeline): one python3 per regex
  // and PATH (which python3 judges, if any).
  const key = `${process.env.PATH ?? ''}\0${regex}`;
  if (!judged.has(key)) judged.set(key, judgeWithPython(regex));
  return judged.get(key);
}
const judged = new Map<string, string | undefined>();

function judgeWithPython(regex: string): string | undefined {
  const r = spawnSync(
    'python3',
    [
      '-c',
      'import re, sys\ntry:\n    re.compile(sys.argv[1])\nexcept re.error as e:\n    print(e)\n    sys.exit(3)',
      regex,
    ],
    { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'], env: process.env },
  );
  if (r.error || r.status !== 3) return undefined;
  return r.stdout.trim() || 'no reason given';
}

function sshUser(raw: string): string | undefined {
  const v = raw.trim();
  if (v === '') return undefined;
  if (!SSH_USER_PATTERN.test(v))
    throw new InputError(
      Inputs.TempestSshUser,
      raw,
      'a user name of the image (a-z or _, then up to 31 of a-z, 0-9, _ and -), or empty for the known images (CirrOS: cirros, the test image: ooa)',
    );
  return v;
}

export function readTempestSelection(read: Read, tempest: 'none' | 'smoke'): TempestSelectionSettings {
  const rawRegex = read(Inputs.TempestRegex);
  const rawUser = read(Inputs.TempestSshUser);
  if (tempest !== 'smoke')
    for (const [name, raw] of [
      [Inputs.TempestRegex, rawRegex],
      [Inputs.TempestSshUser, rawUser],
    ] as const)
      if (raw.trim() !== '')
        throw new InputError(
          name,
          raw,
          'empty, or tempest: smoke to run Tempest',
          'Tempest does not run (tempest: none)',
        );
  const tempestRegex = regex(rawRegex);
  const tempestSshUser = sshUser(rawUser);
  return { ...(tempestRegex ? { tempestRegex } : {}), ...(tempestSshUser ? { tempestSshUser } : {}) };
}
