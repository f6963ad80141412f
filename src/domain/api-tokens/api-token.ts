// An API token, its scopes and statuses, and the Hydra clients bound to it. The
// other files of this folder import these from here, not from ./index (no cycle).
import type { AccountId, WalletId } from "../accounts"
import { Branded } from "../shared/brand"
import type { ApiTokenBudget } from "./budget"

export type ApiTokenId = Branded<string, "ApiTokenId">
/** The Hydra OAuth2 client id of a token (a token has more than one during a rotation's grace period). */
export type ApiTokenClientId = Branded<string, "ApiTokenClientId">

export const API_TOKEN_SCOPES = ["read", "receive", "write"] as const
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number]

/** Stored status. EXPIRED is derived from `expiresAt`, never stored. */
export type ApiTokenStoredStatus = "PENDING" | "ACTIVE" | "REVOKED"
export type ApiTokenStatus = "ACTIVE" | "EXPIRED" | "REVOKED"

/**
 * How the machine sends its secret to the token endpoint. Hydra v2.3.0 fixes the
 * method per client, so the merchant picks it at creation (default: HTTP Basic).
 */
export const API_TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"] as const
export type ApiTokenAuthMethod = (typeof API_TOKEN_AUTH_METHODS)[number]

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
  /** One spending budget for every wallet of the token (see ./budget.ts); absent: no limit. */
  budget?: ApiTokenBudget
  /** Optional so records and fakes written before it existed stay valid; absent means client_secret_basic. */
  authMethod?: ApiTokenAuthMethod
  /**
   * When the current secret was issued (creation, then every rotation). Absent on
   * records written before it existed: read it through `secretCreatedAtOf` (→ createdAt).
   */
  secretCreatedAt?: Date
  /** The `secretCreatedAt` of the secret whose API_TOKEN_ROTATION_DUE event is on record (saves re-asking the store). */
  rotationRemindedFor?: Date
  /**
   * Opted in at creation: the secret is also accepted as `Authorization: Bearer flash_sk_…`
   * (static-key mode, for clients without OAuth2 such as the BTCPay plugin 1.5.x). Absent means false.
   */
  staticKey?: boolean
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
