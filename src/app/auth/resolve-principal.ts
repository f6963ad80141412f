// From an Authorization value to a Principal, or a reason why not.
// A user-session JWT maps `sub` (user id) to the account; an API-token JWT from
// Hydra maps `client_id` to the token record and its account, then applies the
// token's rules: status, expiry, revocation set, rotation grace, account lock,
// IP allowlist. Lookups go through a bounded in-process cache with a short TTL,
// so the hot path makes no database round trip; every event of the invalidation
// bus (revocation, rotation, an edit, an account lock) evicts the records of
// its token or account at once, so the next request reads the fresh record.
//
// A static key (`Bearer flash_sk_…`, a token created with `staticKey: true`)
// takes the same path after one step of its own: format and checksum, then one
// `_id` lookup of its key document by sha256(secret) (cached: key documents
// never change), a constant-time compare of the verifier, then the token's
// record by client id through the same cache, invalidation and checks as a JWT.
// No write per request: last use goes through the same batched recorder.
// The API-token records live in api-token-cache.ts, which the token hook shares
// (`resolver.apiTokens`).
import { LRUCache } from "lru-cache"
import type { Account } from "@/domain/accounts"
import {
  ApiToken,
  ApiTokenNotFoundError,
  ApiTokenScope,
  ApiTokenStaticKey,
  ApiTokenUnusableReason,
  apiTokenUsability,
  checkApiTokenClientSecretFormat,
  impliedScopes,
  staticKeyId,
  staticKeyMatches,
} from "@/domain/api-tokens"
import { AuthRejection, AuthRejectionReason, checkedToBearerCredential } from "@/domain/auth"
import { ipAllowed } from "@/domain/auth/ip-allowlist"
import { CouldNotFindError, NotFoundError } from "@/domain/shared/errors"
import type { Principal } from "@/domain/auth/principal"
import type { VerifiedJwt } from "@/services/jwks/verify-jwt"
import type { InvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { createApiTokenCache, ResolvedApiToken } from "./api-token-cache"

export type { ResolvedApiToken } from "./api-token-cache"
export type IssuerKind = "hydra" | "session"

export type PrincipalResolverDeps = {
  verify: (jwt: string) => Promise<VerifiedJwt<IssuerKind> | AuthRejection>
  lookupApiToken: (clientId: string) => Promise<ResolvedApiToken | Error>
  lookupUserAccount: (userId: string) => Promise<Account | Error>
  /** sha256(secret) → its key document (static-key mode); absent → static keys are refused as unknown. */
  lookupStaticKey?: (keyId: string) => Promise<ApiTokenStaticKey | Error>
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
 * A static key has no `exp` of its own: a socket authenticated with one is
 * checked again at least this often (besides every invalidation event and the
 * token's expiry), so no timer has to span months.
 */
const STATIC_KEY_RECHECK_MS = 6 * 3600 * 1000

/**
 * A well-formed key is cheap to make (its checksum is public), and one no token
 * has costs a store lookup before it is refused, ahead of any rate limit. So
 * each address may cause this many such lookups per minute on a replica; after
 * that its unknown keys are refused without one until the minute ends. Keys
 * found in the store never count, and a cached key needs no lookup at all.
 */
export const STATIC_KEY_MISSES_PER_MINUTE = 30
const NEVER = new Date(8.64e15)

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

/**
 * This path's rejection for each reason of apiTokenUsability. `pending`: a
 * creation not finished, which the store's lookup already answers as not found;
 * refused the same way whatever `lookupApiToken` returns.
 */
const REJECTION_OF: Record<ApiTokenUnusableReason, readonly [AuthRejectionReason, string?]> = {
  revoked: ["token_revoked"],
  expired: ["api_token_expired"],
  pending: ["unknown_api_token"],
  account_locked: ["account_locked"],
  rotated_out: ["token_revoked", "rotated"],
}
const rejectionFor = (reason: ApiTokenUnusableReason) => new AuthRejection(...REJECTION_OF[reason])

/**
 * A lookup that found nothing (as against a store that failed): the store's
 * CouldNotFindError, an ApiTokenNotFoundError, or any NotFoundError. Matched by
 * class, not by a name ending in "NotFoundError".
 */
const isNotFound = (e: Error) => e instanceof CouldNotFindError || e instanceof ApiTokenNotFoundError || e instanceof NotFoundError

export const createPrincipalResolver = (deps: PrincipalResolverDeps) => {
  const now = deps.now ?? (() => new Date())
  const tokens = createApiTokenCache({
    lookup: deps.lookupApiToken,
    invalidations: deps.invalidations,
    ttlMs: deps.cacheTtlMs,
    max: deps.cacheMax,
  })
  const users = new LRUCache<string, Account>({ max: deps.cacheMax ?? 10_000, ttl: deps.cacheTtlMs })
  // sha256(secret) → key document. Never invalidated: a key document is never
  // changed, and everything that can refuse it (revocation, rotation, expiry,
  // an edit, a lock) is on the token and client records read below.
  const staticKeys = new LRUCache<string, ApiTokenStaticKey>({ max: deps.cacheMax ?? 10_000, ttl: deps.cacheTtlMs })
  // Per address: store lookups of unknown keys in the current minute (see STATIC_KEY_MISSES_PER_MINUTE).
  const keyMisses = new LRUCache<string, { minute: number; count: number }>({ max: 10_000 })
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
      // Fail closed: any status but ACTIVE (LOCKED today, a status added later) refuses the session.
      if (account.status !== "ACTIVE") return new AuthRejection("account_locked")
      return { principal: { kind: "user", userId: String(payload.sub), domainAccount: account }, expiresAt }
    }

    const clientId = typeof payload.client_id === "string" ? payload.client_id : payload.sub
    if (typeof clientId !== "string") return new AuthRejection("claim_invalid", "client_id")
    return admitApiToken({ clientId, scp: payload.scp, tokenIdClaim: payload.token_id, expiresAt, jwtId: verified.jti ?? "" }, ip)
  }

  /**
   * The token's rules, the same for a JWT and a static key: status, expiry,
   * revocation set, rotation grace, account, account lock, IP allowlist, scopes.
   * `scp` undefined (a static key): the token's own scopes.
   */
  const admitApiToken = async (
    c: { clientId: string; scp: unknown; tokenIdClaim: unknown; expiresAt: Date | undefined; jwtId: string; staticKey?: true },
    ip: string | undefined,
  ): Promise<AuthResult> => {
    const { clientId } = c
    const resolved = await cachedApiToken(clientId)
    if (resolved instanceof AuthRejection) return resolved
    const { token, client, account } = resolved
    const at = now()
    // Usability in two steps: the token and the client it came through, then (after
    // the credential's own claims) the account. That is the order of the reasons
    // this path has always given; the token hook asks about the account before the
    // client (a locked account's rotated-out client: token_revoked here, ACCOUNT_LOCKED there).
    const ofToken = apiTokenUsability(token, at, { revokedElsewhere: deps.invalidations.isRevoked(token.id), client })
    if (!ofToken.usable) return rejectionFor(ofToken.reason)
    if (token.accountId !== account.id || (c.tokenIdClaim !== undefined && c.tokenIdClaim !== token.id)) {
      return new AuthRejection("claim_invalid", "token_id")
    }
    if (c.staticKey && token.staticKey !== true) return new AuthRejection("api_token_oauth2_only")
    const ofAccount = apiTokenUsability(token, at, { account })
    if (!ofAccount.usable) return rejectionFor(ofAccount.reason)
    if (!ipAllowed(ip, token.ipAllowlist)) return new AuthRejection("ip_not_allowed")

    const scopes = scopesOf(c.scp ?? token.scopes, token)
    // A static key lives as long as its token: `expiresAt` is the token's, and a
    // socket re-checks by `refuseAt` (grace end, token expiry, or the periodic re-check).
    const expiresAt = c.expiresAt ?? token.expiresAt ?? NEVER
    let refuseAt: Date | undefined = c.expiresAt ? undefined : new Date(at.getTime() + STATIC_KEY_RECHECK_MS)
    for (const end of [client.notAfter, token.expiresAt]) {
      if (end && end.getTime() < expiresAt.getTime() && (!refuseAt || end < refuseAt)) refuseAt = end
    }
    if (refuseAt && refuseAt.getTime() >= expiresAt.getTime()) refuseAt = undefined
    return {
      principal: {
        kind: "apiToken",
        domainAccount: account,
        apiTokenId: token.id,
        clientId,
        apiTokenScopes: scopes,
        apiTokenWalletIds: token.walletIds,
        rateLimitPerMinute: token.rateLimitPerMinute,
        budget: token.budget,
        jwtId: c.jwtId,
        expiresAt,
      },
      expiresAt,
      refuseAt,
    }
  }

  const cachedStaticKey = async (keyId: string, ip: string | undefined): Promise<ApiTokenStaticKey | AuthRejection> => {
    const hit = staticKeys.get(keyId)
    if (hit) return hit
    if (!deps.lookupStaticKey) return new AuthRejection("unknown_api_token")
    const minute = Math.floor(now().getTime() / 60_000)
    const address = ip ?? "unknown"
    const misses = keyMisses.get(address)
    const counted = misses?.minute === minute ? misses.count : 0
    if (counted >= STATIC_KEY_MISSES_PER_MINUTE) return new AuthRejection("unknown_api_token", "too many unknown keys from this address")
    const found = await deps.lookupStaticKey(keyId)
    if (found instanceof Error) {
      if (!isNotFound(found)) return new AuthRejection("store_unavailable")
      keyMisses.set(address, { minute, count: counted + 1 })
      return new AuthRejection("unknown_api_token")
    }
    staticKeys.set(keyId, found)
    return found
  }

  const resolveStaticKey = async (secret: string, ip: string | undefined): Promise<AuthResult> => {
    // Format and checksum first: a mistyped or made-up key costs no lookup.
    if (checkApiTokenClientSecretFormat(secret) !== true) return new AuthRejection("malformed_token")
    const key = await cachedStaticKey(staticKeyId(secret), ip)
    if (key instanceof AuthRejection) return key
    if (!staticKeyMatches(key.verifier, secret)) return new AuthRejection("unknown_api_token")
    if (!key.staticKey) return new AuthRejection("api_token_oauth2_only")
    return admitApiToken({ clientId: key.clientId, scp: undefined, tokenIdClaim: key.tokenId, expiresAt: undefined, jwtId: "", staticKey: true }, ip)
  }

  return {
    /** `authorization` is the raw header (or connection_init value). */
    resolve: async (authorization: unknown, ip: string | undefined): Promise<AuthResult> => {
      if (deps.extractToken) {
        const token = deps.extractToken(authorization)
        return token instanceof AuthRejection ? token : resolveJwt(token, ip)
      }
      const credential = checkedToBearerCredential(authorization)
      if (credential instanceof AuthRejection) return credential
      return credential.kind === "jwt" ? resolveJwt(credential.jwt, ip) : resolveStaticKey(credential.secret, ip)
    },
    /** Drops every cached record. */
    clear: () => {
      generation += 1
      tokens.clear()
      users.clear()
      staticKeys.clear()
    },
    /** The API-token records this resolver caches; the token hook decides from the same ones. */
    apiTokens: tokens,
  }
}

export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>
