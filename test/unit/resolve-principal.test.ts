// The rules applied to a verified JWT, with the I/O ports replaced by in-memory
// tables (the integration tests run the same code against the real services).
import { createPrincipalResolver, ResolvedApiToken } from "@/app/auth/resolve-principal"
import type { Account } from "@/domain/accounts"
import { ApiToken, ApiTokenClientId, ApiTokenId, ApiTokenNotFoundError } from "@/domain/api-tokens"
import { AuthRejection } from "@/domain/auth"
import { CouldNotFindError } from "@/domain/shared/errors"
import type { InvalidationEvent } from "@/services/invalidation"
import { anAccount, anApiToken } from "../support/domain-fixtures"

const account: Account = anAccount()
const token = (over: Partial<ApiToken> = {}): ApiToken => anApiToken({ scopes: ["read", "receive"], ...over })

const setup = (
  opts: {
    token?: ApiToken
    notAfter?: Date
    account?: Account
    scp?: string[]
    extractToken?: (authorization: unknown) => string | AuthRejection
  } = {},
) => {
  const revoked = new Set<string>()
  const listeners: Array<(e: InvalidationEvent) => void> = []
  let lookups = 0
  const record = (): ResolvedApiToken => ({
    token: opts.token ?? token(),
    client: {
      clientId: "client-1" as ApiTokenClientId,
      tokenId: "tok-1" as ApiTokenId,
      accountId: account.id,
      createdAt: new Date(0),
      notAfter: opts.notAfter,
    },
    account: opts.account ?? account,
  })
  const resolver = createPrincipalResolver({
    verify: async (jwt) => {
      if (jwt === "h.bad.sig") return new AuthRejection("bad_signature")
      const kind = jwt.startsWith("s.") ? "session" : "hydra"
      const exp = Math.floor(Date.now() / 1000) + 60
      return kind === "session"
        ? { kind, payload: { sub: jwt === "s.unknown.x" ? "nobody" : "user-1", exp }, jti: "j" }
        : { kind, payload: { sub: "client-1", client_id: jwt === "h.unknown.x" ? "nope" : "client-1", scp: opts.scp ?? ["read", "receive"], token_id: "tok-1", exp }, jti: "j" }
    },
    lookupApiToken: async (clientId) => {
      lookups += 1
      return clientId === "client-1" ? record() : new ApiTokenNotFoundError()
    },
    lookupUserAccount: async (userId) => (userId === "user-1" ? (opts.account ?? account) : new CouldNotFindError()),
    invalidations: {
      isRevoked: (id) => revoked.has(id),
      onInvalidated: (l) => {
        listeners.push(l)
        return () => undefined
      },
    },
    cacheTtlMs: 60_000,
    extractToken: opts.extractToken,
  })
  const revoke = (id: string) => {
    revoked.add(id)
    for (const l of listeners) l({ tokenId: id, revoked: true })
  }
  return { resolver, revoke, lookups: () => lookups }
}

const reasonOf = async (r: ReturnType<typeof setup>["resolver"], header: string, ip = "127.0.0.1") => {
  const result = await r.resolve(header, ip)
  return result instanceof AuthRejection ? result.reason : result.principal.kind
}

describe("resolving a principal from a verified JWT", () => {
  it("maps a user session to the user's account", async () => {
    expect(await reasonOf(setup().resolver, "Bearer s.ok.x")).toBe("user")
  })

  it("maps an API token to its account with the JWT's scopes that the token still has", async () => {
    const { resolver } = setup({ scp: ["read", "write"] })
    const r = await resolver.resolve("Bearer h.ok.x", "127.0.0.1")
    if (r instanceof AuthRejection) throw r
    expect(r.principal).toMatchObject({ kind: "apiToken", apiTokenId: "tok-1", domainAccount: { id: "acc-1" } })
    expect(r.principal.kind === "apiToken" && [...r.principal.apiTokenScopes].sort()).toEqual(["read"])
  })

  it("gives a write token the receive scope too", async () => {
    const { resolver } = setup({ token: token({ scopes: ["write"] }), scp: ["write"] })
    const r = await resolver.resolve("Bearer h.ok.x", "127.0.0.1")
    if (r instanceof AuthRejection) throw r
    expect(r.principal.kind === "apiToken" && [...r.principal.apiTokenScopes].sort()).toEqual(["receive", "write"])
  })

  it.each([
    ["a verification failure keeps its reason", {}, "Bearer h.bad.sig", "bad_signature"],
    ["an unknown client id", {}, "Bearer h.unknown.x", "unknown_api_token"],
    ["an unknown user", {}, "Bearer s.unknown.x", "unknown_user"],
    ["a revoked record", { token: token({ storedStatus: "REVOKED" }) }, "Bearer h.ok.x", "token_revoked"],
    ["an expired API token", { token: token({ expiresAt: new Date(Date.now() - 1000) }) }, "Bearer h.ok.x", "api_token_expired"],
    ["a PENDING record, even from a lookup that returns it", { token: token({ storedStatus: "PENDING" }) }, "Bearer h.ok.x", "unknown_api_token"],
    ["a rotated-out client after its grace period", { notAfter: new Date(Date.now() - 1) }, "Bearer h.ok.x", "token_revoked"],
    ["a locked account (API token)", { account: { ...account, status: "LOCKED" as const } }, "Bearer h.ok.x", "account_locked"],
    ["an account of any status but ACTIVE (API token: fails closed, as the token hook)", { account: { ...account, status: "CLOSED" as Account["status"] } }, "Bearer h.ok.x", "account_locked"],
    ["a locked account (session)", { account: { ...account, status: "LOCKED" as const } }, "Bearer s.ok.x", "account_locked"],
    ["an account of any status but ACTIVE (session: fails closed too)", { account: { ...account, status: "CLOSED" as Account["status"] } }, "Bearer s.ok.x", "account_locked"],
    ["a caller outside the IP allowlist", { token: token({ ipAllowlist: ["10.0.0.0/8"] }) }, "Bearer h.ok.x", "ip_not_allowed"],
  ])("refuses %s", async (_name, opts, header, expected) => {
    expect(await reasonOf(setup(opts).resolver, header)).toBe(expected)
  })

  it("reports the token and its client before the credential's claims, and those before the account (not the token hook's order)", async () => {
    const locked = { ...account, status: "LOCKED" as const }
    const past = new Date(Date.now() - 1)
    const rotatedOut = await setup({ notAfter: past, account: locked }).resolver.resolve("Bearer h.ok.x", "127.0.0.1")
    expect(rotatedOut instanceof AuthRejection && rotatedOut.message).toBe("token_revoked: rotated")
    expect(await reasonOf(setup({ token: token({ expiresAt: past }), account: locked }).resolver, "Bearer h.ok.x")).toBe("api_token_expired")
    expect(await reasonOf(setup({ token: token({ id: "tok-2" as ApiTokenId }), account: locked }).resolver, "Bearer h.ok.x")).toBe("claim_invalid")
  })

  it("keeps a rotated-out client working during its grace period", async () => {
    expect(await reasonOf(setup({ notAfter: new Date(Date.now() + 60_000) }).resolver, "Bearer h.ok.x")).toBe("apiToken")
  })

  it("serves repeated requests from the cache and refuses at once after a revocation", async () => {
    const s = setup()
    expect(await reasonOf(s.resolver, "Bearer h.ok.x")).toBe("apiToken")
    expect(await reasonOf(s.resolver, "Bearer h.ok.x")).toBe("apiToken")
    expect(s.lookups()).toBe(1)
    s.revoke("tok-1")
    expect(await reasonOf(s.resolver, "Bearer h.ok.x")).toBe("token_revoked")
  })

  it("takes only a compact JWT from the header unless another extractor is given (the benchmark's opaque tokens)", async () => {
    expect(await reasonOf(setup().resolver, "Bearer ory_at_opaque.value")).toBe("malformed_header")
    const opaque = setup({ extractToken: (raw) => (raw === "Bearer ory_at_opaque.value" ? "h.ok.x" : new AuthRejection("malformed_header")) })
    expect(await reasonOf(opaque.resolver, "Bearer ory_at_opaque.value")).toBe("apiToken")
  })
})
