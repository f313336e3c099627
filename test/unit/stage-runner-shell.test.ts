// The command lines the SSH layer sends, run here in a real local bash (and read by shellcheck):
// quoting survives any character, the wrapper keeps the exit code and cleans up, the bundle format
// unpacks byte-exact, and no file content ever becomes part of a command line.

import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LineSplitter, LineTail } from '../../src/remote/log-tail';
import { killCommand, pgidFile, wrapCommand, writeFileCommand } from '../../src/remote/remote-shell';
import { packBundle, unpackCommand } from '../../src/remote/stage-upload';
import { AS_ROOT, itIf, needFile } from '../helpers/requires';

/** A wrapped command whose process-group record lives in the test's own directory. */
function unwrapForTest(command: string, dir: string) {
  const id = `t${Math.floor(Math.random() * 1e9)}`;
  return {
    line: wrapCommand('root', id, command, dir),
    kill: killCommand('root', id, dir),
    pgidFile: pgidFile(id, dir),
  };
}

/** Living (not zombie) processes whose argv contains the NUL-joined words. */
function livingWith(argvPart: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => {
      try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(argvPart) && stat.split(') ')[1][0] !== 'Z';
      } catch {
        return false;
      }
    })
    .map(Number);
}

const bash = (line: string, input?: string) => spawnSync('bash', ['-c', line], { input, encoding: 'utf8' });
const itShellcheck = itIf([needFile('/usr/bin/shellcheck', 'shellcheck')], AS_ROOT);

describe('remote command lines', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ooa-remote-shell-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('the wrapper keeps exit code, stdin and output, and removes its process-group record', () => {
    const { line, pgidFile } = unwrapForTest('read -r x; echo "got $x"; echo err >&2; exit 7', dir);
    const r = bash(line, 'hello\n');
    expect([r.status, r.stdout, r.stderr]).toEqual([7, 'got hello\n', 'err\n']);
    expect(fs.existsSync(pgidFile)).toBe(false);
  });

  test('the kill command ends the whole process group of a running wrapped command', async () => {
    const marker = `${4000 + Math.floor(Math.random() * 1000)}.5`;
    const { line, pgidFile, kill: killLine } = unwrapForTest(`sleep ${marker} & sleep ${marker}; wait`, dir);
    // Its own process group, as an SSH session has: the kill must not reach this test's group.
    const child = spawn('bash', ['-c', line], { stdio: 'ignore', detached: true });
    try {
      // The record is written by `echo >`, so wait for a whole line, not just for the file.
      const record = () => (fs.existsSync(pgidFile) ? fs.readFileSync(pgidFile, 'utf8') : '');
      while (!/^\d+\n$/.test(record())) await new Promise((r) => setTimeout(r, 20));
      const pgid = Number(record());
      const ownGroup = Number(fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2]);
      expect(pgid).toBe(child.pid);
      expect(pgid).not.toBe(ownGroup);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      // Run the kill asynchronously: node must keep reaping its child meanwhile, as sshd would.
      const kill = spawn('bash', ['-c', killLine], { stdio: 'ignore' });
      const killStatus = await new Promise<number | null>((r) => kill.once('exit', (c) => r(c)));
      await exited;
      expect(killStatus).toBe(0);
      expect(livingWith(`sleep\0${marker}`)).toEqual([]);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL'); // only if the test failed half-way
      } catch {
        // already gone
      }
    }
  });

  test('writeFileCommand writes stdin atomically with the mode; the content is not in the line', () => {
    const target = path.join(dir, 'sub', 'settings.env');
    const content = "PASS='s3cr3t'\n";
    const line = writeFileCommand(target, 0o600);
    expect(line).not.toContain('s3cr3t');
    expect(bash(line, content).status).toBe(0);
    expect(fs.readFileSync(target, 'utf8')).toBe(content);
    expect(fs.statSync(target).mode & 0o777).toBe(0o600);
    expect(fs.readdirSync(path.dirname(target))).toEqual(['settings.env']);
  });

  test('writeFileCommand leaves an existing folder as it is (a shared /tmp keeps 1777)', () => {
    const shared = path.join(dir, 'shared-tmp');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    expect(bash(writeFileCommand(path.join(shared, 'collect.sh'), 0o700), 'echo hi\n').status).toBe(0);
    expect(fs.statSync(shared).mode & 0o7777).toBe(0o1777);
    expect(fs.statSync(path.join(shared, 'collect.sh')).mode & 0o777).toBe(0o700);
  });

  test('the stage bundle unpacks byte-exact, with executable scripts, and rejects path names', () => {
    const files = [
      { name: 'lib.sh', content: 'x() { echo "ü"; }\n' },
      { name: 'empty.sh', content: '' },
      { name: 'keystone.sh', content: 'no newline at end' },
    ];
    const target = path.join(dir, 'stages');
    expect(bash(unpackCommand(target), packBundle(files)).status).toBe(0);
    for (const f of files) {
      expect(fs.readFileSync(path.join(target, f.name), 'utf8')).toBe(f.content);
      expect(fs.statSync(path.join(target, f.name)).mode & 0o777).toBe(0o755);
    }
    const evil = bash(unpackCommand(target), packBundle([{ name: '../evil.sh', content: 'x' }]));
    expect(evil.status).toBe(2);
    expect(fs.existsSync(path.join(dir, 'evil.sh'))).toBe(false);
  });

  itShellcheck('shellcheck finds nothing in the generated scripts', () => {
    const { line, kill } = unwrapForTest('echo hi', dir);
    const scripts = { wrap: line, kill, write: writeFileCommand('/etc/x y', 0o600), unpack: unpackCommand('/opt/a b') };
    for (const [name, body] of Object.entries(scripts)) {
      const file = path.join(dir, `${name}.sh`);
      fs.writeFileSync(file, `#!/bin/bash\n${body}\n`);
      const out = spawnSync('shellcheck', ['-s', 'bash', file], { encoding: 'utf8' });
      expect({ name, out: out.stdout }).toEqual({ name, out: '' });
    }
    expect(execFileSync('bash', ['-n', path.join(dir, 'wrap.sh')]).toString()).toBe('');
  });
});

describe('output tails and lines', () => {
  test('LineTail keeps the last N lines across chunks cut mid-line', () => {
    const tail = new LineTail(3);
    tail.push('one\ntw');
    tail.push('o\nthree\nfo');
    tail.push('ur');
    expect(tail.toString()).toBe('two\nthree\nfour');
  });

  test('LineSplitter emits whole lines and the rest at the end', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push('a\nb');
    s.push('c\n\nd');
    s.end();
    expect(lines).toEqual(['a', 'bc', '', 'd']);
  });
});
