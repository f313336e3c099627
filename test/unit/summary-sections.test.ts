// Summary sections: a section written again replaces the one before, in place; anything new is
// appended; text outside sections is kept as it came.

import { mergeSummary, section } from '../../src/core/summary-sections';

describe('mergeSummary', () => {
  const main =
    '## Plan\n\nnodes...\n\n' +
    section('head', '## stack s1\n\n| a | b |\n| --- | --- |\n| 1 | 2 |') +
    section('timeline', '### Timeline\n\nmain only') +
    section('teardown', '### Teardown\n\nNot run yet');

  it('replaces sections in place and appends the new ones', () => {
    const merged = mergeSummary(
      main,
      section('teardown', '### Teardown\n\n✅ deleted 3') +
        section('timeline', '### Timeline\n\nwith teardown') +
        section('cost', '### Estimated cost'),
    );
    expect(merged.replace(/<!-- openstack-on-aws:section [a-z-]+ -->\n/g, '')).toBe(
      '## Plan\n\nnodes...\n\n## stack s1\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n' +
        '### Timeline\n\nwith teardown\n\n### Teardown\n\n✅ deleted 3\n\n### Estimated cost\n\n',
    );
    expect(merged.match(/### Teardown/g)).toHaveLength(1);
    // Merging again with the same update changes nothing.
    expect(mergeSummary(merged, section('teardown', '### Teardown\n\n✅ deleted 3'))).toBe(merged);
  });

  it('appends text without sections, and starts from nothing', () => {
    expect(mergeSummary('', 'plain\n')).toBe('plain\n\n');
    expect(mergeSummary('plain\n\n', 'more')).toBe('plain\n\nmore\n\n');
    expect(mergeSummary('', section('a', 'x'))).toBe('<!-- openstack-on-aws:section a -->\nx\n\n');
  });

  it('refuses a section name the marker could not carry', () => {
    expect(() => section('Tear down', 'x')).toThrow(/bad summary section name 'Tear down'/);
  });
});
