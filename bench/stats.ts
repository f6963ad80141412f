// Small statistics for the benchmark: medians, percentiles of raw samples, and
// quantiles from the delta of a Prometheus histogram (for the token hook).

export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length))
  return sorted[Math.min(rank, sorted.length) - 1]!
}

export const median = (values: readonly number[]) => percentile(values, 50)

/** `name_bucket{le="0.001"} 12` lines of one histogram (no other labels) → [upper bound, cumulative count]. */
export const histogramBuckets = (metricsText: string, name: string): Array<[number, number]> => {
  const re = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} ([0-9.e+]+)$`)
  const out: Array<[number, number]> = []
  for (const line of metricsText.split("\n")) {
    const m = re.exec(line.trim())
    if (m) out.push([m[1] === "+Inf" ? Infinity : Number(m[1]), Number(m[2])])
  }
  return out.sort((a, b) => a[0] - b[0])
}

export const bucketDelta = (before: Array<[number, number]>, after: Array<[number, number]>): Array<[number, number]> =>
  after.map(([le, n]) => [le, n - (before.find(([b]) => b === le)?.[1] ?? 0)])

/**
 * Quantile of a cumulative histogram, interpolating linearly inside the bucket
 * (what Prometheus' histogram_quantile does). Approximate by construction: the
 * answer is only as fine as the buckets.
 */
export const histogramQuantile = (buckets: Array<[number, number]>, q: number): number => {
  const total = buckets.at(-1)?.[1] ?? 0
  if (total === 0) return NaN
  const target = q * total
  let prevLe = 0
  let prevCount = 0
  for (const [le, count] of buckets) {
    if (count >= target) {
      if (le === Infinity) return prevLe
      const inBucket = count - prevCount
      return inBucket === 0 ? le : prevLe + ((le - prevLe) * (target - prevCount)) / inBucket
    }
    prevLe = le
    prevCount = count
  }
  return prevLe
}
