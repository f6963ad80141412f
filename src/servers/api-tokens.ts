// Wires the API-token lifecycle into a process: the use cases' adapters (built
// by the composition root with apiTokensDepsFor), the Hydra token hook route,
// the cleanup / reconcile jobs on an interval (once per period across
// replicas), and the one-off move of old dailySendLimit records to budgets at start.
import { ApiTokensDeps, cleanupApiTokens, createApiTokensDeps, migrateDailySendLimits, reconcileApiTokens } from "@/app/api-tokens"
import type { Config } from "@/config"
import type { HydraAdminPort } from "@/services/hydra"
import type { InvalidationBus } from "@/services/invalidation"
import type { Logger } from "@/services/logger"
import { metrics } from "@/services/metrics"
import { JobLeasesRepository } from "@/services/mongoose/job-leases"
import { TokenHookDeps, tokenHookRoutes } from "./hooks/hydra-token-hook"

/** The API process's deps of the API-token use cases, from its config. */
export const apiTokensDepsFor = (
  config: Config,
  logger: Logger,
  ports: { hydra: HydraAdminPort; invalidations: InvalidationBus; onActiveCountChanged?: () => void },
): ApiTokensDeps =>
  createApiTokensDeps({
    hydra: ports.hydra,
    invalidation: ports.invalidations,
    policy: {
      tokenEndpoint: config.hydra.tokenEndpoint,
      graphqlUrl: `${config.api.publicUrl}/graphql`,
      accessTokenLifespanSeconds: config.apiTokens.accessTokenLifespanSeconds,
      maxActivePerAccount: config.apiTokens.maxActivePerAccount,
      maxExpiresInSeconds: config.apiTokens.maxExpiresInSeconds,
      rotationDueDays: config.apiTokens.rotationDueDays,
    },
    logger,
    onActiveCountChanged: ports.onActiveCountChanged,
    afterHydraClientCreated: pauseForChaosTests(config, logger),
  })

/** See FLASH_TEST_PAUSE_CREATION_OF in the config: undefined unless NODE_ENV=test and dev mode. */
const pauseForChaosTests = (config: Config, logger: Logger) => {
  const prefix = config.testHooks.pauseCreationOf
  if (!prefix) return undefined
  logger.warn({ prefix }, "chaos-test hook on: creations of tokens named with this prefix pause after their Hydra client exists")
  return async (token: { id: string; name: string }) => {
    if (!token.name.startsWith(prefix)) return
    logger.info({ tokenId: token.id }, "chaos pause: Hydra client created, record not yet ACTIVE")
    await new Promise((r) => setTimeout(r, 60_000))
  }
}

export const startApiTokens = (
  config: Config,
  logger: Logger,
  deps: ApiTokensDeps,
  opts: { tokenHookCache?: TokenHookDeps["cached"] } = {},
) => {
  const timers: NodeJS.Timeout[] = []
  const leases = JobLeasesRepository()
  // Once per period across all replicas (services/mongoose/job-leases.ts): each
  // replica ticks four times a period, and the first tick of a period anywhere
  // claims it and runs the job.
  const every = (seconds: number, name: string, job: () => Promise<unknown>) => {
    if (seconds <= 0) return
    const intervalMs = seconds * 1000
    let running = false
    let lastPeriod = -1
    const t = setInterval(async () => {
      const period = Math.floor(Date.now() / intervalMs)
      if (running || period === lastPeriod) return
      running = true
      try {
        const claimed = await leases.claim(name, intervalMs, period)
        lastPeriod = period
        if (claimed instanceof Error) {
          logger.warn({ job: name, err: claimed.message }, "api token job not run: its lease could not be claimed")
          return
        }
        if (!claimed) return
        metrics.jobsRun.inc({ job: name })
        const r = await job()
        if (r instanceof Error) logger.warn({ job: name, err: r.message }, "api token job failed")
      } catch (e) {
        logger.error({ job: name, err: e instanceof Error ? e.message : String(e) }, "api token job crashed")
      } finally {
        running = false
      }
    }, Math.max(250, intervalMs / 4))
    t.unref()
    timers.push(t)
  }
  void migrateDailySendLimits(deps)
    .then((r) => {
      if (r instanceof Error) logger.warn({ job: "migrate-daily-send-limits", err: r.message }, "api token job failed")
    })
    .catch((e: unknown) => logger.error({ job: "migrate-daily-send-limits", err: e instanceof Error ? e.message : String(e) }, "api token job crashed"))
  every(config.apiTokens.cleanupIntervalSeconds, "cleanup", () => cleanupApiTokens(deps))
  every(config.apiTokens.reconcileIntervalSeconds, "reconcile", () => reconcileApiTokens(deps))
  return {
    routes: tokenHookRoutes({ secret: config.hydra.tokenHookSecret, logger, cached: opts.tokenHookCache }),
    stop: () => timers.forEach(clearInterval),
  }
}
