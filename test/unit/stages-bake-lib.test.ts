// lib-bake.sh's placeholders under real bash and perl: every per-stack value of a file becomes its
// @@NAME@@ and comes back as the next stack's value; addresses and NIC names only as whole words,
// MACs whatever their case; owner, mode and inode of the file stay; values never pass on argv.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const STAGES = path.join(__dirname, '../../src/stages');
let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-bake-lib-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Sources lib.sh and lib-bake.sh with `vars` as the settings, then runs `snippet`. */
function bake(vars: Record<string, string>, snippet: string) {
  const settings = path.join(dir, 'settings.env');
  fs.writeFileSync(
    settings,
    Object.entries({ NODE_NAME: 'controller', OS_FAMILY: 'debian', OS_ID: 'debian-12', ...vars })
      .map(([k, v]) => `${k}='${v}'\n`)
      .join(''),
  );
  const script = `set -euo pipefail; . ${STAGES}/lib.sh; . ${STAGES}/lib-bake.sh; load_settings; ${snippet}`;
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, OOA_SETTINGS: settings, OOA_NICS: path.join(dir, 'nics.env'), OOA_ETC: dir },
  });
  if (r.status !== 0) throw new Error(`bash failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

const OLD = {
  PASS_NOVA: 'OldNovaPassword0123456789',
  PASS_RABBITMQ: 'OldRabbitPassword01234567',
  PUBLIC_ADDRESS: '203.0.113.5',
  MAC_PROVIDER: '0e:aa:bb:cc:dd:01',
  NIC_PROVIDER: 'eth1',
  STACK_ID: 'pr-42',
};
const NEW = {
  PASS_NOVA: 'NewNovaPassword9876543210',
  PASS_RABBITMQ: 'NewRabbitPassword98765432',
  PUBLIC_ADDRESS: '198.51.100.77',
  MAC_PROVIDER: '0e:11:22:33:44:55',
  NIC_PROVIDER: 'ens6',
  STACK_ID: 'pr-43',
};

const CONF = [
  '[DEFAULT]',
  'transport_url = rabbit://openstack:OldRabbitPassword01234567@controller:5672/',
  'novncproxy_base_url = https://203.0.113.5:13080/vnc_auto.html',
  'other_address = 203.0.113.50',
  'also_not = 1203.0.113.5',
  'physical_interface_mappings = provider:eth1',
  'bridge_mappings = veth1:br-eth10',
  'mac = 0E:AA:BB:CC:DD:01',
  '[keystone_authtoken]',
  'password = OldNovaPassword0123456789',
  '# stack pr-42',
  '',
].join('\n');

describe('lib-bake.sh placeholders', () => {
  it('replace every value by its name, whole words for addresses and NICs, and back with the new stack', () => {
    const f = path.join(dir, 'nova.conf');
    fs.writeFileSync(f, CONF, { mode: 0o640 });
    const inode = fs.statSync(f).ino;
    bake(OLD, `v="$(bake_values_file)"; bake_replace ${f} "$v" to-placeholders; rm -f "$v"`);
    const baked = fs.readFileSync(f, 'utf8');
    expect(baked).toBe(
      [
        '[DEFAULT]',
        'transport_url = rabbit://openstack:@@PASS_RABBITMQ@@@controller:5672/',
        'novncproxy_base_url = https://@@PUBLIC_ADDRESS@@:13080/vnc_auto.html',
        'other_address = 203.0.113.50',
        'also_not = 1203.0.113.5',
        'physical_interface_mappings = provider:@@NIC_PROVIDER@@',
        'bridge_mappings = veth1:br-eth10',
        'mac = @@MAC_PROVIDER@@',
        '[keystone_authtoken]',
        'password = @@PASS_NOVA@@',
        '# stack @@STACK_ID@@',
        '',
      ].join('\n'),
    );
    expect(fs.statSync(f).ino).toBe(inode);
    expect(fs.statSync(f).mode & 0o777).toBe(0o640);

    bake(NEW, `v="$(bake_values_file)"; bake_replace ${f} "$v" from-placeholders; rm -f "$v"`);
    const rekeyed = fs.readFileSync(f, 'utf8');
    expect(rekeyed).toContain('rabbit://openstack:NewRabbitPassword98765432@controller');
    expect(rekeyed).toContain('https://198.51.100.77:13080/');
    expect(rekeyed).toContain('provider:ens6');
    expect(rekeyed).toContain('mac = 0e:11:22:33:44:55');
    expect(rekeyed).toContain('password = NewNovaPassword9876543210');
    expect(rekeyed).toContain('other_address = 203.0.113.50');
    for (const v of [OLD.PASS_NOVA, OLD.PASS_RABBITMQ, OLD.MAC_PROVIDER, 'https://203.0.113.5:', 'pr-42'])
      expect(rekeyed).not.toContain(v);
  });

  it('makes the values file with unset names left out, under a stage ERR trap (stdout is the path alone)', () => {
    // A compute node has no public NIC: NIC_PUBLIC and MAC_PUBLIC are empty. Stages run with set -E
    // and an ERR trap that prints: any failing command in there would end up in the path.
    const out = bake(
      { PASS_NOVA: OLD.PASS_NOVA, MAC_PROVIDER: OLD.MAC_PROVIDER },
      `set -E; trap 'echo TRAPPED' ERR; v="$(bake_values_file)"; printf '%s\\n' "$v"; cut -f1 "$v" | sort | tr '\\n' ' '; rm -f "$v"`,
    );
    const [pathLine, names] = out.trim().split('\n');
    expect(pathLine).toMatch(/^\/tmp\/ooa-bake-values-\w+$/);
    expect(names.trim()).toBe('MAC_PROVIDER PASS_NOVA');
  });

  it('lists the files holding a value (text only) and writes the values file 0600, longest first', () => {
    fs.mkdirSync(path.join(dir, 'etc'));
    fs.writeFileSync(path.join(dir, 'etc/a.conf'), 'x = OldNovaPassword0123456789\n');
    fs.writeFileSync(path.join(dir, 'etc/b.conf'), 'nothing here\n');
    fs.writeFileSync(path.join(dir, 'etc/c.bin'), Buffer.from([0, 1, 2, ...Buffer.from('OldNovaPassword0123456789')]));
    const out = bake(
      OLD,
      `v="$(bake_values_file)"; stat -c %a "$v"; cut -f1 "$v" | head -2; bake_files_holding "$v" ${dir}/etc; rm -f "$v"`,
    );
    const [mode, first, second, ...files] = out.trim().split('\n');
    expect(mode).toBe('600');
    expect([first, second].sort()).toEqual(['PASS_NOVA', 'PASS_RABBITMQ']);
    expect(files).toEqual([path.join(dir, 'etc/a.conf')]);
  });
});
