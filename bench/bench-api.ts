// A bench-only API process (issue 8, rows 4 and 5): the real express app,
// Apollo Server, graphql-shield and resolvers (createApiServer, the same as
// src/servers/main.ts), with only the authentication step swapped for the
// design under comparison, chosen by BENCH_VERIFIER=introspection|static-key.
//
// Only bench/run.ts starts it. It lives outside src/: the Docker image copies
// src/ alone, and neither `npm start` nor `npm run api` can reach it.
import { resolveApiTokenByClientId } from "@/app/api-tokens/resolve-by-client-id"
import { createPrincipalResolver } from "@/app/auth/resolve-principal"
import { loadConfig } from "@/config"
import { buildPublicSchema } from "@/graphql/public/schema"
import { withPermissions } from "@/graphql/shield"
import { createApiServer } from "@/servers/graphql-main-server"
import { startWalletServices } from "@/servers/wallet-services"
import { remoteKeySet } from "@/services/jwks/remote-key-set"
import { createLogger } from "@/services/logger"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { createRateLimiter } from "@/services/rate-limit"
import { createInvalidationBus } from "@/services/invalidation"
import { anyBearerToken, introspectionVerifier, staticKeyVerifier } from "./verifiers"

const main = async () => {
  const kind = process.env.BENCH_VERIFIER
  if (kind !== "introspection" && kind !== "static-key") {
    console.error("[bench-api] BENCH_VERIFIER must be introspection or static-key")
    process.exit(2)
  }
  const config = loadConfig()
  const logger = createLogger(config.logLevel)
  await connectMongo(config.mongodbUri)
  const wallet = await startWalletServices(config, logger)
  const invalidations = await createInvalidationBus(config.redis)
  const accounts = AccountsRepository()
  const principals = createPrincipalResolver({
    verify: kind === "introspection" ? introspectionVerifier(config.hydra.adminUrl) : staticKeyVerifier(),
    extractToken: anyBearerToken,
    lookupApiToken: resolveApiTokenByClientId,
    lookupUserAccount: async (userId) => accounts.findAccountByUserId(userId as never),
    invalidations,
    cacheTtlMs: config.apiTokens.cacheTtlSeconds * 1000,
  })
  const rateLimiter = await createRateLimiter(config.redis)
  const server = await createApiServer({
    config,
    logger,
    schema: withPermissions(buildPublicSchema()),
    hydraKeys: remoteKeySet(config.hydra.jwksUrl),
    principals,
    invalidations,
    wallet: wallet.services,
    rateLimiter,
    onStop: async () => {
      await invalidations.close()
      await rateLimiter.close()
    },
  })
  await server.listen()
  logger.info({ verifier: kind, port: config.api.port }, "bench API listening")

  let stopping = false
  const shutdown = async () => {
    if (stopping) return
    stopping = true
    await server.stop()
    await wallet.stop()
    await disconnectMongo()
    process.exit(0)
  }
  process.on("SIGTERM", () => void shutdown())
  process.on("SIGINT", () => void shutdown())
}

main().catch((e: unknown) => {
  console.error("[bench-api] failed to start:", e instanceof Error ? e.message : e)
  process.exit(1)
})
