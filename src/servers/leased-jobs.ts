// A job that runs once per period across all replicas (services/mongoose/
// job-leases.ts): each replica ticks four times a period, and the first tick of
// a period anywhere claims it and runs the job.
import type { Logger } from "@/services/logger"
import { metrics } from "@/services/metrics"
import type { JobLeasesRepository } from "@/services/mongoose/job-leases"

export type LeasedJob = { name: string; seconds: number; run: () => Promise<unknown> }

/** Starts `job` on its interval; `seconds <= 0` leaves it off. Returns the timer to clear, if any. */
export const scheduleLeasedJob = (
  leases: ReturnType<typeof JobLeasesRepository>,
  logger: Logger,
  job: LeasedJob,
): NodeJS.Timeout | undefined => {
  if (job.seconds <= 0) return undefined
  const intervalMs = job.seconds * 1000
  let running = false
  let lastPeriod = -1
  const t = setInterval(async () => {
    const period = Math.floor(Date.now() / intervalMs)
    if (running || period === lastPeriod) return
    running = true
    try {
      const claimed = await leases.claim(job.name, intervalMs, period)
      lastPeriod = period
      if (claimed instanceof Error) {
        logger.warn({ job: job.name, err: claimed.message }, "api token job not run: its lease could not be claimed")
        return
      }
      if (!claimed) return
      metrics.jobsRun.inc({ job: job.name })
      const r = await job.run()
      if (r instanceof Error) logger.warn({ job: job.name, err: r.message }, "api token job failed")
    } catch (e) {
      logger.error({ job: job.name, err: e instanceof Error ? e.message : String(e) }, "api token job crashed")
    } finally {
      running = false
    }
  }, Math.max(250, intervalMs / 4))
  t.unref()
  return t
}
