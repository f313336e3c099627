// Releases: .github/workflows/release.yml's own step scripts run for real against a temp git
// repository with a bare "origin" (the tag's version, the check that the tag is on main, moving the
// major tag), scripts/release.js's decisions and notes, CHANGELOG.md's shape, the README's `@vN`
// being what a release makes, and the Marketplace branding. Only `gh release` (GitHub's API) and the
// build step are not run here: the build is what .ci/run checks on every commit.
import { execFileSync, spawnSync, SpawnSyncReturns } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { actionSteps, actionYml, isMap, loadYaml, ROOT, workflowFiles, YamlMap } from '../helpers/workflow-yaml';

const RELEASE_YML = path.join(ROOT, '.github', 'workflows', 'release.yml');
const release = () => loadYaml(fs.readFileSync(RELEASE_YML, 'utf8'), 'release.yml') as YamlMap;
const job = () => (release().jobs as Record<string, YamlMap>).release;
const steps = () => job().steps as YamlMap[];
const step = (name: string) => {
  const s = steps().find((x) => x.name === name);
  if (!s) throw new Error(`release.yml has no step named '${name}'`);
  return s;
};
const CHANGELOG = fs.readFileSync(path.join(ROOT, 'CHANGELOG.md'), 'utf8');

function releaseJs(args: string[], cwd = ROOT): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'release.js'), ...args], { cwd, encoding: 'utf8' });
}

describe('release.yml', () => {
  it('runs on a pushed tag vX.Y.Z only, with write access to contents in its one job alone', () => {
    const w = release();
    expect(w.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
    expect(w.permissions).toEqual({});
    expect(Object.keys(w.jobs as YamlMap)).toEqual(['release']);
    expect(job().permissions).toEqual({ contents: 'write' });
  });

  it('checks before it publishes, and publishes before it moves the major tag', () => {
    const names = steps().map((s) => (s.name as string | undefined) ?? (s.uses as string | undefined) ?? s.run);
    expect(names).toEqual([
      'actions/checkout@v4',
      'actions/setup-node@v4',
      'Version from the tag',
      'The tag is on main',
      'npm ci --no-audit --no-fund',
      'dist/ is what npm run build makes from src/',
      'Release notes from CHANGELOG.md',
      'Publish the release',
      'Move the major tag',
    ]);
    expect((steps()[0].with as YamlMap)['fetch-depth']).toBe(0);
    expect(step('dist/ is what npm run build makes from src/').run).toMatch(
      /npm run -s build[\s\S]*git status --porcelain -- dist/,
    );
    expect(step('Release notes from CHANGELOG.md').run).toContain('> "$RUNNER_TEMP/notes.md"');
    expect(step('Publish the release').run).toContain('--notes-file "$RUNNER_TEMP/notes.md"');
    expect(step('Move the major tag').if).toBe("steps.version.outputs.move == 'true'");
  });

  describe('its step scripts, run in a clone with a bare origin', () => {
    let dir: string;
    let clone: string;
    let origin: string;
    const git = (args: string[], cwd = clone) => execFileSync('git', args, { cwd, encoding: 'utf8' }).trim();
    const commit = (message: string) => {
      fs.writeFileSync(path.join(clone, 'file.txt'), `${message}\n`);
      git(['add', '-A']);
      git(['commit', '-q', '-m', message]);
      return git(['rev-parse', 'HEAD']);
    };
    /** Runs a step's run: script as the runner would (bash -e, its env:, GITHUB_OUTPUT). */
    const runStep = (name: string, env: Record<string, string>) => {
      const output = path.join(dir, `output-${Math.random().toString(36).slice(2)}`);
      fs.writeFileSync(output, '');
      const r = spawnSync('bash', ['-e', '-c', step(name).run as string], {
        cwd: clone,
        encoding: 'utf8',
        env: { ...process.env, ...env, GITHUB_OUTPUT: output, RUNNER_TEMP: dir },
      });
      return { ...r, output: fs.readFileSync(output, 'utf8') };
    };

    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-release-'));
      origin = path.join(dir, 'origin.git');
      clone = path.join(dir, 'clone');
      execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
      execFileSync('git', ['clone', '-q', origin, clone], { stdio: 'ignore' });
      git(['config', 'user.email', 'test@example.invalid']);
      git(['config', 'user.name', 'test']);
      fs.mkdirSync(path.join(clone, 'scripts'));
      fs.copyFileSync(path.join(ROOT, 'scripts', 'release.js'), path.join(clone, 'scripts', 'release.js'));
      fs.writeFileSync(
        path.join(clone, 'CHANGELOG.md'),
        '# Changelog\n\n## [1.3.1] - 2026-12-01\n\n### Fixed\n\n- one\n\n## [1.3.0] - 2026-11-30\n\n### Added\n\n- two\n',
      );
      commit('first');
      git(['tag', 'v1.2.0']);
      commit('second');
      git(['tag', 'v1.3.0']);
      git(['push', '-q', 'origin', 'main', '--tags']);
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('Version from the tag: version and major for the next steps; move only for the highest of its major', () => {
      const head = commit('third');
      git(['tag', 'v1.3.1', head]);
      expect(runStep('Version from the tag', { TAG: 'v1.3.1' }).output).toBe('version=1.3.1\nmajor=v1\nmove=true\n');
      git(['tag', 'v1.2.4', head]);
      expect(runStep('Version from the tag', { TAG: 'v1.2.4' }).output).toBe('version=1.2.4\nmajor=v1\nmove=false\n');
    });

    it('The tag is on main: passes for a commit of main, stops for one off it', () => {
      git(['push', '-q', 'origin', 'main']);
      git(['fetch', '-q', 'origin']);
      expect(runStep('The tag is on main', { TAG: 'v1.3.1' }).status).toBe(0);
      git(['checkout', '-q', '-b', 'side']);
      git(['tag', 'v9.0.0', commit('off main')]);
      const r = runStep('The tag is on main', { TAG: 'v9.0.0' });
      expect(r.status).toBe(1);
      expect(r.stdout).toContain('::error::v9.0.0 is not on main');
      git(['checkout', '-q', 'main']);
    });

    it('Release notes: the tag version section of CHANGELOG.md, nothing of the next one', () => {
      const r = runStep('Release notes from CHANGELOG.md', { VERSION: '1.3.1' });
      expect(r.status).toBe(0);
      expect(fs.readFileSync(path.join(dir, 'notes.md'), 'utf8')).toBe('### Fixed\n\n- one\n');
    });

    it('Move the major tag: origin gets v1 at the tag, and a later release moves it on', () => {
      const originTag = () => git(['rev-parse', 'refs/tags/v1^{commit}'], origin);
      expect(runStep('Move the major tag', { TAG: 'v1.3.0', MAJOR: 'v1' }).status).toBe(0);
      expect(originTag()).toBe(git(['rev-parse', 'v1.3.0^{commit}']));
      expect(runStep('Move the major tag', { TAG: 'v1.3.1', MAJOR: 'v1' }).status).toBe(0);
      expect(originTag()).toBe(git(['rev-parse', 'v1.3.1^{commit}']));
    });
  });
});

describe('scripts/release.js', () => {
  it.each(['v1.2', '1.2.3', 'v01.2.3', 'v1.2.3-rc.1', 'release'])('refuses the tag %s, naming the form', (tag) => {
    const r = releaseJs(['version', tag]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`release: the tag '${tag}' is not vMAJOR.MINOR.PATCH (e.g. v1.2.3): nothing released\n`);
  });

  it('a version without its section says how to make one', () => {
    const r = releaseJs(['notes', '99.0.0']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('CHANGELOG.md has no section "## [99.0.0] - YYYY-MM-DD": rename "## [Unreleased]"');
  });

  it('an empty section is refused', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-notes-')), 'CHANGELOG.md');
    fs.writeFileSync(file, '# Changelog\n\n## [2.0.0] - 2026-12-01\n\n## [1.0.0] - 2026-11-01\n\n- x\n');
    const r = releaseJs(['notes', '2.0.0', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('section for 2.0.0 is empty');
    fs.rmSync(path.dirname(file), { recursive: true });
  });

  it("the real CHANGELOG.md's Unreleased section is what the next release's notes will be", () => {
    const r = releaseJs(['notes', 'Unreleased']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('### Added');
    expect(r.stdout).not.toContain('[Unreleased]:');
  });
});

describe('CHANGELOG.md', () => {
  const headings = CHANGELOG.split('\n').filter((l) => l.startsWith('## '));

  it('is Keep a Changelog: Unreleased first, then X.Y.Z - date, newest first, each with a link', () => {
    expect(CHANGELOG.startsWith('# Changelog\n')).toBe(true);
    expect(headings[0]).toBe('## [Unreleased]');
    const versions = headings.slice(1).map((h) => /^## \[(\d+)\.(\d+)\.(\d+)\] - \d{4}-\d{2}-\d{2}$/.exec(h));
    expect(versions.every(Boolean)).toBe(true);
    const numbers = versions.map((m) => m!.slice(1, 4).map(Number));
    for (let i = 1; i < numbers.length; i++) {
      const [a, b] = [numbers[i - 1], numbers[i]];
      expect(a[0] * 1e6 + a[1] * 1e3 + a[2]).toBeGreaterThan(b[0] * 1e6 + b[1] * 1e3 + b[2]);
    }
    for (const h of headings) {
      const name = /^## \[([^\]]+)\]/.exec(h)![1];
      expect(CHANGELOG).toMatch(new RegExp(`^\\[${name.replace(/\./g, '\\.')}\\]: https://`, 'm'));
    }
  });

  it('uses only the kinds of change Keep a Changelog names', () => {
    const kinds = CHANGELOG.split('\n').filter((l) => l.startsWith('### '));
    expect(kinds.length).toBeGreaterThan(0);
    for (const k of kinds)
      expect(['### Added', '### Changed', '### Deprecated', '### Removed', '### Fixed', '### Security']).toContain(k);
  });
});

describe('the published name', () => {
  /** The major a user gets: the newest released version's, or 1 before the first release (v1.0.0). */
  const major = () => {
    const newest = /^## \[(\d+)\.\d+\.\d+\]/m.exec(CHANGELOG);
    return newest ? Number(newest[1]) : 1;
  };

  it("the README and the templates use @v<major>, which release.yml's major tag is", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const inReadme = [...readme.matchAll(/openstack-on-aws\/openstack-on-aws@([^\s`'")]+)/g)].map((m) => m[1]);
    const inTemplates = workflowFiles().flatMap((f) =>
      actionSteps(loadYaml(fs.readFileSync(f, 'utf8'))).map((s) => s.uses.split('@')[1]),
    );
    expect(inReadme.length).toBeGreaterThanOrEqual(5);
    expect(new Set([...inReadme, ...inTemplates])).toEqual(new Set([`v${major()}`]));
  });

  it('has Marketplace branding: an icon and one of the colors GitHub accepts', () => {
    const branding = actionYml().branding;
    expect(isMap(branding)).toBe(true);
    const { icon, color } = branding as { icon: unknown; color: unknown };
    expect(typeof icon === 'string' && /^[a-z0-9-]+$/.test(icon)).toBe(true);
    expect(['white', 'black', 'yellow', 'blue', 'green', 'orange', 'red', 'purple', 'gray-dark']).toContain(color);
  });
});
