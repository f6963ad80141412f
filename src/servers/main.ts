// Entry point of the API process (`npm run api`; the launcher runs it too).
import { resolveApiTokenByClientId } from "@/app/api-tokens/resolve-by-client-id"
import { createInvalidationResync } from "@/app/auth/invalidation-resync"
import { createPrincipalResolver, IssuerKind } from "@/app/auth/resolve-principal"
import { createUsageRecorder } from "@/app/auth/usage-recorder"
import { ConfigError, loadConfig } from "@/config"
import { buildPublicSchema } from "@/graphql/public/schema"
import { withPermissions } from "@/graphql/shield"
import { createDevSessionIssuer } from "@/services/dev-session/issuer"
import { hydraAccessTokenKeyIds, restrictToKeyIds } from "@/services/jwks/access-token-key-ids"
import { remoteKeySet } from "@/services/jwks/remote-key-set"
import { createJwtVerifier } from "@/services/jwks/verify-jwt"
import { createLogger } from "@/services/logger"
import type { ApiTokenId } from "@/domain/api-tokens"
import { connectMongo, disconnectMongo, ensureFerretdbGinIndexes } from "@/services/mongoose/connection"
import { checkLedgerFormat, LegacyLedgerError } from "@/services/mongoose/ledger"
import { metrics } from "@/services/metrics"
import { createRateLimiter } from "@/services/rate-limit"
import { startApiTokens } from "./api-tokens"
import { devRoutes } from "./dev/routes"
import { devLightningRoutes } from "./dev/lightning-routes"
import { composeApi } from "./composition"
import { createApiServer } from "./graphql-main-server"
import { apiTokensPageRoutes } from "./web/api-tokens-page"
import { startAdminSocket } from "./admin-socket"

const main = async () => {
  let config
  try {
    config = loadConfig()
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`[api] ${e.message}`)
      process.exit(2)
    }
    throw e
  }
  const logger = createLogger(config.logLevel)
  await connectMongo(config.mongodbUri)
  const ledgerFormat = await checkLedgerFormat()
  if (ledgerFormat instanceof LegacyLedgerError) {
    logger.fatal(ledgerFormat.message)
    await disconnectMongo()
    process.exit(2)
  }
  if (ledgerFormat instanceof Error) throw ledgerFormat
  // After every collection exists (the format check creates flash_meta).
  if (config.ferretdbPostgresqlUrl) await ensureFerretdbGinIndexes(config.ferretdbPostgresqlUrl, logger)
  // Everything the process runs on, built once and passed down from here.
  const services = await composeApi(config, logger)
  const { wallet, invalidations, usageHours, accounts, apiTokenStore, activeTokens } = services
  invalidations.onRevoked(() => metrics.revocationsSeen.inc({ source: "any" }))
  invalidations.onInvalidated((e) => metrics.invalidationsSeen.inc({ kind: "tokenId" in e ? "token" : "account" }))
  // Mongo is the source of truth: a periodic resync catches changes whose Redis
  // message this process missed (Redis away, a CLI without Redis, a write made
  // straight to Mongo), and runs at once when the Redis subscriber is back.
  const resync = createInvalidationResync({
    bus: invalidations,
    listRevokedSince: (since) => apiTokenStore.listRevokedSince(since),
    listTokensChangedSince: (since) => apiTokenStore.listChangedSince(since),
    listAccountsChangedSince: (since) => accounts.listChangedSince(since),
    revokedLookbackMs: config.jwt.maxAgeSeconds * 1000,
    logger,
  })
  await resync.run()
  invalidations.onReconnected(() => void resync.run())
  // The admin CLI's changes reach this process at once through it, Redis or not.
  const adminSocket = config.adminSocket
    ? await startAdminSocket({ path: config.adminSocket, deliver: invalidations.receive, logger })
    : undefined
  const resyncTimer = setInterval(() => void resync.run(), config.revocationResyncSeconds * 1000)
  resyncTimer.unref()

  // flashapi_api_tokens_active: the cluster's count (once per period, under a lease) plus this process's own changes.
  void activeTokens.start().catch((e: unknown) => logger.warn({ err: e instanceof Error ? e.message : String(e) }, "active-token gauge did not start"))

  // API-token JWTs verify only with Hydra's access-token keys, never its OpenID key (same public JWKS).
  const hydraKeys = restrictToKeyIds(
    remoteKeySet(config.hydra.jwksUrl, { onFetch: (result) => metrics.jwksRefreshes.inc({ issuer: "hydra", result }) }),
    hydraAccessTokenKeyIds(config.hydra.adminUrl, {
      onFetch: (result) => metrics.jwksRefreshes.inc({ issuer: "hydra_access_token_set", result }),
    }),
  )
  const verify = createJwtVerifier<IssuerKind>({
    issuers: [
      { kind: "hydra", issuer: config.hydra.issuer, keys: hydraKeys, algorithms: config.hydra.algorithms },
      {
        kind: "session",
        issuer: config.session.issuer,
        keys: remoteKeySet(config.session.jwksUrl, { onFetch: (result) => metrics.jwksRefreshes.inc({ issuer: "session", result }) }),
        algorithms: config.session.algorithms,
      },
    ],
    clockToleranceSeconds: config.jwt.clockToleranceSeconds,
    maxAgeSeconds: config.jwt.maxAgeSeconds,
    audience: config.jwt.audience,
  })
  const principals = createPrincipalResolver({
    verify,
    lookupApiToken: resolveApiTokenByClientId,
    lookupUserAccount: async (userId) => accounts.findAccountByUserId(userId as never),
    lookupStaticKey: (keyId) => apiTokenStore.findStaticKey(keyId),
    invalidations,
    cacheTtlMs: config.apiTokens.cacheTtlSeconds * 1000,
  })
  const apiTokens = startApiTokens(config, logger, services.apiTokens, {
    // The token hook decides from the same cached records as the request path.
    tokenHookCache: { apiTokens: principals.apiTokens, invalidations },
  })
  const extraRoutes = [apiTokensPageRoutes({ devMode: config.devMode })]
  if (config.devMode) {
    const issuer = await createDevSessionIssuer({ dataDir: config.dataDir, issuer: config.session.issuer })
    extraRoutes.push(devRoutes({ issuer, logger }))
    extraRoutes.push(devLightningRoutes({ logger, payments: wallet.services.payments }))
    logger.warn("dev mode is on: /dev/session issues user sessions to anyone")
  }

  const usage = createUsageRecorder(async (entries) => {
    const r = await apiTokenStore.recordLastUsed(entries as Array<{ tokenId: ApiTokenId; at: Date }>)
    if (r instanceof Error) throw r
  })
  const rateLimiter = await createRateLimiter(config.redis)

  // Label sets bound once: the accepted counter moves on every request.
  const acceptedCounters = new Map<string, ReturnType<typeof metrics.authOutcomes.labels>>()
  const acceptedCounter = (transport: string, kind: string) => {
    const k = `${transport}|${kind}`
    let c = acceptedCounters.get(k)
    if (!c) acceptedCounters.set(k, (c = metrics.authOutcomes.labels({ transport, outcome: kind, reason: "" })))
    return c
  }
  const server = await createApiServer({
    config,
    logger,
    schema: withPermissions(buildPublicSchema()),
    hydraKeys,
    principals,
    invalidations,
    apiTokens: services.apiTokens,
    wallet: wallet.services,
    rateLimiter,
    authObserver: {
      accepted: (p, ip, transport) => {
        acceptedCounter(transport, p.kind).inc()
        if (p.kind === "apiToken") {
          usage.record(p.apiTokenId)
          usageHours.recordRequest(p.apiTokenId, p.domainAccount.id, ip)
        }
      },
      rejected: (reason, transport) => metrics.authOutcomes.inc({ transport, outcome: "rejected", reason }),
    },
    extraRoutes,
    tokenHook: apiTokens.tokenHook,
    degradable: config.redis
      ? { redis: async () => rateLimiter.redisStatus() ?? new Error("not configured") }
      : undefined,
    onStop: async () => {
      await usage.stop()
      await usageHours.stop()
      activeTokens.stop()
      clearInterval(resyncTimer)
      await adminSocket?.close()
      await invalidations.close()
      await rateLimiter.close()
    },
  })
  await server.listen()
  logger.info({ url: `${config.api.publicUrl}/graphql`, invalidation: invalidations.mode() }, "API listening")

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, "shutting down")
    // A shutdown that hangs must not outlive the launcher's grace period silently.
    setTimeout(() => {
      logger.error("shutdown did not finish in 8 s, exiting anyway")
      process.exit(1)
    }, 8_000).unref()
    apiTokens.stop()
    await server.stop()
    await wallet.stop()
    await disconnectMongo()
    logger.info("stopped")
    process.exit(0)
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"))
  process.on("SIGINT", () => void shutdown("SIGINT"))
}

main().catch((e: unknown) => {
  console.error("[api] failed to start:", e instanceof Error ? e.message : e)
  process.exit(1)
})
