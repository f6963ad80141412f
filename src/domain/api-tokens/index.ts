// API tokens: what a merchant creates so a machine can act for their account
// with limited scopes. Pure types and rules; no I/O.
import type { AccountId, WalletId } from "../accounts"
import { Branded } from "../shared/brand"
import { DomainError, ValidationError } from "../shared/errors"

export type ApiTokenId = Branded<string, "ApiTokenId">
/** The Hydra OAuth2 client id of a token (a token has more than one during a rotation's grace period). */
export type ApiTokenClientId = Branded<string, "ApiTokenClientId">

export const API_TOKEN_SCOPES = ["read", "receive", "write"] as const
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number]

/** Stored status. EXPIRED is derived from `expiresAt`, never stored. */
export type ApiTokenStoredStatus = "PENDING" | "ACTIVE" | "REVOKED"
export type ApiTokenStatus = "ACTIVE" | "EXPIRED" | "REVOKED"

export type ApiToken = {
  id: ApiTokenId
  accountId: AccountId
  name: string
  scopes: ApiTokenScope[]
  storedStatus: ApiTokenStoredStatus
  createdAt: Date
  expiresAt: Date | undefined
  revokedAt: Date | undefined
  lastUsedAt: Date | undefined
  walletIds: WalletId[] | undefined
  ipAllowlist: string[] | undefined
  rateLimitPerMinute: number | undefined
  dailySendLimit: number | undefined
}

/** One Hydra client bound to a token; `notAfter` is set on the old client during a rotation's grace period. */
export type ApiTokenClient = {
  clientId: ApiTokenClientId
  tokenId: ApiTokenId
  accountId: AccountId
  createdAt: Date
  notAfter: Date | undefined
}

export const apiTokenStatus = (t: Pick<ApiToken, "storedStatus" | "expiresAt">, now = new Date()): ApiTokenStatus => {
  if (t.storedStatus === "REVOKED") return "REVOKED"
  if (t.expiresAt && t.expiresAt.getTime() <= now.getTime()) return "EXPIRED"
  return "ACTIVE"
}

/** `write` includes `receive`. */
export const impliedScopes = (scopes: readonly ApiTokenScope[]): Set<ApiTokenScope> => {
  const s = new Set(scopes)
  if (s.has("write")) s.add("receive")
  return s
}

export class ApiTokenError extends DomainError {}
export class ApiTokenNotFoundError extends ApiTokenError {}
export class ApiTokenValidationError extends ValidationError {}
