// The token hook's decision served from the API's cache of token records (issue
// 17, item 3), with the store replaced by an in-memory table: the cache the
// request path uses answers repeated issuances without a read, and every event
// of the invalidation bus makes the next issuance decide on the fresh record.
// test/e2e/token-hook-invalidation.test.ts runs it through Hydra and two API processes.
import { createApiTokenCache, ResolvedApiToken } from "@/app/auth/api-token-cache"
import { decideTokenIssuance } from "@/app/api-tokens/decide-token-issuance"
import type { Account } from "@/domain/accounts"
import { ApiToken, ApiTokenClientId, ApiTokenNotFoundError } from "@/domain/api-tokens"
import { RepositoryError } from "@/domain/shared/errors"
import { createLocalInvalidationBus } from "@/services/invalidation"
import { anAccount, anApiToken } from "../support/domain-fixtures"

const setup = () => {
  const bus = createLocalInvalidationBus()
  const db = { token: anApiToken({ scopes: ["read", "write"] }) as ApiToken, account: anAccount() as Account, notAfter: undefined as Date | undefined, down: false }
  let reads = 0
  let gate: Promise<void> | undefined
  const cache = createApiTokenCache({
    lookup: async (clientId): Promise<ResolvedApiToken | Error> => {
      reads += 1
      if (db.down) return new RepositoryError("store down")
      if (clientId !== "client-1") return new ApiTokenNotFoundError()
      const snapshot = {
        token: db.token,
        client: { clientId: "client-1" as ApiTokenClientId, tokenId: db.token.id, accountId: db.account.id, createdAt: new Date(0), notAfter: db.notAfter },
        account: db.account,
      }
      if (gate) await gate
      return snapshot
    },
    invalidations: bus,
    ttlMs: 600_000,
  })
  const decide = async (granted: string[] = ["read"], clientId = "client-1") => {
    const d = await decideTokenIssuance(clientId, granted, { lookup: cache.get, isRevoked: bus.isRevoked })
    return d instanceof Error ? d.name : d.allow ? "allow" : d.reason
  }
  return { bus, db, decide, reads: () => reads, hold: (p: Promise<void> | undefined) => void (gate = p) }
}

describe("the token hook's decision from the shared cache", () => {
  it("serves repeated issuances of a client from one read", async () => {
    const s = setup()
    for (let i = 0; i < 5; i++) expect(await s.decide()).toBe("allow")
    expect(s.reads()).toBe(1)
  })

  it("refuses a revoked token right after its event, even before the record is read again", async () => {
    const s = setup()
    expect(await s.decide()).toBe("allow")
    await s.bus.publish({ tokenId: "tok-1", revoked: true })
    expect(await s.decide()).toBe("TOKEN_REVOKED") // the bus's revocation set; the record still says ACTIVE
  })

  it("refuses the old client of a rotation with grace 0 right after the token's event", async () => {
    const s = setup()
    expect(await s.decide()).toBe("allow")
    s.db.notAfter = new Date(Date.now() - 1)
    expect(await s.decide()).toBe("allow") // the write alone does not reach the cache
    await s.bus.publish({ tokenId: "tok-1" })
    expect(await s.decide()).toBe("CLIENT_ROTATED_OUT")
  })

  it("refuses a grant beyond narrowed scopes right after the token's event", async () => {
    const s = setup()
    expect(await s.decide(["read", "write"])).toBe("allow")
    s.db.token = { ...s.db.token, scopes: ["read"] }
    await s.bus.publish({ tokenId: "tok-1" })
    expect(await s.decide(["read", "write"])).toBe("SCOPE_NOT_GRANTED")
    expect(await s.decide(["read"])).toBe("allow")
  })

  it("refuses every token of a locked account right after the account's event, and allows again after the unlock's", async () => {
    const s = setup()
    expect(await s.decide()).toBe("allow")
    s.db.account = { ...s.db.account, status: "LOCKED" }
    await s.bus.publish({ accountId: s.db.account.id })
    expect(await s.decide()).toBe("ACCOUNT_LOCKED")
    s.db.account = { ...s.db.account, status: "ACTIVE" }
    await s.bus.publish({ accountId: s.db.account.id })
    expect(await s.decide()).toBe("allow")
  })

  it("reports a locked account before a rotated-out client (not the request path's order)", async () => {
    const s = setup()
    s.db.account = { ...s.db.account, status: "LOCKED" }
    s.db.notAfter = new Date(Date.now() - 1)
    expect(await s.decide()).toBe("ACCOUNT_LOCKED")
  })

  it("refuses a token that expired while cached, with no event at all", async () => {
    const s = setup()
    s.db.token = { ...s.db.token, expiresAt: new Date(Date.now() + 50) }
    expect(await s.decide()).toBe("allow")
    await new Promise((r) => setTimeout(r, 60))
    expect(await s.decide()).toBe("TOKEN_EXPIRED")
    expect(s.reads()).toBe(1)
  })

  it("does not cache a record read while an event arrived: the next issuance reads the fresh one", async () => {
    const s = setup()
    let release!: () => void
    s.hold(new Promise<void>((r) => (release = r)))
    const inFlight = s.decide()
    await new Promise((r) => setImmediate(r))
    s.db.token = { ...s.db.token, storedStatus: "REVOKED", revokedAt: new Date() }
    await s.bus.publish({ tokenId: "tok-1" })
    release()
    s.hold(undefined)
    expect(await inFlight).toBe("allow") // decided on what it read before the change
    expect(await s.decide()).toBe("TOKEN_REVOKED")
  })

  it("refuses a PENDING record as an unknown client (no ids, as the store's lookup), even from a lookup that returns it", async () => {
    const s = setup()
    s.db.token = { ...s.db.token, storedStatus: "PENDING" }
    expect(await s.decide()).toBe("UNKNOWN_CLIENT")
    const token = anApiToken({ storedStatus: "PENDING" })
    const client = { clientId: "client-1" as ApiTokenClientId, tokenId: token.id, accountId: token.accountId, createdAt: new Date(0), notAfter: undefined }
    expect(await decideTokenIssuance("client-1", ["read"], { lookup: async () => ({ token, client, account: anAccount() }) })).toEqual({
      allow: false,
      reason: "UNKNOWN_CLIENT",
    })
  })

  it("caches neither an unknown client nor a store failure", async () => {
    const s = setup()
    expect(await s.decide(["read"], "nobody")).toBe("UNKNOWN_CLIENT")
    expect(await s.decide(["read"], "nobody")).toBe("UNKNOWN_CLIENT")
    s.db.down = true
    expect(await s.decide()).toBe("RepositoryError")
    s.db.down = false
    expect(await s.decide()).toBe("allow")
    expect(s.reads()).toBe(4)
  })
})

describe("InvalidationBus.caughtUp", () => {
  it("answers true at once without Redis (this process is the only publisher)", async () => {
    expect(await createLocalInvalidationBus().caughtUp()).toBe(true)
  })
})
