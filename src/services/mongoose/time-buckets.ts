// Time windows as equality lookups.
//
// FerretDB v1.24 hands only top-level equalities to SQL (served by the GIN
// indexes on PostgreSQL, see services/ferretdb-postgresql); a range such as
// `changedAt >= since` decodes the whole collection in Go. The background jobs
// (the invalidation resync every 15 s, the transfer repair every minute) ask
// for time windows, and that read grew with the data. So each time a job
// queries by is also stored as the number of its bucket, a string, under an
// index: a window is a handful of equality lookups, one per bucket it touches,
// and the exact bounds are applied to those few rows. MongoDB serves both the
// same way.
/** The invalidation resync's stamps (accounts, tokens): it looks back about 20 s. */
export const CHANGE_BUCKET_MS = 60_000
/** Revocations: the resync looks back one JWT lifetime (an hour by default). */
export const REVOCATION_BUCKET_MS = 3_600_000
/** The transfer repair (ledger, spend log, invoice claims): ten minutes each minute, a week at start. */
export const REPAIR_BUCKET_MS = 5 * 60_000

export const bucketOf = (at: Date, sizeMs: number): string => String(Math.floor(at.getTime() / sizeMs))

/** Every bucket that holds a time in [from, to]. */
export const bucketsCovering = (from: Date, to: Date, sizeMs: number): string[] => {
  const out: string[] = []
  for (let b = Math.floor(from.getTime() / sizeMs); b <= Math.floor(to.getTime() / sizeMs); b++) out.push(String(b))
  return out
}

/** The `changedAt` stamp that the invalidation resync reads, with its bucket. */
export const changeStamp = (at: Date) => ({ changedAt: at, changeBucket: bucketOf(at, CHANGE_BUCKET_MS) })

/**
 * The change buckets from `since` on, the next minute included: a replica
 * whose clock runs a little ahead stamps a later bucket.
 */
export const changedSinceWindow = (since: Date) => ({ from: since, to: new Date(Date.now() + CHANGE_BUCKET_MS), sizeMs: CHANGE_BUCKET_MS })

// A week of repair buckets is 2,016 lookups: a few at a time, not all at once.
const CONCURRENCY = 8

/**
 * What `lookup` finds in every bucket of the window, a few buckets at a time.
 * `lookup` asks for one bucket by equality; the caller applies the exact time
 * bounds to what comes back.
 */
export const findInBuckets = async <T>(
  window: { from: Date; to: Date; sizeMs: number },
  lookup: (bucket: string) => Promise<T[]>,
): Promise<T[]> => {
  const buckets = bucketsCovering(window.from, window.to, window.sizeMs)
  const out: T[] = []
  for (let i = 0; i < buckets.length; i += CONCURRENCY) {
    for (const page of await Promise.all(buckets.slice(i, i + CONCURRENCY).map(lookup))) out.push(...page)
  }
  return out
}
