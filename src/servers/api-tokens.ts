// Wires the API-token lifecycle into a process: the use cases' adapters (built
// by the composition root with apiTokensDepsFor), the Hydra token hook route,
// the cleanup / reconcile jobs on an interval (once per period across
// replicas), and the one-off move of old dailySendLimit records to budgets at start.
import { ApiTokensDeps, cleanupApiTokens, createApiTokensDeps, migrateDailySendLimits, reconcileApiTokens } from "@/app/api-tokens"
import type { Config } from "@/config"
import type { HydraAdminPort } from "@/services/hydra"
import type { InvalidationBus } from "@/services/invalidation"
import type { Logger } from "@/services/logger"
import { JobLeasesRepository } from "@/services/mongoose/job-leases"
import { TokenHookDeps, tokenHookHandler } from "./hooks/hydra-token-hook"
import { scheduleLeasedJob } from "./leased-jobs"

/** The API process's deps of the API-token use cases, from its config. */
export const apiTokensDepsFor = (
  config: Config,
  logger: Logger,
  ports: { hydra: HydraAdminPort; invalidations: InvalidationBus; onActiveCountChanged?: (delta: number) => void },
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
  const leases = JobLeasesRepository()
  const timers = [
    scheduleLeasedJob(leases, logger, { name: "cleanup", seconds: config.apiTokens.cleanupIntervalSeconds, run: () => cleanupApiTokens(deps) }),
    scheduleLeasedJob(leases, logger, { name: "reconcile", seconds: config.apiTokens.reconcileIntervalSeconds, run: () => reconcileApiTokens(deps) }),
  ]
  void migrateDailySendLimits(deps)
    .then((r) => {
      if (r instanceof Error) logger.warn({ job: "migrate-daily-send-limits", err: r.message }, "api token job failed")
    })
    .catch((e: unknown) => logger.error({ job: "migrate-daily-send-limits", err: e instanceof Error ? e.message : String(e) }, "api token job crashed"))
  return {
    tokenHook: tokenHookHandler({ secret: config.hydra.tokenHookSecret, logger, cached: opts.tokenHookCache }),
    stop: () => timers.forEach((t) => clearInterval(t)),
  }
}
