// Rate limits per principal: an API token by its id (its own limit or the
// API-token default), a person by user id, anonymous callers by IP. Over the
// limit: HTTP 429 with Retry-After and a GraphQL-shaped TOO_MANY_REQUESTS error.
import type { NextFunction, Request, Response } from "express"
import { GraphQLError } from "graphql"
import type { Config } from "@/config"
import type { Principal } from "@/domain/auth/principal"
import type { RateDecision, RateLimiter } from "@/services/rate-limit"
import { clientIpOf } from "../client-address"

export const rateKeyAndLimit = (p: Principal, ip: string | undefined, limits: Config["rateLimits"]) => {
  switch (p.kind) {
    case "apiToken":
      return { key: `t:${p.apiTokenId}`, perMinute: p.rateLimitPerMinute ?? limits.apiTokenPerMinute }
    case "user":
      return { key: `u:${p.userId}`, perMinute: limits.sessionPerMinute }
    default:
      return { key: `ip:${ip ?? "unknown"}`, perMinute: limits.anonymousPerMinute }
  }
}

export type RateKey = { key: string; perMinute: number }

/**
 * Credentials that do not authenticate are charged to the caller's address,
 * in a budget of their own (RATE_LIMIT_REFUSED_PER_MINUTE, apart from anonymous
 * requests): a holder of a leaked, revoked or forged token, or a guesser, is
 * refused with 429 once it is spent, over HTTP and WebSocket alike, while a
 * valid token from the same address is not held back.
 */
export const refusedCredentialsKey = (ip: string | undefined, limits: Config["rateLimits"]): RateKey => ({
  key: `refused:ip:${ip ?? "unknown"}`,
  perMinute: limits.refusedPerMinute,
})

export const tooManyRequests = (retryAfterSeconds: number) =>
  new GraphQLError("Too many requests, retry later", {
    extensions: { code: "TOO_MANY_REQUESTS", retryAfterSeconds },
  })

export const httpRateLimit =
  (limiter: RateLimiter, limits: Config["rateLimits"], onLimited?: (p: Principal) => void) =>
  async (req: Request, res: Response, next: NextFunction) => {
    const principal = res.locals.principal as Principal
    const { key, perMinute } = rateKeyAndLimit(principal, clientIpOf(res), limits)
    // The operation's cost is known once the body is read: httpQueryLimits
    // charges the rest of its points to this same key.
    res.locals.rateKey = { key, perMinute } satisfies RateKey
    const decision: RateDecision = await limiter.consume(key, perMinute)
    if (decision.allowed) {
      next()
      return
    }
    onLimited?.(principal)
    res
      .status(429)
      .set("Retry-After", String(decision.retryAfterSeconds))
      .json({ errors: [tooManyRequests(decision.retryAfterSeconds).toJSON()] })
  }
