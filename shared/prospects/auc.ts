/**
 * Area under the ROC curve of a score against a yes/no outcome: the probability that a random
 * positive scores above a random negative, ties counting half (the Mann-Whitney U statistic divided
 * by positives x negatives). Computed from ranks with average ranks for ties, O(n log n).
 * Null when there is no positive or no negative.
 */
export function auc(items: readonly { readonly score: number; readonly positive: boolean }[]): number | null {
  const positives = items.filter((item) => item.positive).length
  const negatives = items.length - positives
  if (positives === 0 || negatives === 0) return null
  const sorted = [...items].sort((a, b) => a.score - b.score)
  let rankSum = 0
  for (let i = 0; i < sorted.length; ) {
    let j = i
    while (j + 1 < sorted.length && sorted[j + 1]?.score === sorted[i]?.score) j++
    // Ranks i+1 .. j+1 share their average.
    const rank = (i + j + 2) / 2
    for (let k = i; k <= j; k++) if (sorted[k]?.positive) rankSum += rank
    i = j + 1
  }
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}
