// Verifies a JWT from one of the trusted issuers. The issuer is chosen by the
// unverified `iss`, then jose checks everything against that issuer's own key
// set and algorithm allow-list: signature, alg, iss, exp, nbf (with a small
// clock tolerance), the maximum token age and, when configured, aud.
//
// A token that passed is remembered by its exact text (every byte of header,
// payload and signature) until it expires, so a client that sends the same JWT
// on every request pays for one signature check, not one per request. A hit is
// only the same bytes that were verified before: the time-bound claims (exp,
// maximum age) are checked again on every use, and everything that can change
// after issuance (revocation, token status, account lock, IP allowlist) is the
// principal resolver's job, which runs on every request, hit or not. A token
// stays remembered for at most a minute before it is verified again, so a
// signing key withdrawn from the JWKS stops its tokens at most a minute after
// the cached key set forgets it (see remote-key-set.ts for when that is).
import { decodeJwt, decodeProtectedHeader, errors, JWTPayload, jwtVerify } from "jose"
import { LRUCache } from "lru-cache"
import { AuthRejection } from "@/domain/auth"
import { KeyOutsideAllowedSetError, KeySetListUnavailableError } from "./access-token-key-ids"
import type { RemoteKeySet } from "./remote-key-set"

export type TrustedIssuer<K extends string> = {
  kind: K
  issuer: string
  keys: RemoteKeySet
  algorithms: string[]
}

export type VerifiedJwt<K extends string> = { kind: K; payload: JWTPayload; jti: string | undefined }

const toRejection = (e: unknown): AuthRejection => {
  // A key Hydra publishes, but not one of its access-token keys (e.g. the OpenID key).
  if (e instanceof KeyOutsideAllowedSetError) return new AuthRejection("key_not_allowed")
  if (e instanceof KeySetListUnavailableError) return new AuthRejection("jwks_unavailable")
  // jose reports a token past the maximum age as JWTExpired on the iat claim
  if (e instanceof errors.JWTExpired) return new AuthRejection(e.claim === "iat" ? "token_too_old" : "token_expired")
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return new AuthRejection("token_not_yet_valid")
    if (e.claim === "iat" && /age/i.test(e.message)) return new AuthRejection("token_too_old")
    return new AuthRejection("claim_invalid", e.claim)
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new AuthRejection("alg_not_allowed")
  if (e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys)
    return new AuthRejection("unknown_key")
  if (e instanceof errors.JWSSignatureVerificationFailed) return new AuthRejection("bad_signature")
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return new AuthRejection("jwks_unavailable")
  if (e instanceof errors.JOSENotSupported) return new AuthRejection("alg_not_allowed")
  if (e instanceof errors.JOSEError) return new AuthRejection("malformed_token", e.code)
  // fetch failures of the JWKS (connection refused, DNS) surface as plain errors
  return new AuthRejection("jwks_unavailable")
}

export const createJwtVerifier = <K extends string>(opts: {
  issuers: TrustedIssuer<K>[]
  clockToleranceSeconds: number
  maxAgeSeconds: number
  audience?: string
  /** Verified tokens remembered (0 turns the cache off), each for at most cacheTtlMs. */
  cacheMax?: number
  cacheTtlMs?: number
  now?: () => number
}) => {
  const byIssuer = new Map(opts.issuers.map((i) => [i.issuer, i]))
  const nowMs = opts.now ?? Date.now
  const cacheMax = opts.cacheMax ?? 5_000
  const verified = cacheMax > 0 ? new LRUCache<string, VerifiedJwt<K>>({ max: cacheMax, ttl: opts.cacheTtlMs ?? 60_000 }) : undefined
  // jose's rules, in seconds: expired when exp <= now - tolerance; too old when now - iat - tolerance > max age.
  const stillTimely = (payload: JWTPayload) => {
    const now = nowMs() / 1000
    const tol = opts.clockToleranceSeconds
    return (
      typeof payload.exp === "number" &&
      payload.exp > now - tol &&
      typeof payload.iat === "number" &&
      now - payload.iat - tol <= opts.maxAgeSeconds
    )
  }

  return async (token: string): Promise<VerifiedJwt<K> | AuthRejection> => {
    const hit = verified?.get(token)
    if (hit) {
      if (stillTimely(hit.payload)) return hit
      // Out of its time: forget it, and let jose name the reason below.
      verified!.delete(token)
    }
    const result = await verifyUncached(token)
    if (verified && !(result instanceof AuthRejection) && stillTimely(result.payload)) {
      verified.set(token, Object.freeze({ ...result, payload: deepFreeze(result.payload) }))
    }
    return result
  }

  async function verifyUncached(token: string): Promise<VerifiedJwt<K> | AuthRejection> {
    let iss: unknown
    let alg: unknown
    try {
      alg = decodeProtectedHeader(token).alg
      iss = decodeJwt(token).iss
    } catch {
      return new AuthRejection("malformed_token")
    }
    const trusted = typeof iss === "string" ? byIssuer.get(iss) : undefined
    if (!trusted) return new AuthRejection("unknown_issuer")
    // Checked before any key lookup: `none` and HMAC never reach the key set.
    if (typeof alg !== "string" || !trusted.algorithms.includes(alg)) return new AuthRejection("alg_not_allowed")
    try {
      const { payload } = await jwtVerify(token, trusted.keys.getKey, {
        issuer: trusted.issuer,
        algorithms: trusted.algorithms,
        clockTolerance: opts.clockToleranceSeconds,
        maxTokenAge: opts.maxAgeSeconds,
        audience: opts.audience,
        requiredClaims: ["exp", "iat", "sub"],
        // jose's own clock, so that a test clock (opts.now) also drives exp and age
        currentDate: new Date(nowMs()),
      })
      return { kind: trusted.kind, payload, jti: payload.jti }
    } catch (e) {
      return toRejection(e)
    }
  }
}

/** Cached payloads are shared by every request that sends the token: nobody may change them. */
const deepFreeze = <T>(value: T): T => {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const v of Object.values(value)) deepFreeze(v)
  }
  return value
}
