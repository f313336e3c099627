// Every generated secret is masked before generateStackSecrets returns it: each password, the
// private key as a whole and each line of it (the Actions log masks line by line); and one masker
// (src/core/mask.ts) masks every text that leaves, a remote command's error tail included.

import { RemoteCommandError } from '../../src/core/errors';
import { terminalIo } from '../../src/core/io';
import { knownSecrets, maskCounting, maskSecrets } from '../../src/core/mask';
import { PASSWORD_NAMES, generateStackSecrets } from '../../src/core/secrets';
import { maskSecrets as smokeMask } from '../../src/smoke/shell';

describe('generateStackSecrets masking', () => {
  test('masks every password and the private key (whole and per line) through the given function', () => {
    const masked: string[] = [];
    const secrets = generateStackSecrets('masktest', (s) => masked.push(s));
    expect(Object.keys(secrets.passwords).sort()).toEqual([...PASSWORD_NAMES].sort());
    for (const name of PASSWORD_NAMES) {
      expect(secrets.passwords[name]).toMatch(/^[A-Za-z0-9]{24}$/);
      expect(masked).toContain(secrets.passwords[name]);
    }
    expect(new Set(Object.values(secrets.passwords)).size).toBe(PASSWORD_NAMES.length);
    expect(masked).toContain(secrets.sshKey.privateKey);
    const bodyLines = secrets.sshKey.privateKey.split('\n').filter((l) => l && !l.startsWith('-----'));
    expect(bodyLines.length).toBeGreaterThan(0);
    for (const line of bodyLines.filter((l) => l.length > 20)) expect(masked).toContain(line);
    // The public key is not secret and is not masked (it goes into the instances' user data).
    expect(masked).not.toContain(secrets.sshKey.publicKey);
  });

  test('after masking through an Io, printing any secret shows only ***', () => {
    const printed: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    try {
      const io = terminalIo({}, '/nonexistent/state.json');
      const secrets = generateStackSecrets('masktest2', (s) => io.setSecret(s));
      for (const p of Object.values(secrets.passwords)) io.info(`password is ${p}`);
      io.info(secrets.sshKey.privateKey);
      for (const line of secrets.sshKey.privateKey.split('\n')) io.info(line);
      const all = printed.join('');
      for (const p of Object.values(secrets.passwords)) expect(all).not.toContain(p);
      for (const line of secrets.sshKey.privateKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
        expect(all).not.toContain(line);
      }
      expect(all).toContain('password is ***');
    } finally {
      spy.mockRestore();
    }
  });
});

describe('one masker for everything', () => {
  test("a remote command's error tail is masked with every secret the process knows", () => {
    const secrets = generateStackSecrets('masktest3', () => undefined);
    const admin = secrets.passwords.admin;
    const keyLine = secrets.sshKey.privateKey.split('\n')[1];
    const err = new RemoteCommandError('controller', 'keystone', 1, `bootstrap --pass ${admin}\n${keyLine}\nfailed`);
    for (const text of [err.tail, err.message]) {
      expect(text).not.toContain(admin);
      expect(text).not.toContain(keyLine);
      expect(text).toContain('bootstrap --pass ***');
    }
    expect(err.tail).toBe('bootstrap --pass ***\n***\nfailed');
  });

  test('a value given to an Io as a secret (the GitHub token) is known to the masker too', () => {
    const io = terminalIo({});
    io.setSecret('ghs_0123456789abcdefTOKEN');
    expect(knownSecrets()).toContain('ghs_0123456789abcdefTOKEN');
    expect(new RemoteCommandError('n', 's', 2, 'auth ghs_0123456789abcdefTOKEN denied').tail).toBe('auth *** denied');
  });

  test('longest first, and values too short to mask are left alone', () => {
    expect(maskSecrets('abcdefgh abcd ab', ['abcd', 'abcdefgh', 'ab'])).toBe('*** *** ab');
    expect(maskCounting('x1234x1234', ['1234'])).toEqual({ text: 'x***x***', replacements: 2 });
  });

  test('the smoke checks and the reports use this same function', () => {
    expect(smokeMask).toBe(maskSecrets);
  });
});
