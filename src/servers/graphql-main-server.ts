// The API process: one express app and one HTTP server carrying GraphQL over
// HTTP (Apollo Server) and over WebSocket (graphql-ws) on the same /graphql path,
// plus health, the Hydra token hook and (dev mode only) the dev routes.
import { createServer, IncomingMessage, Server, ServerResponse } from "node:http"
import { ApolloServer } from "@apollo/server"
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled"
import { expressMiddleware } from "@as-integrations/express5"
import express from "express"
import { GraphQLError, GraphQLSchema, NoSchemaIntrospectionCustomRule, specifiedRules, validate, ValidationRule } from "graphql"
import { useServer } from "graphql-ws/use/ws"
import { WebSocket, WebSocketServer } from "ws"
import type { Config } from "@/config"
import type { AuthResult, PrincipalResolver } from "@/app/auth/resolve-principal"
import { AuthRejection, AuthRejectionReason, isOurFailure } from "@/domain/auth"
import type { Principal } from "@/domain/auth/principal"
import type { ApiTokensDeps } from "@/app/api-tokens/deps"
import type { WalletServices } from "@/app/wallet-services"
import { contextFor, ContextServices, GraphQLContext } from "@/graphql/context"
import { createQueryLimits } from "@/graphql/limits"
import type { RemoteKeySet } from "@/services/jwks/remote-key-set"
import type { Logger } from "@/services/logger"
import type { InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { metrics } from "@/services/metrics"
import type { RateDecision, RateLimiter } from "@/services/rate-limit"
import { clientAddressResolver, clientIpOf } from "./client-address"
import { createMetricsServer } from "./metrics-server"
import { healthRoutes, httpCheck, mongoCheck, ReadinessCheck } from "./health"
import { isTokenHookRequest, TokenHookHandler } from "./hooks/hydra-token-hook"
import { AuthObserver, httpAuthentication, refusalBodyFor, requestIdOf } from "./middlewares/authenticate"
import { admitOperation, httpQueryLimits } from "./middlewares/query-limits"
import { httpRateLimit, rateKeyAndLimit, refusedCredentialsKey, tooManyRequests } from "./middlewares/rate-limit"

/**
 * WebSocket close codes (documented in docs/authentication.md). 4403 is graphql-ws's own
 * "Forbidden" for a connection_init that does not authenticate.
 */
export const WS_CLOSE = {
  tokenExpired: { code: 4440, reason: "Token expired: reconnect with a fresh token" },
  tokenRevoked: { code: 4441, reason: "Token revoked or rotated out" },
  accessChanged: { code: 4442, reason: "Token access changed: reconnect to continue with what it may still do" },
  /** graphql-ws's own 4403 (Forbidden), with a reason that says what to do. */
  oauth2Only: { code: 4403, reason: "API_TOKEN_OAUTH2_ONLY: exchange the id and secret at the token endpoint, or use a static-key token" },
  /** Refused credentials from this address spent their budget (middlewares/rate-limit.ts refusedCredentialsKey). */
  tooManyRefusals: { code: 4429, reason: "TOO_MANY_REQUESTS: too many refused credentials from this address, retry later" },
  /** RFC 6455's registered 1013 (Try Again Later): the token store or Hydra's keys did not answer; the credentials may be fine. */
  unavailable: { code: 1013, reason: "SERVICE_UNAVAILABLE: authentication is temporarily unavailable, retry with the same token" },
} as const

/**
 * The close code for a socket whose credentials no longer authenticate; none
 * for a passing failure of a dependency (the socket stays, its operations are
 * refused until the store answers again).
 */
export const closeFor = (reason: AuthRejectionReason): (typeof WS_CLOSE)[keyof typeof WS_CLOSE] | undefined => {
  if (isOurFailure(reason)) return undefined
  switch (reason) {
    case "token_expired":
    case "api_token_expired":
    case "token_too_old":
      return WS_CLOSE.tokenExpired
    case "token_revoked":
    case "unknown_api_token":
    case "unknown_user":
      return WS_CLOSE.tokenRevoked
    default:
      return WS_CLOSE.accessChanged
  }
}

/** True when `next` may do less than `before`: a scope or a wallet it had is gone. */
export const accessNarrowed = (before: Principal, next: Principal): boolean => {
  if (before.kind !== "apiToken" || next.kind !== "apiToken") return before.kind !== next.kind
  if (before.apiTokenScopes.some((s) => !next.apiTokenScopes.includes(s))) return true
  if (!next.apiTokenWalletIds) return false
  if (!before.apiTokenWalletIds) return true
  return before.apiTokenWalletIds.some((w) => !next.apiTokenWalletIds!.includes(w))
}

/** Node's parser answers 431 above this; between 8 KB and this, we answer 401 (header_too_large). */
const MAX_HEADER_BYTES = 64 * 1024

export type ApiServerDeps = {
  config: Config
  logger: Logger
  schema: GraphQLSchema
  hydraKeys: RemoteKeySet
  principals: PrincipalResolver
  invalidations: InvalidationBus
  /** The API-token use cases' deps, handed to every resolver in its context; absent: not served (the bench API). */
  apiTokens?: ApiTokensDeps
  /** The wallet's services, handed to every resolver in its context; absent: not served (tests of the transport alone). */
  wallet?: WalletServices
  rateLimiter: RateLimiter
  authObserver?: AuthObserver
  extraRoutes?: express.Router[]
  /** Hydra's token hook: served on its path ahead of express (hooks/hydra-token-hook.ts). */
  tokenHook?: TokenHookHandler
  readiness?: Record<string, ReadinessCheck>
  /** Reported on /readyz without making the API unready (e.g. Redis: local fallbacks take over). */
  degradable?: Record<string, ReadinessCheck>
  onStop?: () => Promise<void>
}

export type ApiServer = { httpServer: Server; listen: () => Promise<void>; stop: () => Promise<void> }

/**
 * What a socket authenticated with, kept so that it can be checked again (on
 * every operation, on every invalidation event of its token or account, and
 * when its JWT, token or rotation grace ends).
 */
type SocketAuth = { authorization: unknown; ip: string | undefined; timer?: NodeJS.Timeout }
type WsExtra = { principal?: Principal; clientIp?: string; auth?: SocketAuth }

export const createApiServer = async (deps: ApiServerDeps): Promise<ApiServer> => {
  const { config, logger, schema } = deps
  const services: ContextServices = { apiTokens: deps.apiTokens, wallet: deps.wallet }
  const app = express()
  app.disable("x-powered-by")
  // Nothing reads req.ip: the client address is decided once, by client-address.ts
  // under TRUST_PROXY, for HTTP here and for the WebSocket upgrade below.
  app.set("trust proxy", false)
  const clientAddress = clientAddressResolver(config.trustedProxies)
  const tokenHook = deps.tokenHook
  const httpServer = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) =>
    tokenHook && isTokenHookRequest(req) ? tokenHook(req, res) : app(req, res),
  )
  // While stopping, every answer says `Connection: close` and ends its connection:
  // a proxy keeps sending on the keep-alive connections it holds (nginx under
  // load: a busy connection is never idle), and a connection left idle after
  // the last answer would wait for the proxy's keep-alive timeout or be cut by
  // the 5 s drain. So the answers in flight when the stop begins are marked too.
  let draining = false
  const answering = new Set<ServerResponse>()
  httpServer.prependListener("request", (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) return void res.setHeader("connection", "close")
    answering.add(res)
    res.once("close", () => answering.delete(res))
  })

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
    // Apollo's cache-control plugin (on by default) wraps every field resolver
    // to compute a cache policy; no type or field here declares one, and no
    // answer of an authenticated API may be cached. Off, every field resolves
    // without that wrapper (npm run bench: a share of every request's CPU).
    plugins: [ApolloServerPluginCacheControlDisabled()],
  })
  await apollo.start()
  const queryLimits = createQueryLimits(schema, config.queryLimits)
  const chargeRefusal = async (ip: string | undefined, reason: AuthRejectionReason): Promise<RateDecision> => {
    // An outage of ours is not the caller's refusal: it must not lock clients out once we are back.
    if (isOurFailure(reason)) return { allowed: true }
    const { key, perMinute } = refusedCredentialsKey(ip, config.rateLimits)
    const decision = await deps.rateLimiter.consume(key, perMinute)
    if (!decision.allowed) metrics.rateLimited.inc({ kind: "refused_credentials" })
    return decision
  }
  // /graphql first: every other route is a router of its own, and an API
  // request walking all of them first showed in the profile (npm run bench).
  app.use(
    "/graphql",
    httpAuthentication(deps.principals, logger, deps.authObserver, chargeRefusal),
    httpRateLimit(deps.rateLimiter, config.rateLimits, (p) => metrics.rateLimited.inc({ kind: p.kind })),
    express.json({ limit: "100kb" }),
    httpQueryLimits(queryLimits, config.rateLimits.costPerPoint, deps.rateLimiter.consume, (p) =>
      metrics.rateLimited.inc({ kind: p.kind }),
    ),
    expressMiddleware(apollo, {
      context: async ({ res }) => contextFor(res.locals.principal as Principal, clientIpOf(res), logger, services),
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

  // Every authenticated socket, to re-check on an invalidation event.
  const openSockets = new Set<{ socket: WebSocket; extra: WsExtra }>()

  const closeSocket = (socket: WebSocket, close: (typeof WS_CLOSE)[keyof typeof WS_CLOSE]) => {
    if (socket.readyState !== socket.OPEN && socket.readyState !== socket.CONNECTING) return
    metrics.websocketsClosed.inc({ code: String(close.code) })
    socket.close(close.code, close.reason)
  }

  /**
   * Resolves the socket's credentials again through the cached resolver. Refused
   * → closed with its code (and the operation refused); accepted with less
   * access → closed 4442; accepted → its principal is replaced for its next
   * operations, and its end-of-life timer set again.
   */
  const recheck = async (socket: WebSocket, extra: WsExtra): Promise<AuthResult> => {
    const auth = extra.auth!
    const result = await deps.principals.resolve(auth.authorization, auth.ip)
    if (result instanceof AuthRejection) {
      const close = closeFor(result.reason)
      if (close) {
        logger.info({ reason: result.reason, ip: auth.ip, transport: "ws", code: close.code }, "websocket closed: credentials no longer qualify")
        closeSocket(socket, close)
      }
      return result
    }
    if (extra.principal && accessNarrowed(extra.principal, result.principal)) {
      logger.info({ ip: auth.ip, transport: "ws", code: WS_CLOSE.accessChanged.code }, "websocket closed: token access narrowed")
      closeSocket(socket, WS_CLOSE.accessChanged)
      return new AuthRejection("claim_invalid", "access narrowed")
    }
    extra.principal = result.principal
    schedule(socket, extra, result)
    return result
  }

  // At the JWT's expiry the socket is closed 4440; at the end of the token or of
  // a rotation grace period (earlier), it is checked again.
  const schedule = (socket: WebSocket, extra: WsExtra, result: Exclude<AuthResult, AuthRejection>) => {
    const auth = extra.auth!
    clearTimeout(auth.timer)
    // A re-check that finished after the socket closed sets no timer (its close handler already ran).
    if (socket.readyState !== socket.OPEN) return
    const at = result.refuseAt ?? result.expiresAt
    const delay = Math.max(0, Math.min(at.getTime() - Date.now(), 2 ** 31 - 1))
    auth.timer = setTimeout(() => {
      if (!result.refuseAt || result.expiresAt.getTime() <= Date.now()) closeSocket(socket, WS_CLOSE.tokenExpired)
      else void recheck(socket, extra)
    }, delay)
  }

  const matches = (p: Principal | undefined, e: InvalidationEvent) =>
    p !== undefined &&
    p.kind !== "anonymous" &&
    ("tokenId" in e ? p.kind === "apiToken" && p.apiTokenId === e.tokenId : p.domainAccount.id === e.accountId)
  const stopWatching = deps.invalidations.onInvalidated((e) => {
    for (const { socket, extra } of openSockets) if (matches(extra.principal, e)) void recheck(socket, extra)
  })

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
          const charged = await chargeRefusal(ip, result.reason)
          if (!charged.allowed) closeSocket(ctx.extra.socket, WS_CLOSE.tooManyRefusals)
          else if (isOurFailure(result.reason)) closeSocket(ctx.extra.socket, WS_CLOSE.unavailable)
          else if (result.reason === "api_token_oauth2_only") closeSocket(ctx.extra.socket, WS_CLOSE.oauth2Only)
          return false
        }
        deps.authObserver?.accepted?.(result.principal, ip, "ws")
        const socket = ctx.extra.socket
        const extra = ctx.extra
        extra.principal = result.principal
        extra.auth = { authorization, ip }
        const entry = { socket, extra }
        openSockets.add(entry)
        socket.once("close", () => {
          clearTimeout(extra.auth?.timer)
          openSockets.delete(entry)
        })
        schedule(socket, extra, result)
        return true
      },
      onSubscribe: async (ctx, _id, payload) => {
        // Every operation is authorised with the record as it is now (the same
        // cached resolver as HTTP), so an old socket never acts on what a
        // rotation, revocation or edit took away, even if its close races.
        if (ctx.extra.auth) {
          const result = await recheck(ctx.extra.socket, ctx.extra)
          if (result instanceof AuthRejection) {
            deps.authObserver?.rejected?.(result.reason, "ws")
            const body = refusalBodyFor(result.reason).errors[0]!
            return [new GraphQLError(body.message, { extensions: body.extensions })]
          }
        }
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
        contextFor(ctx.extra.principal ?? { kind: "anonymous" }, ctx.extra.clientIp, logger, services),
    },
    wsServer,
  )

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
      // Every answer from now on closes its connection (above): the drain takes
      // the slowest request's time, not the 5 s, and cuts none.
      draining = true
      for (const res of answering) if (!res.headersSent) res.setHeader("connection", "close")
      const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()))
      httpServer.closeIdleConnections()
      const force = setTimeout(() => httpServer.closeAllConnections(), 5_000)
      stopWatching()
      await wsCleanup.dispose()
      await closed
      clearTimeout(force)
      await apollo.stop()
      await metricsServer?.stop()
      await deps.onStop?.()
    },
  }
}
