// Uploads the failure log bundle as a workflow artifact, so a plain `uses:` step gets the logs
// without an actions/upload-artifact step of its own. up.ts sees only the ArtifactUploader seam; the
// Actions SDK stays in here. Uploading is best effort: the bundle exists to explain a failure, so a
// broken upload must neither hide that failure nor fail a green run.

import { DefaultArtifactClient } from '@actions/artifact';
import * as path from 'path';
import { errorMessage } from '../core/errors';
import type { Io } from '../core/io';
import { Outputs } from '../core/names';
import { logBundleName } from './log-bundle';

interface UploadedArtifact {
  id?: number;
  /** Bytes of the zip the service stored. */
  size?: number;
}

export interface ArtifactUploader {
  /** Uploads one file as the workflow artifact `name` (the service zips it under its base name). */
  upload(name: string, file: string): Promise<UploadedArtifact>;
}

/** Long enough to look at a failed night after a weekend; the repository's own maximum still caps it. */
export const LOG_BUNDLE_RETENTION_DAYS = 14;

/**
 * The runner hands the artifact service's address and token only to action steps (not to `run:`
 * steps, nor to a terminal), so their presence is what "running as the action" means here.
 */
export function hasArtifactRuntime(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ACTIONS_RUNTIME_TOKEN && env.ACTIONS_RESULTS_URL);
}

/** The Actions artifact service through @actions/artifact (it reads its runtime from process.env). */
export function actionsArtifactUploader(retentionDays = LOG_BUNDLE_RETENTION_DAYS): ArtifactUploader {
  return {
    upload: async (name, file) => {
      const result = await new DefaultArtifactClient().uploadArtifact(name, [file], path.dirname(file), {
        retentionDays,
        // The bundle is already gzip: compressing it again only costs time.
        compressionLevel: 0,
      });
      return { id: result.id, size: result.size };
    },
  };
}

/** The uploader to use where nothing was injected: the artifact service in an action, else none. */
export function artifactUploaderFromEnv(env: NodeJS.ProcessEnv): ArtifactUploader | undefined {
  return hasArtifactRuntime(env) ? actionsArtifactUploader() : undefined;
}

/**
 * Artifact names must be unique within a workflow run, re-runs included. The stack id already
 * differs per matrix entry (the default one by design, a given one because two entries with one id
 * would fight over the same AWS resources); the attempt keeps a re-run from clashing with the first.
 */
export function logBundleArtifactName(stackId: string, runAttempt: string | undefined): string {
  return `${logBundleName(stackId)}-attempt-${runAttempt || '1'}`;
}

interface PublishLogBundleOptions {
  stackId: string;
  /** The collected .tar.gz on the runner (the `log-bundle` output). */
  file: string;
  /** Undefined: not running as the action; the bundle stays on the runner. */
  uploader?: ArtifactUploader;
  runAttempt?: string;
}

/** Uploads the bundle and sets the `log-bundle-artifact` output; returns the artifact name, if any. */
export async function publishLogBundle(io: Io, o: PublishLogBundleOptions): Promise<string | undefined> {
  if (!o.uploader) {
    io.info(`Log bundle not uploaded (no artifact service outside a workflow's action step); it is at ${o.file}`);
    return undefined;
  }
  const name = logBundleArtifactName(o.stackId, o.runAttempt);
  try {
    const uploaded = await o.uploader.upload(name, o.file);
    io.setOutput(Outputs.LogBundleArtifact, name);
    io.info(`Log bundle uploaded as the artifact ${name} (${uploaded.size ?? '?'} bytes, id ${uploaded.id ?? '?'})`);
    return name;
  } catch (err) {
    io.warning(
      `could not upload the log bundle as the artifact ${name}: ${errorMessage(err)}. It is still at ${o.file}`,
    );
    return undefined;
  }
}
