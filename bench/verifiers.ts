// The two designs the benchmark compares our JWT path against (issue 8, rows 4
// and 5). Both plug into the real principal resolver as its `verify` step, so
// everything after it — the cached token record, status, expiry, revocation
// set, scopes, rate limit, shield, resolvers — is the same code as row 3 and
// only the per-request check differs. Bench-only: nothing in src/ imports this.
import { createHash } from "node:crypto"
import mongoose from "mongoose"
import type { IssuerKind } from "@/app/auth/resolve-principal"
import { AuthRejection, MAX_AUTHORIZATION_LENGTH } from "@/domain/auth"
import type { VerifiedJwt } from "@/services/jwks/verify-jwt"

type Verify = (token: string) => Promise<VerifiedJwt<IssuerKind> | AuthRejection>

/** `Bearer <anything>`: opaque Hydra tokens (`ory_at_….…`) and static keys are not JWTs. */
export const anyBearerToken = (raw: unknown): string | AuthRejection => {
  if (raw === undefined || raw === null || raw === "") return new AuthRejection("missing_token")
  if (typeof raw !== "string") return new AuthRejection("malformed_header")
  if (raw.length > MAX_AUTHORIZATION_LENGTH) return new AuthRejection("header_too_large")
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/=-]+)[ ]*$/i.exec(raw)
  return match ? match[1]! : new AuthRejection("malformed_header")
}

type Introspection = {
  active: boolean
  client_id?: string
  sub?: string
  scope?: string
  exp?: number
  iat?: number
  iss?: string
  ext?: Record<string, unknown>
}

/**
 * Galoy upstream's design: every request asks Hydra's admin API whether the
 * (opaque) token is active — one HTTP round trip to Hydra, which reads its
 * database, per request. undici's global dispatcher keeps connections alive.
 */
export const introspectionVerifier =
  (hydraAdminUrl: string): Verify =>
  async (token) => {
    let body: Introspection
    try {
      const res = await fetch(`${hydraAdminUrl}/admin/oauth2/introspect`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token }),
      })
      if (!res.ok) return new AuthRejection("store_unavailable", `introspection ${res.status}`)
      body = (await res.json()) as Introspection
    } catch {
      return new AuthRejection("store_unavailable", "introspection unreachable")
    }
    if (!body.active) return new AuthRejection("token_revoked", "inactive")
    return {
      kind: "hydra",
      payload: {
        iss: body.iss,
        sub: body.sub,
        client_id: body.client_id,
        scp: (body.scope ?? "").split(" ").filter(Boolean),
        exp: body.exp,
        iat: body.iat,
        token_id: body.ext?.token_id,
      },
      jti: undefined,
    }
  }

export const STATIC_KEY_COLLECTION = "bench_static_api_keys"
export type StaticKeyDoc = {
  /** sha256 of the key, hex: the lookup key. */
  _id: string
  /** The API token the key stands for (so the rest of the path is row 3's). */
  clientId: string
  accountId: string
  scopes: string[]
  createdAt: Date
  lastUsedAt?: Date
}

export const hashStaticKey = (key: string) => createHash("sha256").update(key).digest("hex")

/**
 * Flash's current API keys: the key is hashed, looked up in Mongo, and the
 * record's `lastUsedAt` written — a read and a write on the database per request.
 */
export const staticKeyVerifier = (): Verify => async (key) => {
  const db = mongoose.connection.db
  if (!db) return new AuthRejection("store_unavailable", "not connected")
  const keys = db.collection<StaticKeyDoc>(STATIC_KEY_COLLECTION)
  const _id = hashStaticKey(key)
  try {
    const doc = await keys.findOne({ _id })
    if (!doc) return new AuthRejection("unknown_api_token")
    await keys.updateOne({ _id }, { $set: { lastUsedAt: new Date() } })
    const now = Math.floor(Date.now() / 1000)
    return {
      kind: "hydra",
      payload: { sub: doc.clientId, client_id: doc.clientId, scp: doc.scopes, iat: now, exp: now + 300 },
      jti: undefined,
    }
  } catch {
    return new AuthRejection("store_unavailable")
  }
}
