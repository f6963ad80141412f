// From an Authorization value to a Principal, or a reason why not.
// A user-session JWT maps `sub` (user id) to the account; an API-token JWT from
// Hydra maps `client_id` to the token record and its account, then applies the
// token's rules: status, expiry, revocation set, rotation grace, account lock,
// IP allowlist. Lookups go through a bounded in-process cache with a short TTL,
// so the hot path makes no database round trip; every event of the invalidation
// bus (revocation, rotation, an edit, an account lock) evicts the records of
// its token or account at once, so the next request reads the fresh record.
// The API-token records live in api-token-cache.ts, which the token hook shares
// (`resolver.apiTokens`).
import { LRUCache } from "lru-cache"
import type { Account } from "@/domain/accounts"
import { apiTokenStatus, ApiToken, ApiTokenScope, impliedScopes } from "@/domain/api-tokens"
import { AuthRejection, checkedToBearerToken } from "@/domain/auth"
import { ipAllowed } from "@/domain/auth/ip-allowlist"
import { CouldNotFindError } from "@/domain/shared/errors"
import type { Principal } from "@/graphql/context"
import type { VerifiedJwt } from "@/services/jwks/verify-jwt"
import type { InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { createApiTokenCache, ResolvedApiToken } from "./api-token-cache"

export type { ResolvedApiToken } from "./api-token-cache"
export type IssuerKind = "hydra" | "session"

export type PrincipalResolverDeps = {
  verify: (jwt: string) => Promise<VerifiedJwt<IssuerKind> | AuthRejection>
  lookupApiToken: (clientId: string) => Promise<ResolvedApiToken | Error>
  lookupUserAccount: (userId: string) => Promise<Account | Error>
  invalidations: Pick<InvalidationBus, "isRevoked" | "onInvalidated">
  cacheTtlMs: number
  cacheMax?: number
  now?: () => Date
  /**
   * Header value → token text. Default: `checkedToBearerToken` (a compact JWT).
   * Only the benchmark's comparison verifiers (bench/) pass another one, for
   * opaque tokens and static keys.
   */
  extractToken?: (authorization: unknown) => string | AuthRejection
}

export type AuthenticatedPrincipal = Exclude<Principal, { kind: "anonymous" }>
/**
 * `expiresAt`: the JWT's `exp`. `refuseAt`: the first moment the token record
 * itself stops qualifying without any further event (the token's expiry, the end
 * of a rotated-out client's grace period), if earlier; a WebSocket re-checks then.
 */
export type AuthResult = { principal: AuthenticatedPrincipal; expiresAt: Date; refuseAt?: Date } | AuthRejection

/**
 * The scopes a JWT grants with a token: those of its `scp` claim the token
 * still holds (rotation or an edit may have narrowed them). Remembered per
 * claim array and token record, both the same objects while the verified JWT
 * and the token record stay cached, so a request does not rebuild them.
 */
const NO_SCP: readonly unknown[] = Object.freeze([])
const grantedScopes = new WeakMap<object, WeakMap<ApiToken, readonly ApiTokenScope[]>>()
const scopesOf = (scp: unknown, token: ApiToken): readonly ApiTokenScope[] => {
  const claim = Array.isArray(scp) ? scp : NO_SCP
  let byToken = grantedScopes.get(claim)
  if (!byToken) grantedScopes.set(claim, (byToken = new WeakMap()))
  const known = byToken.get(token)
  if (known) return known
  const granted = claim.filter((s): s is string => typeof s === "string")
  const allowed = impliedScopes(token.scopes)
  const scopes = Object.freeze(
    [...impliedScopes(granted.filter((s): s is ApiTokenScope => allowed.has(s as ApiTokenScope)))].filter((s) => allowed.has(s)),
  )
  byToken.set(token, scopes)
  return scopes
}

const isNotFound = (e: Error) => e instanceof CouldNotFindError || e.name.endsWith("NotFoundError")

export const createPrincipalResolver = (deps: PrincipalResolverDeps) => {
  const now = deps.now ?? (() => new Date())
  const tokens = createApiTokenCache({
    lookup: deps.lookupApiToken,
    invalidations: deps.invalidations,
    ttlMs: deps.cacheTtlMs,
    max: deps.cacheMax,
  })
  const users = new LRUCache<string, Account>({ max: deps.cacheMax ?? 10_000, ttl: deps.cacheTtlMs })
  // Bumped by every invalidation: a lookup that started before one may have read
  // the record before the change, so its result answers that request but is not cached.
  let generation = 0

  const evict = (e: InvalidationEvent) => {
    generation += 1
    if ("tokenId" in e) return
    // Account events are rare (lock, unlock): a walk of the cache is fine.
    for (const [userId, a] of users.entries()) if (a.id === e.accountId) users.delete(userId)
  }
  deps.invalidations.onInvalidated(evict)

  const cachedApiToken = async (clientId: string): Promise<ResolvedApiToken | AuthRejection> => {
    const found = await tokens.get(clientId)
    if (found instanceof Error) {
      return isNotFound(found) ? new AuthRejection("unknown_api_token") : new AuthRejection("store_unavailable")
    }
    return found
  }

  const cachedUserAccount = async (userId: string): Promise<Account | AuthRejection> => {
    const hit = users.get(userId)
    if (hit) return hit
    const startedAt = generation
    const found = await deps.lookupUserAccount(userId)
    if (found instanceof Error) {
      return isNotFound(found) ? new AuthRejection("unknown_user") : new AuthRejection("store_unavailable")
    }
    if (startedAt !== generation) return found
    users.set(userId, found)
    return found
  }

  const resolveJwt = async (jwt: string, ip: string | undefined): Promise<AuthResult> => {
    const verified = await deps.verify(jwt)
    if (verified instanceof AuthRejection) return verified
    const { payload } = verified
    const expiresAt = new Date((payload.exp ?? 0) * 1000)

    if (verified.kind === "session") {
      const account = await cachedUserAccount(String(payload.sub))
      if (account instanceof AuthRejection) return account
      if (account.status === "LOCKED") return new AuthRejection("account_locked")
      return { principal: { kind: "user", userId: String(payload.sub), domainAccount: account }, expiresAt }
    }

    const clientId = typeof payload.client_id === "string" ? payload.client_id : payload.sub
    if (typeof clientId !== "string") return new AuthRejection("claim_invalid", "client_id")
    const resolved = await cachedApiToken(clientId)
    if (resolved instanceof AuthRejection) return resolved
    const { token, client, account } = resolved
    const at = now()
    if (deps.invalidations.isRevoked(token.id)) return new AuthRejection("token_revoked")
    const status = apiTokenStatus(token, at)
    if (status === "REVOKED") return new AuthRejection("token_revoked")
    if (status === "EXPIRED") return new AuthRejection("api_token_expired")
    if (client.notAfter && client.notAfter.getTime() <= at.getTime()) return new AuthRejection("token_revoked", "rotated")
    if (token.accountId !== account.id || (payload.token_id !== undefined && payload.token_id !== token.id)) {
      return new AuthRejection("claim_invalid", "token_id")
    }
    if (account.status === "LOCKED") return new AuthRejection("account_locked")
    if (!ipAllowed(ip, token.ipAllowlist)) return new AuthRejection("ip_not_allowed")

    const scopes = scopesOf(payload.scp, token)
    let refuseAt: Date | undefined
    for (const end of [client.notAfter, token.expiresAt]) {
      if (end && end.getTime() < expiresAt.getTime() && (!refuseAt || end < refuseAt)) refuseAt = end
    }
    return {
      principal: {
        kind: "apiToken",
        domainAccount: account,
        apiTokenId: token.id,
        clientId,
        apiTokenScopes: scopes,
        apiTokenWalletIds: token.walletIds,
        rateLimitPerMinute: token.rateLimitPerMinute,
        dailySendLimit: token.dailySendLimit,
        jwtId: verified.jti ?? "",
        expiresAt,
      },
      expiresAt,
      refuseAt,
    }
  }

  return {
    /** `authorization` is the raw header (or connection_init value). */
    resolve: async (authorization: unknown, ip: string | undefined): Promise<AuthResult> => {
      const jwt = (deps.extractToken ?? checkedToBearerToken)(authorization)
      if (jwt instanceof AuthRejection) return jwt
      return resolveJwt(jwt, ip)
    },
    /** Drops every cached record. */
    clear: () => {
      generation += 1
      tokens.clear()
      users.clear()
    },
    /** The API-token records this resolver caches; the token hook decides from the same ones. */
    apiTokens: tokens,
  }
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>
