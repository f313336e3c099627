// Reads the counts of a JUnit document (Tempest's, from subunit2junitxml) without a full XML parser:
// the attributes of its <testsuite> elements are all that is needed.

interface JunitCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export function junitCounts(xml: string): JunitCounts {
  const counts: JunitCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  for (const suite of testsuiteElements(xml)) {
    const attrs = /<testsuite\b([^>]*?)\/?>/.exec(suite)?.[1] ?? '';
    for (const key of Object.keys(counts) as Array<keyof JunitCounts>) {
      const v = new RegExp(`\\b${key}="(\\d+)"`).exec(attrs);
      if (v) counts[key] += Number(v[1]);
      // subunit2junitxml (Tempest's) writes no skipped count: its <skipped> elements are the count.
      else if (key === 'skipped') counts.skipped += (suite.match(/<skip(ped)?\b/g) ?? []).length;
    }
  }
  return counts;
}

/** The <testsuite> elements of a document, whatever its root, for merging into another report. */
export function testsuiteElements(xml: string): string[] {
  return [...xml.matchAll(/<testsuite\b[^>]*?(?:\/>|>[\s\S]*?<\/testsuite>)/g)].map((m) => m[0]);
}
