// Summary statistics shared by the benches (scripts/bench.js, bench/terminal.js, bench/pidmap.js). Numbers
// only, never rounded here: each caller formats its own figures.
'use strict';

/** A sorted copy, ascending; the samples are left as they are. */
function sortedCopy(samples) {
  return [...samples].sort((a, b) => a - b);
}

/** Median of samples sorted ascending; with an even count, the mean of the two middle samples. */
function medianOfSorted(s) {
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Nearest-rank percentile of samples sorted ascending, `q` a fraction in (0, 1]: the smallest sample with at
 * least q of all samples at or below it (never interpolated; p95 of 20 samples is the 19th).
 */
function nearestRankOfSorted(s, q) {
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
}

/** { median, min, max, n } of the samples. */
function stats(samples) {
  const s = sortedCopy(samples);
  return { median: medianOfSorted(s), min: s[0], max: s[s.length - 1], n: s.length };
}

/** { median, p95, min, max, n }: stats() plus the nearest-rank 95th percentile. */
function statsWithP95(samples) {
  const s = sortedCopy(samples);
  return { median: medianOfSorted(s), p95: nearestRankOfSorted(s, 0.95), min: s[0], max: s[s.length - 1], n: s.length };
}

module.exports = { stats, statsWithP95, medianOfSorted, nearestRankOfSorted };
