// The runner-side work directory of a stack (key, credentials, JUnit, log bundle) and the files in it
// that hold secrets: one place names them, so the teardown deletes exactly what up wrote.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** The stack's private SSH key (mode 0600), written before provisioning. */
export const PRIVATE_KEY_FILE = 'id_ed25519';
/** clouds.yaml and the admin openrc for the user (mode 0600), written when the cloud answers. */
export const CLOUDS_YAML_FILE = 'clouds.yaml';
export const OPENRC_FILE = 'admin-openrc.sh';

/** What holds a secret and goes when the stack does (JUnit and the log bundle are masked: they stay). */
const SECRET_WORK_FILES = [PRIVATE_KEY_FILE, CLOUDS_YAML_FILE, OPENRC_FILE] as const;

/** <root>/openstack-on-aws/<stack id>; root: the CLI's state dir, else the runner's temp dir. */
export function workDirFor(
  stackId: string,
  root: string | undefined,
  env: NodeJS.ProcessEnv | Record<string, string | undefined>,
): string {
  return path.join(root ?? env.RUNNER_TEMP ?? os.tmpdir(), 'openstack-on-aws', stackId);
}

/** Deletes the key and credential files of a torn-down stack; returns the paths it deleted. */
export function deleteSecretWorkFiles(workDir: string): string[] {
  const deleted: string[] = [];
  for (const name of SECRET_WORK_FILES) {
    const file = path.join(workDir, name);
    if (fs.existsSync(file)) {
      fs.rmSync(file, { force: true });
      deleted.push(file);
    }
  }
  return deleted;
}
