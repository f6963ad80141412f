// Static-key mode in the resolver, with the I/O ports replaced by in-memory
// tables (test/e2e/static-key.test.ts runs the same code against the stack).
import { createPrincipalResolver, ResolvedApiToken, STATIC_KEY_MISSES_PER_MINUTE } from "@/app/auth/resolve-principal"
import {
  ApiToken,
  ApiTokenClientId,
  ApiTokenId,
  ApiTokenNotFoundError,
  ApiTokenStaticKey,
  generateApiTokenClientSecret,
  staticKeyDigests,
} from "@/domain/api-tokens"
import { AuthRejection, checkedToBearerCredential } from "@/domain/auth"
import { UnknownRepositoryError } from "@/domain/shared/errors"
import type { InvalidationEvent } from "@/services/invalidation"
import { anAccount, anApiToken } from "../support/domain-fixtures"

const account = anAccount()

const setup = (opts: { token?: Partial<ApiToken>; optedIn?: boolean; notAfter?: Date; storeDown?: boolean } = {}) => {
  const secret = generateApiTokenClientSecret()
  const key: ApiTokenStaticKey = {
    ...staticKeyDigests(secret),
    tokenId: "tok-1" as ApiTokenId,
    clientId: "client-1" as ApiTokenClientId,
    staticKey: opts.optedIn ?? true,
    createdAt: new Date(0),
  }
  const keys = new Map([[key.keyId, key]])
  let current: ApiToken = anApiToken({ scopes: ["read", "write"], staticKey: opts.optedIn ?? true, ...opts.token })
  const listeners: Array<(e: InvalidationEvent) => void> = []
  const calls = { keys: 0, tokens: 0 }
  const resolver = createPrincipalResolver({
    verify: async () => new AuthRejection("bad_signature"),
    lookupApiToken: async (clientId): Promise<ResolvedApiToken | Error> => {
      calls.tokens += 1
      if (clientId !== "client-1") return new ApiTokenNotFoundError()
      return {
        token: current,
        client: { clientId: "client-1" as ApiTokenClientId, tokenId: current.id, accountId: account.id, createdAt: new Date(0), notAfter: opts.notAfter },
        account,
      }
    },
    lookupUserAccount: async () => new ApiTokenNotFoundError(),
    lookupStaticKey: async (keyId) => {
      calls.keys += 1
      if (opts.storeDown) return new UnknownRepositoryError("down")
      return keys.get(keyId) ?? new ApiTokenNotFoundError()
    },
    invalidations: {
      isRevoked: () => false,
      onInvalidated: (l) => {
        listeners.push(l)
        return () => undefined
      },
    },
    cacheTtlMs: 60_000,
  })
  const change = (over: Partial<ApiToken>) => {
    current = { ...current, ...over }
    for (const l of listeners) l({ tokenId: current.id })
  }
  return { resolver, secret, key, calls, change }
}

const reason = (r: Awaited<ReturnType<ReturnType<typeof setup>["resolver"]["resolve"]>>) =>
  r instanceof AuthRejection ? r.reason : r.principal.kind

describe("the Bearer header with a static key", () => {
  it("tells a flash_sk_ secret from a JWT, and keeps refusing other shapes", () => {
    const secret = generateApiTokenClientSecret()
    expect(checkedToBearerCredential(`Bearer ${secret}`)).toEqual({ kind: "staticKey", secret })
    expect(checkedToBearerCredential("Bearer a.b.c")).toEqual({ kind: "jwt", jwt: "a.b.c" })
    expect(checkedToBearerCredential(`Basic ${secret}`)).toMatchObject({ reason: "malformed_header" })
    expect(checkedToBearerCredential(`Bearer ${secret};x`)).toMatchObject({ reason: "malformed_header" })
  })
})

describe("resolving a static key", () => {
  it("admits an opted-in token's secret with the token's own scopes, limits and wallets", async () => {
    const { resolver, secret } = setup({ token: { rateLimitPerMinute: 7, budget: { amount: 500, unit: "SATS", period: "DAILY" } } })
    const r = await resolver.resolve(`Bearer ${secret}`, "127.0.0.1")
    if (r instanceof AuthRejection) throw r
    expect(r.principal).toMatchObject({
      kind: "apiToken",
      apiTokenId: "tok-1",
      clientId: "client-1",
      apiTokenScopes: ["read", "write", "receive"],
      rateLimitPerMinute: 7,
      budget: { amount: 500, unit: "SATS", period: "DAILY" },
    })
  })

  it("checks format and checksum before any lookup", async () => {
    const { resolver, secret, calls } = setup()
    const mistyped = `${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`
    expect(reason(await resolver.resolve(`Bearer ${mistyped}`, "127.0.0.1"))).toBe("malformed_token")
    expect(reason(await resolver.resolve("Bearer flash_sk_short", "127.0.0.1"))).toBe("malformed_token")
    expect(calls).toEqual({ keys: 0, tokens: 0 })
  })

  it("refuses the secret of a token that did not opt in as api_token_oauth2_only", async () => {
    const { resolver, secret } = setup({ optedIn: false })
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("api_token_oauth2_only")
  })

  it("refuses a well-formed secret that no token has as unknown_api_token", async () => {
    const { resolver } = setup()
    expect(reason(await resolver.resolve(`Bearer ${generateApiTokenClientSecret()}`, "127.0.0.1"))).toBe("unknown_api_token")
  })

  it("bounds the store lookups an address can cause with unknown keys, without refusing other addresses or known keys", async () => {
    const { resolver, secret, calls } = setup()
    for (let i = 0; i < STATIC_KEY_MISSES_PER_MINUTE + 5; i++) {
      expect(reason(await resolver.resolve(`Bearer ${generateApiTokenClientSecret()}`, "203.0.113.9"))).toBe("unknown_api_token")
    }
    expect(calls.keys).toBe(STATIC_KEY_MISSES_PER_MINUTE)
    // The real key from that address: its first lookup is refused too (the address used up its minute)…
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "203.0.113.9"))).toBe("unknown_api_token")
    // …but from another address it is found, and once cached it needs no lookup from anywhere.
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "198.51.100.1"))).toBe("apiToken")
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "203.0.113.9"))).toBe("apiToken")
    expect(calls.keys).toBe(STATIC_KEY_MISSES_PER_MINUTE + 1)
  })

  it("refuses when the stored verifier does not match the secret (constant-time compare)", async () => {
    const { resolver, secret, key } = setup()
    key.verifier = staticKeyDigests(generateApiTokenClientSecret()).verifier
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("unknown_api_token")
  })

  it("reads the key document once, then serves it from the cache; an edit re-reads only the token record", async () => {
    const { resolver, secret, calls, change } = setup()
    for (let i = 0; i < 5; i++) expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("apiToken")
    expect(calls).toEqual({ keys: 1, tokens: 1 })
    change({ ipAllowlist: ["10.0.0.0/8"] })
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("ip_not_allowed")
    expect(calls).toEqual({ keys: 1, tokens: 2 })
  })

  it("applies the token's rules as for a JWT: revoked, expired, rotated out, IP allowlist", async () => {
    const revoked = setup({ token: { storedStatus: "REVOKED" } })
    expect(reason(await revoked.resolver.resolve(`Bearer ${revoked.secret}`, "127.0.0.1"))).toBe("token_revoked")
    const expired = setup({ token: { expiresAt: new Date(Date.now() - 1000) } })
    expect(reason(await expired.resolver.resolve(`Bearer ${expired.secret}`, "127.0.0.1"))).toBe("api_token_expired")
    const rotated = setup({ notAfter: new Date(Date.now() - 1000) })
    expect(reason(await rotated.resolver.resolve(`Bearer ${rotated.secret}`, "127.0.0.1"))).toBe("token_revoked")
    const fenced = setup({ token: { ipAllowlist: ["10.0.0.0/8"] } })
    expect(reason(await fenced.resolver.resolve(`Bearer ${fenced.secret}`, "127.0.0.1"))).toBe("ip_not_allowed")
    expect(reason(await fenced.resolver.resolve(`Bearer ${fenced.secret}`, "10.1.2.3"))).toBe("apiToken")
  })

  it("refuses a key document marked static whose token record did not opt in", async () => {
    const { resolver, secret } = setup({ token: { staticKey: false } })
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("api_token_oauth2_only")
  })

  it("answers store_unavailable when the key store fails, and caches nothing", async () => {
    const { resolver, secret, calls } = setup({ storeDown: true })
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("store_unavailable")
    expect(reason(await resolver.resolve(`Bearer ${secret}`, "127.0.0.1"))).toBe("store_unavailable")
    expect(calls.keys).toBe(2)
  })

  it("lives as long as its token: expiresAt is the token's, a socket re-checks by the end of a rotation grace", async () => {
    const tokenEnd = new Date(Date.now() + 3600_000)
    const graceEnd = new Date(Date.now() + 60_000)
    const { resolver, secret } = setup({ token: { expiresAt: tokenEnd }, notAfter: graceEnd })
    const r = await resolver.resolve(`Bearer ${secret}`, "127.0.0.1")
    if (r instanceof AuthRejection) throw r
    expect(r.expiresAt).toEqual(tokenEnd)
    expect(r.refuseAt).toEqual(graceEnd)
  })
})
