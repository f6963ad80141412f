// POST /hooks/hydra/token — Hydra calls it at every issuance (oauth2.token_hook).
//   401 {code: HOOK_UNAUTHENTICATED}  the shared-secret header is missing or wrong (constant-time check)
//   400 {code: HOOK_BAD_REQUEST}      the body is not what Hydra sends (BAD_JSON: not JSON at all)
//   413 {code: PAYLOAD_TOO_LARGE}     more than 64 kB
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
//
// A plain Node handler, not an express route: the API server hands it this one
// path before express sees the request. Express's routing, body parser and
// per-request middleware were most of the hook's CPU time (npm run bench,
// row 6), and Hydra waits for the hook at every issuance.
import { createHash, timingSafeEqual } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"
import { z } from "zod"
import { decideTokenIssuance } from "@/app/api-tokens/decide-token-issuance"
import { resolveApiTokenByClientId } from "@/app/api-tokens/resolve-by-client-id"
import type { ApiTokenCache } from "@/app/auth/api-token-cache"
import { recordAuditEvent } from "@/app/audit/record-audit-event"
import type { InvalidationBus } from "@/services/invalidation"
import { metrics } from "@/services/metrics"
import type { Logger } from "@/services/logger"
import { isJsonContentType, readBody } from "../read-body"

export const TOKEN_HOOK_PATH = "/hooks/hydra/token"
export const TOKEN_HOOK_SECRET_HEADER = "x-flash-token-hook-secret"
const MAX_BODY_BYTES = 64 * 1024

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

export type TokenHookDeps = {
  secret: string
  logger: Logger
  /** Absent: every issuance reads the store. */
  cached?: { apiTokens: ApiTokenCache; invalidations: Pick<InvalidationBus, "caughtUp" | "isRevoked"> }
}

export type TokenHookHandler = (req: IncomingMessage, res: ServerResponse) => void

/** True for the requests the token hook answers (every other one goes to express). */
export const isTokenHookRequest = (req: IncomingMessage) =>
  req.method === "POST" && (req.url === TOKEN_HOOK_PATH || req.url?.startsWith(`${TOKEN_HOOK_PATH}?`) === true)

const answer = (res: ServerResponse, status: number, body: unknown) => {
  const text = JSON.stringify(body)
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) })
  res.end(text)
}

export const tokenHookHandler = (deps: TokenHookDeps): TokenHookHandler => {
  const expected = digest(deps.secret)
  const cached = deps.cached
  const lookup = async (clientId: string) =>
    cached && (await cached.invalidations.caughtUp()) ? cached.apiTokens.get(clientId) : resolveApiTokenByClientId(clientId)
  const issuance = { lookup, isRevoked: cached?.invalidations.isRevoked }

  const refuse = (res: ServerResponse, status: number, code: string) => {
    metrics.tokenHookDecisions.inc({ decision: code })
    answer(res, status, { error: { code } })
  }

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const given = req.headers[TOKEN_HOOK_SECRET_HEADER]
    // Hash both sides so the comparison is constant-time whatever the lengths.
    if (typeof given !== "string" || !timingSafeEqual(digest(given), expected)) {
      deps.logger.warn({ reason: "HOOK_UNAUTHENTICATED" }, "token hook: bad or missing secret header")
      return refuse(res, 401, "HOOK_UNAUTHENTICATED")
    }
    if (!isJsonContentType(req)) return refuse(res, 400, "HOOK_BAD_REQUEST")
    const text = await readBody(req, res, MAX_BODY_BYTES)
    if (text === "too large") return refuse(res, 413, "PAYLOAD_TOO_LARGE")
    let raw: unknown
    try {
      raw = JSON.parse(text)
    } catch {
      return refuse(res, 400, "BAD_JSON")
    }
    const body = HookBody.safeParse(raw)
    if (!body.success) return refuse(res, 400, "HOOK_BAD_REQUEST")
    const { client_id: clientId, granted_scopes: granted } = body.data.request
    const decision = await decideTokenIssuance(clientId, granted ?? [], issuance)
    if (decision instanceof Error) {
      deps.logger.error({ clientId, err: decision.message }, "token hook: token store unavailable, refusing")
      return refuse(res, 503, "STORE_UNAVAILABLE")
    }
    if (!decision.allow) {
      deps.logger.info({ clientId, reason: decision.reason }, "token hook: issuance refused")
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
      return refuse(res, 403, decision.reason)
    }
    metrics.tokenHookDecisions.inc({ decision: "allow" })
    answer(res, 200, { session: { access_token: decision.claims } })
  }

  return (req, res) => {
    // The hook's latency (flashapi_token_hook_duration_seconds), whatever it answers.
    const end = metrics.tokenHookDuration.startTimer()
    res.once("finish", () => end())
    handle(req, res).catch((e: unknown) => {
      deps.logger.error({ err: e instanceof Error ? e.message : String(e) }, "token hook: unexpected error")
      if (!res.headersSent) answer(res, 500, { error: { code: "INTERNAL_ERROR" } })
      else res.destroy()
    })
  }
}
