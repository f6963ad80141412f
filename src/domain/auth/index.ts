// Why a request was not authenticated. Every rejection carries one reason code;
// the code goes to logs and metrics, the client only sees UNAUTHENTICATED (except
// api_token_oauth2_only, which tells the client how to use its token instead).
import { DomainError } from "../shared/errors"

export const AUTH_REJECTION_REASONS = [
  "missing_token",
  "malformed_header",
  "header_too_large",
  "malformed_token",
  "unknown_issuer",
  "alg_not_allowed",
  "unknown_key",
  "key_not_allowed",
  "bad_signature",
  "token_expired",
  "token_not_yet_valid",
  "token_too_old",
  "claim_invalid",
  "jwks_unavailable",
  "unknown_user",
  "unknown_api_token",
  "api_token_expired",
  "token_revoked",
  "account_locked",
  "ip_not_allowed",
  "store_unavailable",
  "api_token_oauth2_only",
] as const
export type AuthRejectionReason = (typeof AUTH_REJECTION_REASONS)[number]

/**
 * Refusals that say nothing about the credentials: a dependency of ours failed
 * (the store, Hydra's JWKS). They are never held against the caller: no socket
 * is closed for them and no refusal budget is charged.
 */
export const isOurFailure = (reason: AuthRejectionReason): boolean => reason === "store_unavailable" || reason === "jwks_unavailable"

export class AuthRejection extends DomainError {
  static override readonly code: string = "AuthRejection"
  override readonly code: string = "AuthRejection"
  constructor(
    readonly reason: AuthRejectionReason,
    detail?: string,
  ) {
    super(detail ? `${reason}: ${detail}` : reason)
  }
}

/** Longest Authorization header we read; a JWT from Hydra is well under 2 KB. */
export const MAX_AUTHORIZATION_LENGTH = 8 * 1024

/**
 * `Bearer <jwt>` → the compact JWT. Undefined/empty → missing_token. Only the
 * shape is checked here; the signature is the verifier's job.
 */
export const checkedToBearerToken = (raw: unknown): string | AuthRejection => {
  if (raw === undefined || raw === null || raw === "") return new AuthRejection("missing_token")
  if (typeof raw !== "string") return new AuthRejection("malformed_header")
  if (raw.length > MAX_AUTHORIZATION_LENGTH) return new AuthRejection("header_too_large")
  const match = /^Bearer[ ]+([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)[ ]*$/i.exec(raw)
  if (!match) return new AuthRejection("malformed_header")
  return match[1]!
}

/** The prefix of an API token's secret; a Bearer that starts with it is a static key, never a JWT. */
const STATIC_KEY_BEARER_PREFIX = "flash_sk_"

export type BearerCredential = { kind: "jwt"; jwt: string } | { kind: "staticKey"; secret: string }

/**
 * `Bearer <jwt>` or `Bearer flash_sk_…` (an API token's secret, static-key mode).
 * Only the shape is checked here: the JWT's signature is the verifier's job, the
 * secret's format and checksum the resolver's.
 */
export const checkedToBearerCredential = (raw: unknown): BearerCredential | AuthRejection => {
  if (typeof raw === "string" && raw.length <= MAX_AUTHORIZATION_LENGTH) {
    const match = /^Bearer[ ]+(flash_sk_[A-Za-z0-9]*)[ ]*$/i.exec(raw)
    if (match && match[1]!.startsWith(STATIC_KEY_BEARER_PREFIX)) return { kind: "staticKey", secret: match[1]! }
  }
  const jwt = checkedToBearerToken(raw)
  return jwt instanceof AuthRejection ? jwt : { kind: "jwt", jwt }
}
