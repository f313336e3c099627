// The local provider's baked snapshots against real overlayfs: a node's upper layer (with a
// whiteout, an opaque directory and a file only root may read) is baked into a snapshot, which a
// new node mounts as the middle of its overlay. What the install deleted stays hidden, what it
// wrote is there with its owner and mode, and the new node's own writes land in its own upper layer
// only. Finding and pruning work on the snapshots' meta files. Everything lives under this test's
// own folders and is unmounted and removed in afterAll.

import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { bakeLocal, bakedLayer, findLocalBaked, listBaked, pruneBaked } from '../../src/local/baked';
import { runHost } from '../../src/local/exec';
import { localHost } from '../../src/local/host';
import { LocalPaths, nodeDir } from '../../src/local/paths';
import { nodeRoot } from '../../src/local/rootfs';
import type { Environment } from '../../src/provider';
import type { Plan } from '../../src/plan/types';
import { AS_ROOT, describeIf, needRoot } from '../helpers/requires';

const describeIfRoot = describeIf([needRoot()], AS_ROOT);
const ID = `bk${process.pid}`;
const base = `/var/tmp/ooa-baked-${ID}`;
const PATHS: LocalPaths = { cacheDir: `${base}/cache`, stateRoot: `${base}/state`, netnsDir: '/run/netns' };
const lower = `${base}/rootfs`;
const mounts: string[] = [];
const quiet = { info: () => undefined, warning: () => undefined, error: () => undefined } as never;

function plan(stackId: string): Plan {
  return { stackId, release: { id: 'zed' }, os: { id: 'debian-12' } } as unknown as Plan;
}
function env(stackId: string): Environment {
  return { stackId, nodes: [{ name: 'controller', instanceId: 'x', managementIp: '10.0.0.1', nics: [] }] } as never;
}

async function mountNode(stackId: string, layer?: string): Promise<string> {
  const dir = nodeDir(PATHS, stackId, 'controller');
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  expect(await nodeRoot(runHost, lower, dir, layer)).toBe('overlay');
  mounts.push(dir);
  return dir;
}

describeIfRoot('baked snapshots of the local provider (real overlayfs)', () => {
  beforeAll(() => {
    fs.rmSync(base, { recursive: true, force: true });
    for (const d of ['etc/keep', 'etc/gone', 'var/lib/app']) fs.mkdirSync(path.join(lower, d), { recursive: true });
    fs.writeFileSync(path.join(lower, 'etc/keep/os.conf'), 'from the OS\n');
    fs.writeFileSync(path.join(lower, 'etc/gone/old.conf'), 'the install removes this directory\n');
    fs.writeFileSync(path.join(lower, 'etc/deleted.conf'), 'the install deletes this file\n');
    fs.writeFileSync(path.join(lower, 'var/lib/app/stale'), 'hidden by an opaque directory\n');
  });
  afterAll(() => {
    for (const m of mounts.reverse()) execFileSync('umount', [m], { stdio: 'ignore' });
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('bakes what the install changed and boots a new node on it', async () => {
    const baking = await mountNode('baking');
    // What an install does: writes, deletes a file and a directory, replaces a directory.
    fs.writeFileSync(path.join(baking, 'etc/keep/service.conf'), 'password = @@PASS_NOVA@@\n', { mode: 0o640 });
    fs.chownSync(path.join(baking, 'etc/keep/service.conf'), 0, 4);
    fs.rmSync(path.join(baking, 'etc/deleted.conf'));
    fs.rmSync(path.join(baking, 'etc/gone'), { recursive: true });
    fs.rmSync(path.join(baking, 'var/lib/app'), { recursive: true });
    fs.mkdirSync(path.join(baking, 'var/lib/app'));
    fs.writeFileSync(path.join(baking, 'var/lib/app/new'), 'the install made this\n');

    const host = localHost({ paths: PATHS, run: runHost, stopGraceMs: 100 });
    const [image] = await bakeLocal(
      host,
      plan('baking'),
      env('baking'),
      [{ role: 'controller', node: 'controller', key: 'k1' }],
      { io: quiet, keep: 2, rootfsRecipe: 'r1' },
    );
    expect(image).toMatchObject({ key: 'k1', role: 'controller', release: 'zed', os: 'debian-12', bakedBy: 'baking' });
    expect(fs.existsSync(path.join(bakedLayer(PATHS.cacheDir, image), 'etc/keep/service.conf'))).toBe(true);

    const booted = await mountNode('booted', bakedLayer(PATHS.cacheDir, image));
    expect(fs.readFileSync(path.join(booted, 'etc/keep/os.conf'), 'utf8')).toBe('from the OS\n');
    const conf = path.join(booted, 'etc/keep/service.conf');
    expect(fs.readFileSync(conf, 'utf8')).toBe('password = @@PASS_NOVA@@\n');
    expect(fs.statSync(conf).mode & 0o777).toBe(0o640);
    expect(fs.statSync(conf).gid).toBe(4);
    expect(fs.existsSync(path.join(booted, 'etc/deleted.conf'))).toBe(false);
    expect(fs.existsSync(path.join(booted, 'etc/gone'))).toBe(false);
    expect(fs.readdirSync(path.join(booted, 'var/lib/app'))).toEqual(['new']);

    // The booted node's writes go to its own upper layer: the snapshot stays as baked.
    fs.writeFileSync(conf, 'password = new\n');
    expect(fs.readFileSync(path.join(bakedLayer(PATHS.cacheDir, image), 'etc/keep/service.conf'), 'utf8')).toBe(
      'password = @@PASS_NOVA@@\n',
    );
    expect(fs.readFileSync(`${nodeDir(PATHS, 'booted', 'controller')}.upper/etc/keep/service.conf`, 'utf8')).toBe(
      'password = new\n',
    );
  });

  it('finds the newest snapshot per role of a key and OS tree, all roles or none, and prunes to keep', () => {
    const root = path.join(PATHS.cacheDir, 'baked');
    const meta = (id: string, key: string, role: string, createdAt: string, recipe = 'r1') => {
      fs.mkdirSync(path.join(root, id, 'layer'), { recursive: true });
      fs.writeFileSync(
        path.join(root, id, 'meta.json'),
        JSON.stringify({
          id,
          key,
          role,
          release: 'zed',
          os: 'debian-12',
          createdAt,
          bakedBy: 's',
          rootfsRecipe: recipe,
          seconds: 1,
          bytes: 1,
        }),
      );
    };
    meta('a-old', 'k2', 'controller', '2026-12-01T01:00:00.000Z');
    meta('a-new', 'k2', 'controller', '2026-12-01T03:00:00.000Z');
    meta('a-mid', 'k2', 'controller', '2026-12-01T02:00:00.000Z');
    meta('c-1', 'k2', 'compute', '2026-12-01T01:30:00.000Z');
    meta('other-tree', 'k2', 'compute', '2026-12-01T05:00:00.000Z', 'r0');
    fs.mkdirSync(path.join(root, 'half-made.building-1', 'layer'), { recursive: true });

    const both = [
      { role: 'controller' as const, node: 'controller', key: 'k2' },
      { role: 'compute' as const, node: 'compute1', key: 'k2' },
    ];
    const found = findLocalBaked(PATHS.cacheDir, both, 'r1');
    expect(found?.controller.id).toBe('a-new');
    expect(found?.compute.id).toBe('c-1');
    expect(findLocalBaked(PATHS.cacheDir, both, 'r0')).toBeUndefined();
    expect(
      findLocalBaked(PATHS.cacheDir, [...both, { role: 'block', node: 'block1', key: 'k2' }], 'r1'),
    ).toBeUndefined();
    expect(listBaked(PATHS.cacheDir).map((m) => m.id)).not.toContain('half-made.building-1');

    const deleted = pruneBaked(PATHS.cacheDir, 2, quiet);
    expect(deleted.map((d) => d.id)).toEqual(['a-old']);
    expect(fs.existsSync(path.join(root, 'a-old'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'a-mid'))).toBe(true);
    // Per key and role, whatever OS tree: the newest compute snapshot is the other tree's.
    expect(
      pruneBaked(PATHS.cacheDir, 1, quiet)
        .map((d) => d.id)
        .sort(),
    ).toEqual(['a-mid', 'c-1']);
  });
});
