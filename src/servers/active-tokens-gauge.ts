// flashapi_api_tokens_active: API tokens ACTIVE and unexpired, without a count
// on every replica. A count reads every active token (FerretDB counts by
// decoding each matching document), so it runs once per period across the
// cluster, under a job lease ("count-active-tokens", every
// API_TOKEN_ACTIVE_COUNT_INTERVAL_SECONDS), and is written to the store as a
// snapshot. Every replica reads the snapshot back by `_id` (a constant-cost
// lookup) four times a period, and adds the creates and revocations it made
// itself since the count began, so its own changes show at once. Changes made
// on other replicas, and expiries, show at the next count.
import type { Logger } from "@/services/logger"
import { metrics } from "@/services/metrics"
import type { ApiTokensRepositoryType } from "@/services/mongoose/api-tokens"
import type { GaugeSnapshot, GaugeSnapshotsRepositoryType } from "@/services/mongoose/gauge-snapshots"
import type { JobLeasesRepository } from "@/services/mongoose/job-leases"
import { scheduleLeasedJob } from "./leased-jobs"

export const ACTIVE_TOKENS_SNAPSHOT = "api_tokens_active"
const SNAPSHOT_READ_MIN_MS = 1000
const SNAPSHOT_READ_MAX_MS = 15_000

export type ActiveTokensGauge = {
  /** A change this process made: +1 for a token made ACTIVE, -1 for an ACTIVE one revoked. */
  changed: (delta: number) => void
  start: () => Promise<void>
  stop: () => void
}

export type ActiveTokensGaugeDeps = {
  store: Pick<ApiTokensRepositoryType, "countActive">
  snapshots: GaugeSnapshotsRepositoryType
  leases: ReturnType<typeof JobLeasesRepository>
  logger: Logger
  /** The cluster's count period; 0: no periodic count (one at start, then this process's own changes). */
  countIntervalSeconds: number
}

export const createActiveTokensGauge = (d: ActiveTokensGaugeDeps): ActiveTokensGauge => {
  let base: GaugeSnapshot | undefined
  const ownChanges: Array<{ at: number; delta: number }> = []
  const timers: Array<NodeJS.Timeout | undefined> = []

  const publish = () => {
    if (!base) return
    const since = base.countedAt.getTime()
    metrics.activeApiTokens.set(base.value + ownChanges.reduce((n, c) => (c.at >= since ? n + c.delta : n), 0))
  }
  const adopt = (s: GaugeSnapshot) => {
    if (base && s.countedAt <= base.countedAt) return
    base = s
    const since = s.countedAt.getTime()
    while (ownChanges.length > 0 && ownChanges[0]!.at < since) ownChanges.shift()
    publish()
  }
  const count = async () => {
    const countedAt = new Date()
    const value = await d.store.countActive(countedAt)
    if (value instanceof Error) return value
    const written = await d.snapshots.write(ACTIVE_TOKENS_SNAPSHOT, { value, countedAt })
    adopt({ value, countedAt })
    return written instanceof Error ? written : undefined
  }
  const readBack = async () => {
    const s = await d.snapshots.read(ACTIVE_TOKENS_SNAPSHOT)
    if (s instanceof Error) return s
    if (s) adopt(s)
    return s
  }

  return {
    changed: (delta) => {
      // With no periodic count no later snapshot comes to split them from: fold them into the count.
      if (d.countIntervalSeconds <= 0 && base) base = { ...base, value: base.value + delta }
      else ownChanges.push({ at: Date.now(), delta })
      publish()
    },
    start: async () => {
      const periodMs = d.countIntervalSeconds * 1000
      // At start: the cluster's snapshot when it is recent, else a count of our own.
      const s = await readBack()
      const fresh = s && !(s instanceof Error) && periodMs > 0 && Date.now() - s.countedAt.getTime() < 2 * periodMs
      if (!fresh) {
        const r = await count()
        if (r instanceof Error) d.logger.warn({ err: r.message }, "active-token gauge: count failed")
      }
      if (periodMs <= 0) return
      timers.push(scheduleLeasedJob(d.leases, d.logger, { name: "count-active-tokens", seconds: d.countIntervalSeconds, run: count }))
      const readEvery = Math.min(SNAPSHOT_READ_MAX_MS, Math.max(SNAPSHOT_READ_MIN_MS, periodMs / 4))
      const t = setInterval(() => void readBack().catch(() => undefined), readEvery)
      t.unref()
      timers.push(t)
    },
    stop: () => timers.forEach((t) => clearInterval(t)),
  }
}
