// Wires the API-token lifecycle into a process: the use cases' adapters, the
// Hydra token hook route, the cleanup / reconcile jobs on an interval, and the
// one-off move of old dailySendLimit records to budgets at start.
import { cleanupApiTokens, migrateDailySendLimits, reconcileApiTokens, setApiTokensDeps } from "@/app/api-tokens"
import type { Config } from "@/config"
import { HydraAdmin } from "@/services/hydra"
import type { Logger } from "@/services/logger"
import { TokenHookDeps, tokenHookRoutes } from "./hooks/hydra-token-hook"

export const configureApiTokens = (config: Config, logger: Logger, opts: { onActiveCountChanged?: () => void } = {}) =>
  setApiTokensDeps({
    hydra: HydraAdmin({ adminUrl: config.hydra.adminUrl, audience: config.jwt.audience }),
    policy: {
      tokenEndpoint: config.hydra.tokenEndpoint,
      graphqlUrl: `${config.api.publicUrl}/graphql`,
      accessTokenLifespanSeconds: config.apiTokens.accessTokenLifespanSeconds,
      maxActivePerAccount: config.apiTokens.maxActivePerAccount,
      maxExpiresInSeconds: config.apiTokens.maxExpiresInSeconds,
      rotationDueDays: config.apiTokens.rotationDueDays,
    },
    logger,
    onActiveCountChanged: opts.onActiveCountChanged,
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
  opts: { onActiveCountChanged?: () => void; tokenHookCache?: TokenHookDeps["cached"] } = {},
) => {
  configureApiTokens(config, logger, opts)
  const timers: NodeJS.Timeout[] = []
  const every = (seconds: number, name: string, job: () => Promise<unknown>) => {
    if (seconds <= 0) return
    let running = false
    const t = setInterval(() => {
      if (running) return
      running = true
      job()
        .then((r) => {
          if (r instanceof Error) logger.warn({ job: name, err: r.message }, "api token job failed")
        })
        .catch((e: unknown) => logger.error({ job: name, err: e instanceof Error ? e.message : String(e) }, "api token job crashed"))
        .finally(() => (running = false))
    }, seconds * 1000)
    t.unref()
    timers.push(t)
  }
  void migrateDailySendLimits()
    .then((r) => {
      if (r instanceof Error) logger.warn({ job: "migrate-daily-send-limits", err: r.message }, "api token job failed")
    })
    .catch((e: unknown) => logger.error({ job: "migrate-daily-send-limits", err: e instanceof Error ? e.message : String(e) }, "api token job crashed"))
  every(config.apiTokens.cleanupIntervalSeconds, "cleanup", () => cleanupApiTokens())
  every(config.apiTokens.reconcileIntervalSeconds, "reconcile", () => reconcileApiTokens())
  return {
    routes: tokenHookRoutes({ secret: config.hydra.tokenHookSecret, logger, cached: opts.tokenHookCache }),
    stop: () => timers.forEach(clearInterval),
  }
}
