// The API process: one express app and one HTTP server carrying GraphQL over
// HTTP (Apollo Server) and over WebSocket (graphql-ws) on the same /graphql path,
// plus health, the Hydra token hook and (dev mode only) the dev routes.
import { createServer, Server } from "node:http"
import { ApolloServer } from "@apollo/server"
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer"
import { expressMiddleware } from "@as-integrations/express5"
import express from "express"
import type { GraphQLSchema } from "graphql"
import { useServer } from "graphql-ws/use/ws"
import { WebSocketServer } from "ws"
import type { Config } from "@/config"
import { contextFor, GraphQLContext } from "@/graphql/context"
import type { Logger } from "@/services/logger"
import { healthRoutes, httpCheck, mongoCheck, ReadinessCheck } from "./health"
import { RemoteKeySet } from "@/services/jwks/remote-key-set"

export type ApiServerDeps = {
  config: Config
  logger: Logger
  schema: GraphQLSchema
  hydraKeys: RemoteKeySet
  extraRoutes?: express.Router[]
  readiness?: Record<string, ReadinessCheck>
}

export type ApiServer = { httpServer: Server; listen: () => Promise<void>; stop: () => Promise<void> }

export const createApiServer = async (deps: ApiServerDeps): Promise<ApiServer> => {
  const { config, logger, schema } = deps
  const app = express()
  app.disable("x-powered-by")
  // The API runs behind at most one proxy in production; loopback in dev.
  app.set("trust proxy", "loopback")
  const httpServer = createServer(app)

  app.use(
    healthRoutes({
      mongo: mongoCheck,
      hydra: httpCheck(`${config.hydra.adminUrl}/health/ready`),
      jwks: deps.hydraKeys.ensureLoaded,
      ...deps.readiness,
    }),
  )
  for (const r of deps.extraRoutes ?? []) app.use(r)

  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: 64 * 1024 })
  const wsCleanup = useServer<Record<string, unknown>, { context?: GraphQLContext }>(
    {
      schema,
      context: (ctx) => contextFor({ kind: "anonymous" }, ctx.extra.request.socket.remoteAddress, logger),
    },
    wsServer,
  )

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: true,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
    ],
  })
  await apollo.start()
  app.use(
    "/graphql",
    express.json({ limit: "100kb" }),
    expressMiddleware(apollo, {
      context: async ({ req }) => contextFor({ kind: "anonymous" }, req.ip, logger),
    }),
  )

  return {
    httpServer,
    listen: () =>
      new Promise((resolve, reject) => {
        httpServer.once("error", reject)
        httpServer.listen(config.api.port, config.api.host, () => resolve())
      }),
    stop: async () => {
      await apollo.stop()
    },
  }
}
