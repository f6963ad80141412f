// Entry point of the API process (`npm run api`; the launcher runs it too).
import { ConfigError, loadConfig } from "@/config"
import { buildPublicSchema } from "@/graphql/public/schema"
import { createDevSessionIssuer } from "@/services/dev-session/issuer"
import { remoteKeySet } from "@/services/jwks/remote-key-set"
import { createLogger } from "@/services/logger"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { startApiTokens } from "./api-tokens"
import { devRoutes } from "./dev/routes"
import { createApiServer } from "./graphql-main-server"

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

  const apiTokens = startApiTokens(config, logger)
  const extraRoutes = [apiTokens.routes]
  if (config.devMode) {
    const issuer = await createDevSessionIssuer({ dataDir: config.dataDir, issuer: config.session.issuer })
    extraRoutes.push(devRoutes({ issuer, logger }))
    logger.warn("dev mode is on: /dev/session issues user sessions to anyone")
  }

  const server = await createApiServer({
    config,
    logger,
    schema: buildPublicSchema(),
    hydraKeys: remoteKeySet(config.hydra.jwksUrl),
    extraRoutes,
  })
  await server.listen()
  logger.info({ url: `${config.api.publicUrl}/graphql` }, "API listening")

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, "shutting down")
    apiTokens.stop()
    await server.stop()
    await disconnectMongo()
    process.exit(0)
  }
  process.on("SIGTERM", () => void shutdown("SIGTERM"))
  process.on("SIGINT", () => void shutdown("SIGINT"))
}

main().catch((e: unknown) => {
  console.error("[api] failed to start:", e instanceof Error ? e.message : e)
  process.exit(1)
})
