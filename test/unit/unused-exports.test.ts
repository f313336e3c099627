// The lint step's check for exports nothing imports (scripts/unused-exports.js), run on a small
// project it has never seen: an unused export fails it and is named; imports, type-only imports,
// re-exports and names read by a JavaScript script all count as uses.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const SCRIPT = path.join(__dirname, '../../scripts/unused-exports.js');

function project(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-unused-'));
  const all: Record<string, string> = {
    'tsconfig.json': JSON.stringify({
      compilerOptions: { strict: true, module: 'commonjs' },
      include: ['src/**/*.ts'],
    }),
    ...files,
  };
  for (const [name, text] of Object.entries(all)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function check(dir: string) {
  const r = spawnSync(process.execPath, [SCRIPT, dir], { encoding: 'utf8' });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('unused-exports', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  it('fails on an export nothing imports, naming file, line and name, and passes what is used', () => {
    const dir = project({
      'src/a.ts':
        'export const used = 1;\nexport type Shape = { n: number };\nexport function dead(): number {\n  return used;\n}\n',
      'src/b.ts':
        "import { used } from './a';\nimport type { Shape } from './a';\nexport const s: Shape = { n: used };\n",
      'src/c.ts': "import { s } from './b';\nconsole.log(s);\n",
    });
    dirs.push(dir);
    const r = check(dir);
    expect(r.code).toBe(1);
    expect(r.out).toContain('1 export(s) that nothing imports');
    expect(r.out).toContain(`src${path.sep}a.ts:3: dead`);
    expect(r.out).not.toMatch(/: (used|Shape|s)$/m);
  });

  it('counts re-exports and names a JavaScript script reads, and passes when nothing is unused', () => {
    const dir = project({
      'src/impl.ts': 'export const viaIndex = 1;\nexport const viaStar = 2;\nexport const forScript = 3;\n',
      'src/index.ts': "export { viaIndex } from './impl';\nexport * from './impl';\n",
      'src/use.ts': "import { viaIndex, viaStar } from './index';\nconsole.log(viaIndex, viaStar);\n",
      'scripts/tool.js': "const m = require('../build/impl');\nconsole.log(m.forScript);\n",
    });
    dirs.push(dir);
    const r = check(dir);
    expect(r.out).toContain('unused exports: none');
    expect(r.code).toBe(0);
  });
});
