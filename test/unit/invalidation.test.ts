// The one invalidation mechanism, with the I/O ports replaced by in-memory
// tables: an event evicts the cached records of its token or account so the
// next request reads the fresh record; the resync turns Mongo changes into
// events; sockets get the documented close codes. The e2e suite
// (test/e2e/invalidation.test.ts) runs it across two API processes and Redis.
import { createInvalidationResync, RESYNC_LOOKBACK_MS } from "@/app/auth/invalidation-resync"
import { createPrincipalResolver, ResolvedApiToken } from "@/app/auth/resolve-principal"
import type { Account, WalletId } from "@/domain/accounts"
import type { ApiToken, ApiTokenClientId } from "@/domain/api-tokens"
import { AuthRejection, AUTH_REJECTION_REASONS } from "@/domain/auth"
import type { Principal } from "@/domain/auth/principal"
import { accessNarrowed, closeFor } from "@/servers/graphql-main-server"
import { createLocalInvalidationBus, InvalidationEvent, parseInvalidationMessage } from "@/services/invalidation"
import { anAccount, anApiToken } from "../support/domain-fixtures"

const account: Account = anAccount()
const baseToken: ApiToken = anApiToken({ scopes: ["read", "write"] })

const setup = () => {
  const bus = createLocalInvalidationBus()
  // The "database": tests change it the way a use case writes Mongo.
  const db = { token: baseToken, notAfter: undefined as Date | undefined, account }
  let lookups = 0
  let gate: Promise<void> | undefined
  const jwtExp = Math.floor(Date.now() / 1000) + 300
  const resolver = createPrincipalResolver({
    verify: async (jwt) =>
      jwt.startsWith("s.")
        ? { kind: "session", payload: { sub: "user-1", exp: jwtExp }, jti: "j" }
        : { kind: "hydra", payload: { sub: "client-1", client_id: "client-1", scp: ["read", "write"], token_id: "tok-1", exp: jwtExp }, jti: "j" },
    lookupApiToken: async (): Promise<ResolvedApiToken> => {
      lookups += 1
      const snapshot: ResolvedApiToken = {
        token: db.token,
        client: { clientId: "client-1" as ApiTokenClientId, tokenId: db.token.id, accountId: account.id, createdAt: new Date(0), notAfter: db.notAfter },
        account: db.account,
      }
      if (gate) await gate
      return snapshot
    },
    lookupUserAccount: async () => db.account,
    invalidations: bus,
    cacheTtlMs: 600_000,
  })
  const resolve = async (header = "Bearer h.ok.x", ip = "127.0.0.1") => resolver.resolve(header, ip)
  const reason = async (header?: string, ip?: string) => {
    const r = await resolve(header, ip)
    return r instanceof AuthRejection ? r.reason : r.principal.kind
  }
  return { bus, db, resolve, reason, lookups: () => lookups, hold: (p: Promise<void> | undefined) => void (gate = p), jwtExp }
}

describe("an invalidation event makes the next request read the fresh record", () => {
  it("a rotation with grace 0: the old client is refused right after the token's event, not after the cache TTL", async () => {
    const s = setup()
    expect(await s.reason()).toBe("apiToken")
    s.db.notAfter = new Date(Date.now() - 1)
    expect(await s.reason()).toBe("apiToken") // cached: the write alone does not reach the process
    await s.bus.publish({ tokenId: "tok-1" })
    expect(await s.reason()).toBe("token_revoked")
  })

  it("a rotation with a grace period: accepted until notAfter, which becomes the result's refuseAt", async () => {
    const s = setup()
    await s.resolve()
    const notAfter = new Date(Date.now() + 60_000)
    s.db.notAfter = notAfter
    await s.bus.publish({ tokenId: "tok-1" })
    const r = await s.resolve()
    if (r instanceof AuthRejection) throw r
    expect(r.refuseAt).toEqual(notAfter)
    expect(r.expiresAt).toEqual(new Date(s.jwtExp * 1000))
  })

  it("an edit that narrows scopes, wallets and the IP allowlist applies to the next request", async () => {
    const s = setup()
    const before = await s.resolve()
    if (before instanceof AuthRejection) throw before
    expect(before.principal.kind === "apiToken" && [...before.principal.apiTokenScopes].sort()).toEqual(["read", "receive", "write"])
    s.db.token = { ...baseToken, scopes: ["read"], walletIds: ["w-1" as WalletId] }
    await s.bus.publish({ tokenId: "tok-1" })
    const after = await s.resolve()
    if (after instanceof AuthRejection) throw after
    expect(after.principal.kind === "apiToken" && after.principal.apiTokenScopes).toEqual(["read"])
    expect(after.principal.kind === "apiToken" && after.principal.apiTokenWalletIds).toEqual(["w-1"])
    s.db.token = { ...baseToken, ipAllowlist: ["203.0.113.7/32"] }
    await s.bus.publish({ tokenId: "tok-1" })
    expect(await s.reason()).toBe("ip_not_allowed")
  })

  it("an event of another token leaves this token's record cached", async () => {
    const s = setup()
    await s.resolve()
    await s.bus.publish({ tokenId: "tok-other" })
    await s.resolve()
    expect(s.lookups()).toBe(1)
  })

  it("an account lock refuses both the account's API tokens and its user sessions", async () => {
    const s = setup()
    expect(await s.reason()).toBe("apiToken")
    expect(await s.reason("Bearer s.ok.x")).toBe("user")
    s.db.account = { ...account, status: "LOCKED" }
    await s.bus.publish({ accountId: "acc-1" })
    expect(await s.reason()).toBe("account_locked")
    expect(await s.reason("Bearer s.ok.x")).toBe("account_locked")
  })

  it("a lookup that was in flight during an event answers its request but is not cached", async () => {
    const s = setup()
    let release!: () => void
    s.hold(new Promise<void>((r) => (release = r)))
    const inFlight = s.resolve() // reads the record as it was
    await new Promise((r) => setImmediate(r)) // the lookup has read it and waits
    s.db.notAfter = new Date(Date.now() - 1)
    await s.bus.publish({ tokenId: "tok-1" })
    release()
    s.hold(undefined)
    expect(await inFlight).not.toBeInstanceOf(AuthRejection)
    expect(await s.reason()).toBe("token_revoked")
  })

  it("a revocation is remembered: the token stays refused even if the record were read again as active", async () => {
    const s = setup()
    await s.resolve()
    await s.bus.publish({ tokenId: "tok-1", revoked: true })
    expect(await s.reason()).toBe("token_revoked")
    expect(s.bus.isRevoked("tok-1")).toBe(true)
  })
})

describe("the bus's wire format", () => {
  it("reads token and account events and ignores anything else", () => {
    expect(parseInvalidationMessage(JSON.stringify({ tokenId: "t" }))).toEqual({ tokenId: "t" })
    expect(parseInvalidationMessage(JSON.stringify({ tokenId: "t", revoked: true }))).toEqual({ tokenId: "t", revoked: true })
    expect(parseInvalidationMessage(JSON.stringify({ accountId: "a" }))).toEqual({ accountId: "a" })
    for (const junk of ["t", "{}", "[]", "null", JSON.stringify({ tokenId: 5 }), JSON.stringify({ tokenId: "" })]) {
      expect(parseInvalidationMessage(junk)).toBeUndefined()
    }
  })
})

describe("WebSocket close codes", () => {
  it.each([
    ["token_expired", 4440],
    ["api_token_expired", 4440],
    ["token_revoked", 4441],
    ["unknown_api_token", 4441],
    ["account_locked", 4442],
    ["ip_not_allowed", 4442],
  ] as const)("closes a socket refused for %s with %i", (reason, code) => {
    expect(closeFor(reason)?.code).toBe(code)
  })

  it("keeps a socket open (its operations refused) while the store or the JWKS is unavailable", () => {
    expect(closeFor("store_unavailable")).toBeUndefined()
    expect(closeFor("jwks_unavailable")).toBeUndefined()
  })

  it("gives every other rejection reason a close code", () => {
    for (const r of AUTH_REJECTION_REASONS) if (r !== "store_unavailable" && r !== "jwks_unavailable") expect(closeFor(r)).toBeDefined()
  })

  const p = (scopes: string[], walletIds?: string[]): Principal =>
    ({ kind: "apiToken", apiTokenScopes: scopes, apiTokenWalletIds: walletIds }) as unknown as Principal
  it.each([
    ["a scope removed", p(["read", "write"]), p(["read"]), true],
    ["wallets limited where all were allowed", p(["read"]), p(["read"], ["w1"]), true],
    ["a wallet removed", p(["read"], ["w1", "w2"]), p(["read"], ["w1"]), true],
    ["nothing removed (limits only)", p(["read"], ["w1"]), p(["read"], ["w1"]), false],
    ["a scope added", p(["read"]), p(["read", "receive"]), false],
    ["a wallet limit lifted", p(["read"], ["w1"]), p(["read"]), false],
  ])("counts %s as narrowed: %s", (_name, before, next, expected) => {
    expect(accessNarrowed(before, next)).toBe(expected)
  })
})

describe("the periodic resync from Mongo", () => {
  const resyncWith = (tables: {
    revoked?: string[]
    tokens?: Array<{ id: string; changedAt: Date; revoked: boolean }>
    accounts?: Array<{ id: string; changedAt: Date }>
    fail?: boolean
  }) => {
    const bus = createLocalInvalidationBus()
    const seen: InvalidationEvent[] = []
    bus.onInvalidated((e) => seen.push(e))
    const sinces: Date[] = []
    let clock = Date.parse("2026-01-01T00:00:00Z")
    const resync = createInvalidationResync({
      bus,
      listRevokedSince: async () => tables.revoked ?? [],
      listTokensChangedSince: async (since) => {
        sinces.push(since)
        return tables.fail ? new Error("down") : (tables.tokens ?? []).filter((t) => t.changedAt >= since)
      },
      listAccountsChangedSince: async (since) => (tables.accounts ?? []).filter((a) => a.changedAt >= since),
      revokedLookbackMs: 3600_000,
      now: () => new Date(clock),
    })
    return { bus, seen, sinces, resync, tick: (ms: number) => void (clock += ms), at: (ms: number) => new Date(clock + ms) }
  }

  it("turns each change it has not applied yet into an event, once", async () => {
    const changedAt = new Date(Date.parse("2026-01-01T00:00:00Z"))
    const tables = { tokens: [{ id: "t1", changedAt, revoked: false }, { id: "t2", changedAt, revoked: true }], accounts: [{ id: "a1", changedAt }] }
    const s = resyncWith(tables)
    await s.resync.run()
    expect(s.seen).toEqual([{ tokenId: "t1" }, { tokenId: "t2", revoked: true }, { accountId: "a1" }])
    expect(s.bus.isRevoked("t2")).toBe(true)
    await s.resync.run()
    expect(s.seen).toHaveLength(3)
  })

  it("applies a record changed again (a new stamp) once more", async () => {
    const tokens = [{ id: "t1", changedAt: new Date(Date.parse("2026-01-01T00:00:00Z")), revoked: false }]
    const s = resyncWith({ tokens })
    await s.resync.run()
    tokens[0] = { id: "t1", changedAt: s.at(1), revoked: false }
    await s.resync.run()
    expect(s.seen).toEqual([{ tokenId: "t1" }, { tokenId: "t1" }])
  })

  it("refills the revocation set with revoked ids it did not know", async () => {
    const s = resyncWith({ revoked: ["t9"] })
    await s.resync.run()
    await s.resync.run()
    expect(s.bus.isRevoked("t9")).toBe(true)
    expect(s.seen).toEqual([{ tokenId: "t9", revoked: true }])
  })

  it("moves its watermark to the last query minus the look-back, and keeps it when the store fails", async () => {
    const s = resyncWith({})
    await s.resync.run()
    s.tick(10_000)
    await s.resync.run()
    expect(s.sinces[1]!.getTime()).toBe(Date.parse("2026-01-01T00:00:00Z") - RESYNC_LOOKBACK_MS)
    const f = resyncWith({ fail: true })
    await f.resync.run()
    f.tick(10_000)
    await f.resync.run()
    expect(f.sinces[1]).toEqual(f.sinces[0])
  })

  it("runs once more when asked during a run (a reconnect while a tick runs is not lost)", async () => {
    const s = resyncWith({})
    await Promise.all([s.resync.run(), s.resync.run()])
    expect(s.sinces).toHaveLength(2)
  })
})
