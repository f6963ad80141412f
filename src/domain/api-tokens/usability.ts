// Is this API token usable now? The one rule, asked by the token hook (may it get
// a JWT), the request path (may it act) and the repository (does it still hold
// one of its account's slots). Each caller maps the reason to its own code.
import type { Account } from "../accounts"
import { apiTokenStatus, type ApiToken, type ApiTokenClient } from "./api-token"

export type ApiTokenUnusableReason = "revoked" | "expired" | "pending" | "account_locked" | "rotated_out"
export type ApiTokenUsability = { usable: true } | { usable: false; reason: ApiTokenUnusableReason }

const USABLE: ApiTokenUsability = Object.freeze({ usable: true })
const unusable = (reason: ApiTokenUnusableReason): ApiTokenUsability => ({ usable: false, reason })

/**
 * The first reason that applies, in this order:
 *   revoked         the record says REVOKED, or `revokedElsewhere` (the invalidation
 *                   bus's revocation set, ahead of a record that may be stale)
 *   expired         `expiresAt` is at or before `now` (as apiTokenStatus)
 *   pending         stored PENDING: a creation not finished (or crashed)
 *   account_locked  `account` given and its status is not ACTIVE (any other fails closed)
 *   rotated_out     `client` given and its rotation grace ended (`notAfter` at or before `now`)
 * What is not given is not checked: the repository asks about the token alone,
 * and the request path asks about the account after the credential's claims.
 */
export const apiTokenUsability = (
  token: Pick<ApiToken, "storedStatus" | "expiresAt">,
  now: Date,
  context: {
    revokedElsewhere?: boolean
    account?: Pick<Account, "status">
    client?: Pick<ApiTokenClient, "notAfter">
  } = {},
): ApiTokenUsability => {
  const status = apiTokenStatus(token, now)
  if (status === "REVOKED" || context.revokedElsewhere === true) return unusable("revoked")
  if (status === "EXPIRED") return unusable("expired")
  if (token.storedStatus === "PENDING") return unusable("pending")
  if (context.account && context.account.status !== "ACTIVE") return unusable("account_locked")
  const notAfter = context.client?.notAfter
  if (notAfter && notAfter.getTime() <= now.getTime()) return unusable("rotated_out")
  return USABLE
}
