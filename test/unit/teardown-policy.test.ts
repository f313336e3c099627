import { decideTeardown, UpOutcome } from '../../src/pipeline/teardown-policy';

describe('when the post step tears down', () => {
  const outcomes: Array<UpOutcome | ''> = [
    '',
    'provisioning',
    'provisioning-failed',
    'provisioned',
    'failed',
    'succeeded',
  ];

  it("never deletes with 'never' and always deletes with 'always'", () => {
    for (const o of outcomes) {
      expect(decideTeardown('never', o).teardown).toBe(false);
      expect(decideTeardown('always', o).teardown).toBe(true);
    }
  });

  it('tears down nothing, under every policy, after a preflight refusal (nothing was created)', () => {
    for (const policy of ['always', 'on-success', 'never'] as const) {
      const d = decideTeardown(policy, 'refused');
      expect(d).toMatchObject({ teardown: false, nothingCreated: true });
      expect(d.why).toMatch(/before it created anything/);
    }
    for (const o of outcomes) expect(decideTeardown('always', o).nothingCreated).toBeUndefined();
  });

  it("with 'on-success' keeps only a stack whose later phases failed", () => {
    const kept = outcomes.filter((o) => !decideTeardown('on-success', o).teardown);
    expect(kept).toEqual(['failed']);
    expect(decideTeardown('on-success', 'provisioning-failed').why).toMatch(/half-way/);
    expect(decideTeardown('on-success', '').why).toMatch(/cancelled or crashed/);
  });
});
