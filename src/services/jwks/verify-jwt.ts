// Verifies a JWT from one of the trusted issuers. The issuer is chosen by the
// unverified `iss`, then jose checks everything against that issuer's own key
// set and algorithm allow-list: signature, alg, iss, exp, nbf (with a small
// clock tolerance), the maximum token age and, when configured, aud.
import { decodeJwt, decodeProtectedHeader, errors, JWTPayload, jwtVerify } from "jose"
import { AuthRejection } from "@/domain/auth"
import type { RemoteKeySet } from "./remote-key-set"

export type TrustedIssuer<K extends string> = {
  kind: K
  issuer: string
  keys: RemoteKeySet
  algorithms: string[]
}

export type VerifiedJwt<K extends string> = { kind: K; payload: JWTPayload; jti: string | undefined }

const toRejection = (e: unknown): AuthRejection => {
  if (e instanceof errors.JWTExpired) return new AuthRejection("token_expired")
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
}) => {
  const byIssuer = new Map(opts.issuers.map((i) => [i.issuer, i]))
  return async (token: string): Promise<VerifiedJwt<K> | AuthRejection> => {
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
      })
      return { kind: trusted.kind, payload, jti: payload.jti }
    } catch (e) {
      return toRejection(e)
    }
  }
}
