// Glance takes the image from `image-url` and it becomes active. An http(s) image is downloaded on
// the controller (it has the internet; the runner may be far away), a file:// image is copied from
// the runner. The disk format is detected, not assumed: Nova's format inspector refuses a mismatch.

import { promises as fs } from 'fs';
import { fileURLToPath } from 'url';
import { shq } from '../shell';
import type { CheckContext } from '../context';
import { pollUntil, withProgress } from '../poll';

interface ImageRow {
  ID: string;
  Name: string;
  Status: string;
}

interface Image {
  id: string;
  status: string;
}

/** Where the image file waits on the controller before the upload. */
const REMOTE_IMAGE_PATH = '/var/tmp/openstack-on-aws-smoke-image';

const GLANCE_HINT =
  'check /var/log/glance/glance-api.log on the controller and that Glance has room in its store (/var/lib/glance/images)';

/** qemu-img's format names → Glance disk formats. */
const QEMU_TO_GLANCE: Record<string, string> = {
  qcow2: 'qcow2',
  raw: 'raw',
  vmdk: 'vmdk',
  vpc: 'vhd',
  vhdx: 'vhdx',
  vdi: 'vdi',
};

/** Detects qcow2 by its magic ("QFI\xfb"); anything else is uploaded as raw. */
function formatFromMagic(head: Buffer): 'qcow2' | 'raw' {
  return head.length >= 4 && head.readUInt32BE(0) === 0x514649fb ? 'qcow2' : 'raw';
}

async function detectRemoteFormat(ctx: CheckContext): Promise<string> {
  const info = await ctx.cli.run(`qemu-img info --output=json ${shq(REMOTE_IMAGE_PATH)}`);
  if (info.code === 0) {
    try {
      const fmt = (JSON.parse(info.stdout) as { format?: string }).format ?? '';
      if (QEMU_TO_GLANCE[fmt]) return QEMU_TO_GLANCE[fmt];
    } catch {
      // fall through to the magic bytes
    }
  }
  const command = `head -c 4 ${shq(REMOTE_IMAGE_PATH)} | od -An -tx1`;
  const hex = await ctx.cli.must(command, 'the downloaded image cannot be read', GLANCE_HINT);
  return formatFromMagic(Buffer.from(hex.replace(/\s+/g, ''), 'hex'));
}

async function stageImageFile(ctx: CheckContext): Promise<string> {
  const url = ctx.plan.imageUrl;
  if (url.startsWith('file://')) {
    const local = fileURLToPath(url);
    const data = await fs.readFile(local);
    ctx.io.info(`  copying ${local} (${data.length} bytes) from the runner to the controller`);
    await ctx.cli.session.writeFile(REMOTE_IMAGE_PATH, data, 0o600);
    return formatFromMagic(data.subarray(0, 4));
  }
  const command = `curl -fsSL --retry 3 --connect-timeout 30 -o ${shq(REMOTE_IMAGE_PATH)} ${shq(url)}`;
  await withProgress(ctx, `the controller to download ${url}`, () =>
    ctx.cli.must(
      command,
      `the controller could not download ${url}`,
      'the controller reaches the internet through eth2 (its elastic IP): check its default route and DNS, or give image-url a reachable address (file:// copies from the runner)',
      { timeoutMs: ctx.bounds.imageDownloadMs },
    ),
  );
  return detectRemoteFormat(ctx);
}

export async function checkImageUpload(ctx: CheckContext): Promise<void> {
  const name = ctx.names.image;
  const existing = await ctx.cli.json<ImageRow[]>(
    `openstack image list --name ${shq(name)} -f json`,
    'Glance did not list images',
    GLANCE_HINT,
  );
  const active = existing.find((i) => i.Status === 'active');
  if (active) {
    ctx.state.imageId = active.ID;
    ctx.note(`image ${name} (${active.ID}) already active`);
    return;
  }
  // A leftover of an interrupted attempt (queued, killed) would shadow the new one by name.
  for (const stale of existing)
    await ctx.cli.must(
      `openstack image delete ${shq(stale.ID)}`,
      `stale image ${stale.ID} could not be deleted`,
      GLANCE_HINT,
    );

  const format = await ctx.io.group(`Fetching ${ctx.plan.imageUrl}`, () => stageImageFile(ctx));
  const created = await withProgress(ctx, `Glance to take the upload of ${name}`, () =>
    ctx.cli.json<Image>(
      `openstack image create --disk-format ${format} --container-format bare --public --file ${shq(REMOTE_IMAGE_PATH)} ${shq(name)} -f json`,
      'Glance did not accept the image',
      GLANCE_HINT,
      { timeoutMs: ctx.bounds.imageDownloadMs },
    ),
  );
  const showCommand = `openstack image show ${shq(created.id)} -f json`;
  await pollUntil(ctx, {
    what: `image ${name} to become active`,
    boundMs: ctx.bounds.imageActiveMs,
    hint: GLANCE_HINT,
    probe: async () => {
      const r = await ctx.cli.run(showCommand);
      if (r.code !== 0)
        return { done: false, status: `image show exit code ${r.code}`, command: showCommand, output: r.stderr };
      const img = JSON.parse(r.stdout) as Image;
      if (img.status === 'active') return { done: true, value: img };
      if (['killed', 'deleted', 'pending_delete'].includes(img.status))
        throw ctx.cli.failure(`image ${created.id} went ${img.status}`, showCommand, r.stdout, GLANCE_HINT);
      return { done: false, status: img.status, command: showCommand, output: r.stdout };
    },
  });
  // Only an active image counts: later checks boot from it.
  ctx.state.imageId = created.id;
  await ctx.cli.run(`rm -f ${shq(REMOTE_IMAGE_PATH)}`);
  ctx.note(`image ${name} (${created.id}, ${format}) active`);
}
