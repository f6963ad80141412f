// POST /hooks/hydra/token — Hydra calls it at every issuance (oauth2.token_hook).
//   401 {code: HOOK_UNAUTHENTICATED}  the shared-secret header is missing or wrong (constant-time check)
//   400 {code: HOOK_BAD_REQUEST}      the body is not what Hydra sends
//   403 {code: <refusal reason>}      Hydra refuses issuance (access_denied)
//   503 {code: STORE_UNAVAILABLE}     the token store is down: Hydra refuses too (fail closed)
//   200 {session: {access_token: {account_id, token_id}}}  the claims Hydra adds to the JWT
//
// The record comes from the API's own cache of token records (`cached`, the one
// the request path uses, evicted by every invalidation event), so issuance makes
// no database round trip. Before it trusts a cached record the hook waits until
// this process has applied every event published before the call
// (`InvalidationBus.caughtUp`): a revocation, rotation, edit or lock made on any
// replica is refused by the very next issuance. When that cannot be known
// (Redis down), the hook reads the store instead.
import { createHash, timingSafeEqual } from "node:crypto"
import express, { RequestHandler, Router } from "express"
import { z } from "zod"
import { decideTokenIssuance } from "@/app/api-tokens/decide-token-issuance"
import { resolveApiTokenByClientId } from "@/app/api-tokens/resolve-by-client-id"
import type { ApiTokenCache } from "@/app/auth/api-token-cache"
import { recordAuditEvent } from "@/app/audit/record-audit-event"
import type { InvalidationBus } from "@/services/invalidation"
import { metrics } from "@/services/metrics"
import type { Logger } from "@/services/logger"

export const TOKEN_HOOK_PATH = "/hooks/hydra/token"
export const TOKEN_HOOK_SECRET_HEADER = "x-flash-token-hook-secret"

const HookBody = z.object({
  session: z.unknown().optional(),
  request: z.object({
    client_id: z.string().min(1).max(200),
    granted_scopes: z.array(z.string()).nullish(),
    requested_scopes: z.array(z.string()).nullish(),
    grant_types: z.array(z.string()).nullish(),
  }),
})

const digest = (s: string) => createHash("sha256").update(s).digest()

/** Observes the hook's latency (flashapi_token_hook_duration_seconds), whatever it answers. */
const timed: RequestHandler = (_req, res, next) => {
  const end = metrics.tokenHookDuration.startTimer()
  res.once("finish", () => end())
  next()
}

export type TokenHookDeps = {
  secret: string
  logger: Logger
  /** Absent: every issuance reads the store. */
  cached?: { apiTokens: ApiTokenCache; invalidations: Pick<InvalidationBus, "caughtUp" | "isRevoked"> }
}

export const tokenHookRoutes = (deps: TokenHookDeps): Router => {
  const expected = digest(deps.secret)
  const cached = deps.cached
  const lookup = async (clientId: string) =>
    cached && (await cached.invalidations.caughtUp()) ? cached.apiTokens.get(clientId) : resolveApiTokenByClientId(clientId)
  const issuance = { lookup, isRevoked: cached?.invalidations.isRevoked }
  const router = Router()
  router.post(TOKEN_HOOK_PATH, timed, express.json({ limit: "64kb" }), async (req, res) => {
    const given = req.get(TOKEN_HOOK_SECRET_HEADER)
    // Hash both sides so the comparison is constant-time whatever the lengths.
    if (typeof given !== "string" || !timingSafeEqual(digest(given), expected)) {
      deps.logger.warn({ reason: "HOOK_UNAUTHENTICATED" }, "token hook: bad or missing secret header")
      metrics.tokenHookDecisions.inc({ decision: "HOOK_UNAUTHENTICATED" })
      res.status(401).json({ error: { code: "HOOK_UNAUTHENTICATED" } })
      return
    }
    const body = HookBody.safeParse(req.body)
    if (!body.success) {
      metrics.tokenHookDecisions.inc({ decision: "HOOK_BAD_REQUEST" })
      res.status(400).json({ error: { code: "HOOK_BAD_REQUEST" } })
      return
    }
    const { client_id: clientId, granted_scopes: granted } = body.data.request
    const decision = await decideTokenIssuance(clientId, granted ?? [], issuance)
    if (decision instanceof Error) {
      deps.logger.error({ clientId, err: decision.message }, "token hook: token store unavailable, refusing")
      metrics.tokenHookDecisions.inc({ decision: "STORE_UNAVAILABLE" })
      res.status(503).json({ error: { code: "STORE_UNAVAILABLE" } })
      return
    }
    if (!decision.allow) {
      deps.logger.info({ clientId, reason: decision.reason }, "token hook: issuance refused")
      metrics.tokenHookDecisions.inc({ decision: decision.reason })
      // Hydra's hook request names the client, not the machine's address: no IP here.
      await recordAuditEvent(
        {
          type: "TOKEN_ISSUANCE_REFUSED",
          accountId: decision.accountId,
          tokenId: decision.tokenId,
          actor: "tokenHook",
          reason: decision.reason,
          details: { clientId },
        },
        deps.logger,
      )
      res.status(403).json({ error: { code: decision.reason } })
      return
    }
    metrics.tokenHookDecisions.inc({ decision: "allow" })
    res.json({ session: { access_token: decision.claims } })
  })
  return router
}
