// The token hook's decision, called by Hydra at every issuance: may this client
// get an access token, and with which claims? Refused: unknown or PENDING client,
// revoked or expired token, locked account, a rotated-out client whose grace
// ended, or granted scopes beyond the token's (defence in depth). The record
// comes from `lookup`: the API process passes the cache the request path uses
// (api-token-cache.ts), so the hook refuses a token at the same moment as the API.
import { ApiTokenNotFoundError, apiTokenUsability, ApiTokenUnusableReason } from "@/domain/api-tokens"
import type { ResolvedApiToken } from "../auth/api-token-cache"
import { resolveApiTokenByClientId } from "./resolve-by-client-id"

export type IssuanceRefusal =
  | "UNKNOWN_CLIENT"
  | "TOKEN_REVOKED"
  | "TOKEN_EXPIRED"
  | "ACCOUNT_LOCKED"
  | "CLIENT_ROTATED_OUT"
  | "SCOPE_NOT_GRANTED"

export type IssuanceDecision =
  | { allow: true; claims: { account_id: string; token_id: string } }
  | { allow: false; reason: IssuanceRefusal; tokenId?: string; accountId?: string }
  | Error

export type IssuanceLookup = {
  lookup: (clientId: string) => Promise<ResolvedApiToken | Error>
  /** The invalidation bus's revocation set: refused even if a record says otherwise. */
  isRevoked?: (tokenId: string) => boolean
}

/** This hook's code for each reason of apiTokenUsability but `pending` (refused as an unknown client). */
const REFUSAL_OF: Record<Exclude<ApiTokenUnusableReason, "pending">, IssuanceRefusal> = {
  revoked: "TOKEN_REVOKED",
  expired: "TOKEN_EXPIRED",
  account_locked: "ACCOUNT_LOCKED",
  rotated_out: "CLIENT_ROTATED_OUT",
}

export const decideTokenIssuance = async (
  clientId: string,
  grantedScopes: readonly string[] = [],
  deps: IssuanceLookup = { lookup: resolveApiTokenByClientId },
  now = new Date(),
): Promise<IssuanceDecision> => {
  const r = await deps.lookup(clientId)
  if (r instanceof Error) return r instanceof ApiTokenNotFoundError ? { allow: false, reason: "UNKNOWN_CLIENT" } : r
  const refuse = (reason: IssuanceRefusal) => ({ allow: false as const, reason, tokenId: r.token.id, accountId: r.account.id })
  // One call, so the reasons come in apiTokenUsability's order: the account before the
  // client (a locked account's rotated-out client gets ACCOUNT_LOCKED). The request
  // path reports the client first (resolve-principal.ts); each keeps its own order.
  const usability = apiTokenUsability(r.token, now, {
    revokedElsewhere: deps.isRevoked?.(r.token.id),
    account: r.account,
    client: r.client,
  })
  if (!usability.usable) {
    // A creation not finished: refused as the store's lookup refuses it (no ids), whatever `lookup` returns.
    if (usability.reason === "pending") return { allow: false, reason: "UNKNOWN_CLIENT" }
    return refuse(REFUSAL_OF[usability.reason])
  }
  const own = new Set<string>(r.token.scopes)
  if (grantedScopes.some((s) => !own.has(s))) return refuse("SCOPE_NOT_GRANTED")
  return { allow: true, claims: { account_id: r.account.id, token_id: r.token.id } }
}
