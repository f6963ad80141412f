// The API process: one express app and one HTTP server carrying GraphQL over
// HTTP (Apollo Server) and over WebSocket (graphql-ws) on the same /graphql path,
// plus health, the Hydra token hook and (dev mode only) the dev routes.
import { createServer, Server } from "node:http"
import { ApolloServer } from "@apollo/server"
import { expressMiddleware } from "@as-integrations/express5"
import express from "express"
import { GraphQLSchema, NoSchemaIntrospectionCustomRule, specifiedRules, validate, ValidationRule } from "graphql"
import { useServer } from "graphql-ws/use/ws"
import { WebSocket, WebSocketServer } from "ws"
import type { Config } from "@/config"
import type { PrincipalResolver } from "@/app/auth/resolve-principal"
import { AuthRejection } from "@/domain/auth"
import { contextFor, GraphQLContext, Principal } from "@/graphql/context"
import { createQueryLimits } from "@/graphql/limits"
import type { RemoteKeySet } from "@/services/jwks/remote-key-set"
import type { Logger } from "@/services/logger"
import type { RevocationSet } from "@/services/revocation"
import { metrics } from "@/services/metrics"
import type { RateLimiter } from "@/services/rate-limit"
import { clientAddressResolver, clientIpOf } from "./client-address"
import { createMetricsServer } from "./metrics-server"
import { healthRoutes, httpCheck, mongoCheck, ReadinessCheck } from "./health"
import { AuthObserver, httpAuthentication, requestIdOf } from "./middlewares/authenticate"
import { admitOperation, httpQueryLimits } from "./middlewares/query-limits"
import { httpRateLimit, rateKeyAndLimit, tooManyRequests } from "./middlewares/rate-limit"

/**
 * WebSocket close codes (documented in the README). 4403 is graphql-ws's own
 * "Forbidden" for a connection_init that does not authenticate.
 */
export const WS_CLOSE = {
  tokenExpired: { code: 4440, reason: "Token expired: reconnect with a fresh token" },
  tokenRevoked: { code: 4441, reason: "Token revoked" },
} as const

/** Node's parser answers 431 above this; between 8 KB and this, we answer 401 (header_too_large). */
const MAX_HEADER_BYTES = 64 * 1024

export type ApiServerDeps = {
  config: Config
  logger: Logger
  schema: GraphQLSchema
  hydraKeys: RemoteKeySet
  principals: PrincipalResolver
  revocations: RevocationSet
  rateLimiter: RateLimiter
  authObserver?: AuthObserver
  extraRoutes?: express.Router[]
  readiness?: Record<string, ReadinessCheck>
  /** Reported on /readyz without making the API unready (e.g. Redis: local fallbacks take over). */
  degradable?: Record<string, ReadinessCheck>
  onStop?: () => Promise<void>
}

export type ApiServer = { httpServer: Server; listen: () => Promise<void>; stop: () => Promise<void> }

type WsExtra = { principal?: Principal; clientIp?: string }

export const createApiServer = async (deps: ApiServerDeps): Promise<ApiServer> => {
  const { config, logger, schema } = deps
  const app = express()
  app.disable("x-powered-by")
  // Nothing reads req.ip: the client address is decided once, by client-address.ts
  // under TRUST_PROXY, for HTTP here and for the WebSocket upgrade below.
  app.set("trust proxy", false)
  const clientAddress = clientAddressResolver(config.trustedProxies)
  const httpServer = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, app)

  app.use((req, res, next) => {
    res.locals.clientIp = clientAddress(req)
    const route = req.path === "/graphql" ? "/graphql" : "other"
    const end = metrics.requestDuration.startTimer({ route })
    const started = performance.now()
    let finished = false
    res.once("finish", () => {
      finished = true
      end({ status: `${Math.floor(res.statusCode / 100)}xx` })
      const ms = Math.round(performance.now() - started)
      if (config.slowRequestLogMs > 0 && ms >= config.slowRequestLogMs) {
        logger.warn({ route, status: res.statusCode, ms, requestId: requestIdOf(req) }, "slow request")
      }
    })
    // The socket closed before the answer was written: the client gave up or
    // the connection broke. Logged so a client-side timeout can be matched.
    res.once("close", () => {
      if (finished || config.slowRequestLogMs === 0) return
      const ms = Math.round(performance.now() - started)
      logger.warn({ route, ms, requestId: requestIdOf(req) }, "request abandoned before the answer")
    })
    next()
  })
  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    // Off unless GRAPHQL_INTROSPECTION=true (the dev launcher and the test stack
    // turn it on); the WebSocket below follows the same setting.
    introspection: config.graphql.introspection,
    // Stack traces show server paths: never in an answer, whatever NODE_ENV says.
    includeStacktraceInErrorResponses: false,
    // Hash-only requests would skip the query limits (they read the text).
    persistedQueries: false,
    // main.ts owns shutdown (HTTP, WebSocket, flushes, Mongo) in order; Apollo's
    // own SIGTERM handler raced it and left the process hanging.
    stopOnTerminationSignals: false,
  })
  await apollo.start()
  const queryLimits = createQueryLimits(schema, config.queryLimits)
  // /graphql first: every other route is a router of its own, and an API
  // request walking all of them first showed in the profile (npm run bench).
  app.use(
    "/graphql",
    httpAuthentication(deps.principals, logger, deps.authObserver),
    httpRateLimit(deps.rateLimiter, config.rateLimits, (p) => metrics.rateLimited.inc({ kind: p.kind })),
    express.json({ limit: "100kb" }),
    httpQueryLimits(queryLimits, config.rateLimits.costPerPoint, deps.rateLimiter.consume, (p) =>
      metrics.rateLimited.inc({ kind: p.kind }),
    ),
    expressMiddleware(apollo, {
      context: async ({ res }) => contextFor(res.locals.principal as Principal, clientIpOf(res), logger),
    }),
  )

  app.use(
    healthRoutes(
      {
        mongo: mongoCheck,
        hydra: httpCheck(`${config.hydra.adminUrl}/health/ready`),
        jwks: deps.hydraKeys.ensureLoaded,
        ...deps.readiness,
      },
      deps.degradable,
    ),
  )
  for (const r of deps.extraRoutes ?? []) app.use(r)

  // graphql-ws validates on its own: the same rules as Apollo's, introspection included.
  const wsValidationRules: readonly ValidationRule[] = [
    ...specifiedRules,
    ...(config.graphql.introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ]
  const wsServer = new WebSocketServer({ server: httpServer, path: "/graphql", maxPayload: 64 * 1024 })
  const wsCleanup = useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      schema,
      validate: (wsSchema, document) => validate(wsSchema, document, wsValidationRules),
      onConnect: async (ctx) => {
        const payload = ctx.connectionParams ?? {}
        const authorization = payload.Authorization ?? payload.authorization
        const ip = clientAddress(ctx.extra.request)
        ctx.extra.clientIp = ip
        if (authorization === undefined) {
          ctx.extra.principal = { kind: "anonymous" }
          return true
        }
        const result = await deps.principals.resolve(authorization, ip)
        if (result instanceof AuthRejection) {
          deps.authObserver?.rejected?.(result.reason, "ws")
          logger.info({ reason: result.reason, ip, transport: "ws" }, "authentication rejected")
          return false
        }
        deps.authObserver?.accepted?.(result.principal, ip, "ws")
        ctx.extra.principal = result.principal
        watchSocket(ctx.extra.socket, result.principal, result.expiresAt)
        return true
      },
      onSubscribe: async (ctx, _id, payload) => {
        const { key, perMinute } = rateKeyAndLimit(
          ctx.extra.principal ?? { kind: "anonymous" },
          ctx.extra.clientIp,
          config.rateLimits,
        )
        const decision = await deps.rateLimiter.consume(key, perMinute)
        if (!decision.allowed) {
          metrics.rateLimited.inc({ kind: ctx.extra.principal?.kind ?? "anonymous" })
          return [tooManyRequests(decision.retryAfterSeconds)]
        }
        const refusal = await admitOperation(queryLimits, payload, config.rateLimits.costPerPoint, (points) =>
          deps.rateLimiter.consume(key, perMinute, points),
        )
        if (refusal?.status === 429) metrics.rateLimited.inc({ kind: ctx.extra.principal?.kind ?? "anonymous" })
        return refusal ? [refusal.error] : undefined
      },
      context: (ctx) =>
        contextFor(ctx.extra.principal ?? { kind: "anonymous" }, ctx.extra.clientIp, logger),
    },
    wsServer,
  )

  // Close a socket when its JWT expires or its API token is revoked, so the
  // client reconnects with a fresh token (or learns it was revoked).
  const watchSocket = (socket: WebSocket, principal: Principal, expiresAt: Date) => {
    const expiry = setTimeout(
      () => socket.close(WS_CLOSE.tokenExpired.code, WS_CLOSE.tokenExpired.reason),
      Math.max(0, Math.min(expiresAt.getTime() - Date.now(), 2 ** 31 - 1)),
    )
    const unsubscribe =
      principal.kind === "apiToken"
        ? deps.revocations.onRevoked((tokenId) => {
            if (tokenId === principal.apiTokenId) socket.close(WS_CLOSE.tokenRevoked.code, WS_CLOSE.tokenRevoked.reason)
          })
        : () => undefined
    socket.once("close", () => {
      clearTimeout(expiry)
      unsubscribe()
    })
  }

  // Anything a route did not answer: a stable code, never a stack trace or HTML.
  app.use((_req: express.Request, res: express.Response) => {
    res.status(404).json({ error: { code: "NOT_FOUND", message: "No such route" } })
  })
  app.use((err: unknown, req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const e = err as { type?: string; status?: number; message?: string }
    if (e.type === "entity.parse.failed") {
      res.status(400).json({ error: { code: "BAD_JSON", message: "The request body is not valid JSON" } })
    } else if (e.type === "entity.too.large") {
      res.status(413).json({ error: { code: "PAYLOAD_TOO_LARGE", message: "The request body is too large" } })
    } else if (typeof e.status === "number" && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: { code: "BAD_REQUEST", message: "The request could not be read" } })
    } else {
      logger.error({ err: e.message, path: req.path }, "unhandled error")
      res.status(500).json({ error: { code: "INTERNAL_ERROR", message: "Internal error, please try again" } })
    }
  })

  const metricsServer = config.metrics.port > 0 ? createMetricsServer(config.metrics) : undefined

  return {
    httpServer,
    listen: async () => {
      await metricsServer?.listen()
      await new Promise<void>((resolve, reject) => {
        httpServer.once("error", reject)
        httpServer.listen(config.api.port, config.api.host, () => resolve())
      })
    },
    stop: async () => {
      // Stop accepting, let requests in flight finish (up to 5 s), close idle
      // keep-alive sockets at once; Apollo's own drain waited on them forever.
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()))
      httpServer.closeIdleConnections()
      const force = setTimeout(() => httpServer.closeAllConnections(), 5_000)
      await wsCleanup.dispose()
      await closed
      clearTimeout(force)
      await apollo.stop()
      await metricsServer?.stop()
      await deps.onStop?.()
    },
  }
}
