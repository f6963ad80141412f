// HTTP authentication for /graphql. No Authorization header → anonymous (public
// fields still work; shield answers UNAUTHENTICATED elsewhere). A header that
// does not authenticate → HTTP 401 with a GraphQL-shaped UNAUTHENTICATED error,
// so clients refresh their token once and retry (API_TOKEN_OAUTH2_ONLY for the
// secret of a token that did not opt in to static-key mode). A failure of ours
// (the token store or Hydra's keys unreachable) says nothing about the
// credentials: HTTP 503 with Retry-After and STORE_UNAVAILABLE or
// OAUTH2_SERVER_UNAVAILABLE, so a client retries the same token instead of
// discarding it or telling its merchant the token is bad. The reason code is
// logged; the token text never is.
import type { NextFunction, Request, Response } from "express"
import { AuthRejection, isOurFailure } from "@/domain/auth"
import type { AuthenticatedPrincipal, PrincipalResolver } from "@/app/auth/resolve-principal"
import type { Principal } from "@/domain/auth/principal"
import type { Logger } from "@/services/logger"
import type { RateDecision } from "@/services/rate-limit"
import { clientIpOf } from "../client-address"
import { tooManyRequests } from "./rate-limit"

export type AuthObserver = {
  rejected?: (reason: AuthRejection["reason"], transport: "http" | "ws") => void
  accepted?: (principal: AuthenticatedPrincipal, ip: string | undefined, transport: "http" | "ws") => void
}

export const unauthenticatedBody = {
  errors: [{ message: "Not authenticated", extensions: { code: "UNAUTHENTICATED" } }],
}

/** The one refusal that says more than UNAUTHENTICATED: the caller holds a real token, used the wrong way. */
export const OAUTH2_ONLY_MESSAGE =
  "This API token is OAuth2-only: exchange its client id and secret at the token endpoint for an access token, or create a token with staticKey: true to send its secret as the Bearer."
export const oauth2OnlyBody = {
  errors: [{ message: OAUTH2_ONLY_MESSAGE, extensions: { code: "API_TOKEN_OAUTH2_ONLY" } }],
}

/** Seconds a client waits before it retries through an outage of ours (Retry-After). */
export const OUTAGE_RETRY_AFTER_SECONDS = 5

const outageBody = (code: "STORE_UNAVAILABLE" | "OAUTH2_SERVER_UNAVAILABLE") => ({
  errors: [
    {
      message: "Authentication is temporarily unavailable: retry the same token in a few seconds",
      extensions: { code, retryAfterSeconds: OUTAGE_RETRY_AFTER_SECONDS },
    },
  ],
})
const storeUnavailableBody = outageBody("STORE_UNAVAILABLE")
const keysUnavailableBody = outageBody("OAUTH2_SERVER_UNAVAILABLE")

export const refusalBodyFor = (reason: AuthRejection["reason"]) =>
  reason === "api_token_oauth2_only"
    ? oauth2OnlyBody
    : reason === "store_unavailable"
      ? storeUnavailableBody
      : reason === "jwks_unavailable"
        ? keysUnavailableBody
        : unauthenticatedBody

/** A caller-chosen correlation id, echoed into logs only when it is short and plain. */
export const requestIdOf = (req: Request): string | undefined => {
  const raw = req.headers["x-request-id"]
  return typeof raw === "string" && /^[A-Za-z0-9._-]{1,64}$/.test(raw) ? raw : undefined
}

export const httpAuthentication =
  (
    resolver: PrincipalResolver,
    logger: Logger,
    observer: AuthObserver = {},
    /** Charges a refusal to the caller's address (middlewares/rate-limit.ts refusedCredentialsKey). */
    chargeRefusal?: (ip: string | undefined, reason: AuthRejection["reason"]) => Promise<RateDecision>,
  ) =>
  async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization
    if (header === undefined) {
      res.locals.principal = { kind: "anonymous" } satisfies Principal
      next()
      return
    }
    const ip = clientIpOf(res)
    const result = await resolver.resolve(header, ip)
    if (result instanceof AuthRejection) {
      observer.rejected?.(result.reason, "http")
      logger.info({ reason: result.reason, ip, transport: "http", requestId: requestIdOf(req) }, "authentication rejected")
      const charged = await chargeRefusal?.(ip, result.reason)
      if (charged && !charged.allowed) {
        res
          .status(429)
          .set("Retry-After", String(charged.retryAfterSeconds))
          .json({ errors: [tooManyRequests(charged.retryAfterSeconds).toJSON()] })
        return
      }
      if (isOurFailure(result.reason)) {
        res.status(503).set("Retry-After", String(OUTAGE_RETRY_AFTER_SECONDS)).json(refusalBodyFor(result.reason))
        return
      }
      res.status(401).set("WWW-Authenticate", 'Bearer error="invalid_token"').json(refusalBodyFor(result.reason))
      return
    }
    observer.accepted?.(result.principal, ip, "http")
    res.locals.principal = result.principal
    next()
  }
