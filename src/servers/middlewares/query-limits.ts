// Query cost limits on both transports, before any resolver runs: an operation
// over a limit is refused (HTTP 400 / the operation's error over WebSocket,
// QUERY_TOO_COMPLEX), and an admitted one takes max(1, ceil(cost /
// RATE_LIMIT_COST_PER_POINT)) points from its caller's rate limit. The first
// point is taken before the body is read (httpRateLimit, or onSubscribe's
// first consume); `admitOperation` charges the rest, so the total is the
// weighted cost, once.
import type { NextFunction, Request, Response } from "express"
import type { GraphQLError } from "graphql"
import type { Principal } from "@/domain/auth/principal"
import { OperationRequest, QueryLimits, QueryTooComplex, rateLimitPoints } from "@/graphql/limits"
import { metrics } from "@/services/metrics"
import type { RateDecision } from "@/services/rate-limit"
import { RateKey, tooManyRequests } from "./rate-limit"

export type OperationRefusal = { status: 400 | 429; error: GraphQLError; retryAfterSeconds?: number }

/**
 * Admits one operation (its first rate-limit point already taken) or says why not.
 * `chargeMore(points)` takes further points from the caller's rate limit.
 */
export const admitOperation = async (
  limits: QueryLimits,
  request: OperationRequest,
  costPerPoint: number,
  chargeMore: (points: number) => Promise<RateDecision>,
): Promise<OperationRefusal | undefined> => {
  const admission = limits.admit(request)
  if (admission instanceof QueryTooComplex) {
    metrics.queriesRefused.inc({ limit: admission.limit })
    return { status: 400, error: admission.toGraphQLError() }
  }
  const more = rateLimitPoints(admission.cost, costPerPoint) - 1
  if (more <= 0) return undefined
  const decision = await chargeMore(more)
  if (decision.allowed) return undefined
  return { status: 429, error: tooManyRequests(decision.retryAfterSeconds), retryAfterSeconds: decision.retryAfterSeconds }
}

/** GET carries the operation in the query string (variables as JSON), POST in the JSON body. */
const operationOf = (req: Request): OperationRequest => {
  if (req.method !== "GET") {
    const body: unknown = req.body
    return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as OperationRequest) : {}
  }
  const q = req.query as Record<string, unknown>
  let variables: unknown = q.variables
  if (typeof variables === "string") {
    try {
      variables = JSON.parse(variables) as unknown
    } catch {
      variables = undefined // Apollo answers the malformed variables itself
    }
  }
  return { query: q.query, variables, operationName: q.operationName }
}

export const httpQueryLimits =
  (
    limits: QueryLimits,
    costPerPoint: number,
    consume: (key: string, perMinute: number, points: number) => Promise<RateDecision>,
    onLimited?: (p: Principal) => void,
  ) =>
  async (req: Request, res: Response, next: NextFunction) => {
    const rateKey = res.locals.rateKey as RateKey | undefined
    const refusal = await admitOperation(limits, operationOf(req), costPerPoint, (points) =>
      rateKey ? consume(rateKey.key, rateKey.perMinute, points) : Promise.resolve({ allowed: true }),
    )
    if (!refusal) {
      next()
      return
    }
    if (refusal.status === 429) {
      onLimited?.(res.locals.principal as Principal)
      res.set("Retry-After", String(refusal.retryAfterSeconds))
    }
    res.status(refusal.status).json({ errors: [refusal.error.toJSON()] })
  }
