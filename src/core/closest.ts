// "Did you mean …?": the known word closest to a mistyped one, for the CLI's unknown flags and
// commands. Edit distance (insert, delete, substitute, swap two neighbours), small inputs only.

/** Optimal string alignment distance between a and b. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate nearest to word, or undefined when none is near enough to be a typo (at most a
 * third of the word's letters wrong, at least 1) and no candidate starts with it.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const dist = editDistance(w, c);
    if (!best || dist < best.d) best = { c, d: dist };
  }
  if (best && best.d <= Math.max(1, Math.floor(w.length / 3))) return best.c;
  const prefixed = candidates.filter((c) => w.length >= 3 && c.startsWith(w));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}
