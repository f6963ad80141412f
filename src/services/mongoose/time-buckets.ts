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
/** The transfer repair (ledger, spend log, invoice claims): ten minutes each minute; at start from its watermark, at most a week. */
export const REPAIR_BUCKET_MS = 5 * 60_000

export const bucketOf = (at: Date, sizeMs: number): string => String(Math.floor(at.getTime() / sizeMs))

/** Every bucket that holds a time in [from, to]. */
export const bucketsCovering = (from: Date, to: Date, sizeMs: number): string[] => {
  const out: string[] = []
  for (let b = Math.floor(from.getTime() / sizeMs); b <= Math.floor(to.getTime() / sizeMs); b++) out.push(String(b))
  return out
}

/** The cleanup job's due times (expiry, a rotation's grace, a secret's age): it looks back two days each minute. */
export const DUE_BUCKET_MS = 24 * 3_600_000
const DUE_LOOKBACK_MS = 2 * DUE_BUCKET_MS

/** The day bucket of a due time, or nothing when there is none (the field stays unset). */
export const dueBucketOf = (at: Date | undefined) => (at ? bucketOf(at, DUE_BUCKET_MS) : undefined)

/**
 * The sweeps of a job that looks for what became due, for one owner (a
 * repository, built once per process with the deps its jobs run on): the
 * first run of each sweep reads everything (`full`: what an earlier process
 * left undone, records written before their buckets existed); each later run
 * reads the day buckets of the last two days up to `dueBy` (`recent`). A
 * record that failed in a bucket older than that is retried at the next start.
 */
export const createDueSweeps = () => {
  const swept = new Set<string>()
  return async <T>(name: string, dueBy: Date, full: () => Promise<T[]>, recent: (bucket: string) => Promise<T[]>): Promise<T[]> => {
    if (!swept.has(name)) {
      const all = await full()
      swept.add(name)
      return all
    }
    return findInBuckets({ from: new Date(dueBy.getTime() - DUE_LOOKBACK_MS), to: dueBy, sizeMs: DUE_BUCKET_MS }, recent, full)
  }
}

/** The `changedAt` stamp that the invalidation resync reads, with its bucket. */
export const changeStamp = (at: Date) => ({ changedAt: at, changeBucket: bucketOf(at, CHANGE_BUCKET_MS) })

/**
 * The change buckets from `since` on, the next minute included: a replica
 * whose clock runs a little ahead stamps a later bucket.
 */
export const changedSinceWindow = (since: Date) => ({ from: since, to: new Date(Date.now() + CHANGE_BUCKET_MS), sizeMs: CHANGE_BUCKET_MS })

// A week of repair buckets (a start without a repair watermark) is 2,016 lookups: a few at a time, not all at once.
const CONCURRENCY = 8

// Past this many buckets a window is read as one range instead (a resync
// after days of failure, an operator's wide window): a scan, but one.
const MAX_BUCKETS = 4096

/**
 * What `lookup` finds in every bucket of the window, a few buckets at a time.
 * `lookup` asks for one bucket by equality; the caller applies the exact time
 * bounds to what comes back. A window of more than MAX_BUCKETS buckets is
 * answered by `range`, the same question as one range query.
 */
export const findInBuckets = async <T>(
  window: { from: Date; to: Date; sizeMs: number },
  lookup: (bucket: string) => Promise<T[]>,
  range: () => Promise<T[]>,
): Promise<T[]> => {
  const first = Math.floor(window.from.getTime() / window.sizeMs)
  const last = Math.floor(window.to.getTime() / window.sizeMs)
  if (last - first + 1 > MAX_BUCKETS) return range()
  const buckets = bucketsCovering(window.from, window.to, window.sizeMs)
  const out: T[] = []
  for (let i = 0; i < buckets.length; i += CONCURRENCY) {
    for (const page of await Promise.all(buckets.slice(i, i + CONCURRENCY).map(lookup))) out.push(...page)
  }
  return out
}
