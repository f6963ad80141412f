// apiTokenUpdate and rotation as use cases against the real FerretDB and Hydra:
// what each writes (Mongo first, with its changedAt stamp), what it publishes
// on the invalidation bus, and what Hydra grants afterwards.
import { createApiToken, rotateApiToken, updateApiToken } from "@/app/api-tokens"
import type { ApiTokensDeps } from "@/app/api-tokens"
import { createLocalInvalidationBus, InvalidationEvent } from "@/services/invalidation"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { AuditEventModel } from "@/services/mongoose/audit-events"
import { exchange, hydraClient, newMerchant, setUp, tearDown, unwrap } from "./helpers"

let deps: ApiTokensDeps
let events: InvalidationEvent[]
beforeAll(async () => {
  const base = await setUp()
  const bus = createLocalInvalidationBus()
  deps = { ...base, invalidation: bus }
  bus.onInvalidated((e) => events.push(e))
})
beforeEach(() => (events = []))
afterAll(tearDown)

describe("updateApiToken", () => {
  it("narrows the record and the Hydra client's scopes, stamps changedAt, publishes the token's event and records an audit event", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "edit", scopes: ["read", "write"] }, deps))
    const before = new Date()
    const updated = unwrap(await updateApiToken({ caller: m.caller, id: created.token.id, scopes: ["read"], rateLimitPerMinute: 30 }, deps))
    expect(updated).toMatchObject({ scopes: ["read"], rateLimitPerMinute: 30, clientId: created.clientId })
    expect(events).toEqual([{ tokenId: created.token.id }])
    const doc = await ApiTokenModel.findById(created.token.id).lean<{ changedAt: Date; scopes: string[] }>()
    expect(doc!.scopes).toEqual(["read"])
    expect(doc!.changedAt.getTime()).toBeGreaterThanOrEqual(before.getTime() - 1000)
    expect((await hydraClient(created.clientId)).body?.scope).toBe("read")
    expect((await exchange(created.clientId, created.clientSecret, { scope: "write" })).status).toBeGreaterThanOrEqual(400)
    const audit = await AuditEventModel.findOne({ tokenId: created.token.id, type: "API_TOKEN_UPDATED" }).lean()
    expect(audit).not.toBeNull()
  })

  it("removes a limit with null and leaves omitted fields as they are", async () => {
    const m = await newMerchant()
    const created = unwrap(
      await createApiToken({ caller: m.caller, name: "limits", scopes: ["read"], ipAllowlist: ["10.0.0.0/8"], rateLimitPerMinute: 10 }, deps),
    )
    const updated = unwrap(await updateApiToken({ caller: m.caller, id: created.token.id, ipAllowlist: null }, deps))
    expect(updated.ipAllowlist).toBeUndefined()
    expect(updated.rateLimitPerMinute).toBe(10)
    expect(updated.scopes).toEqual(["read"])
  })

  it("sets, replaces and removes a budget, publishing each change so every replica enforces it at once", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "budget", scopes: ["read", "write"] }, deps))
    const id = created.token.id
    const weekly = { amount: 700, unit: "SATS", period: "WEEKLY", maxPerPayment: 100 }
    expect(unwrap(await updateApiToken({ caller: m.caller, id, budget: weekly }, deps)).budget).toEqual(weekly)
    expect(events).toEqual([{ tokenId: id }])
    // The deprecated alias replaces it with a DAILY SATS budget.
    expect(unwrap(await updateApiToken({ caller: m.caller, id, dailySendLimit: 50 }, deps)).budget).toEqual({ amount: 50, unit: "SATS", period: "DAILY" })
    expect(unwrap(await updateApiToken({ caller: m.caller, id, budget: null }, deps)).budget).toBeUndefined()
    expect(events).toHaveLength(3)
    const doc = await ApiTokenModel.findById(id).lean<Record<string, unknown>>()
    expect(doc).not.toHaveProperty("budget")
    expect(doc).not.toHaveProperty("dailySendLimit")
    const audit = await AuditEventModel.find({ tokenId: id, type: "API_TOKEN_UPDATED" }).lean<Array<{ details: Record<string, unknown> }>>()
    expect(audit.map((a) => a.details.budget)).toEqual(expect.arrayContaining(["700 SATS WEEKLY, max 100 per payment", "50 SATS DAILY", "removed"]))
  })

  it("refuses a bad budget with its code, and then changes and publishes nothing", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "bad-budget", scopes: ["write"], budget: { amount: 10, unit: "SATS", period: "DAILY" } }, deps))
    const id = created.token.id
    const refused = [
      await updateApiToken({ caller: m.caller, id, budget: { amount: -1, unit: "SATS", period: "DAILY" } }, deps),
      await updateApiToken({ caller: m.caller, id, budget: { amount: 10, unit: "EUR", period: "DAILY" } }, deps),
      await updateApiToken({ caller: m.caller, id, budget: { amount: 10, unit: "SATS", period: "HOURLY" } }, deps),
      await updateApiToken({ caller: m.caller, id, budget: { amount: 10, unit: "SATS", period: "DAILY", maxPerPayment: 11 } }, deps),
      await updateApiToken({ caller: m.caller, id, scopes: ["read"], budget: { amount: 10, unit: "SATS", period: "DAILY" } }, deps),
      await updateApiToken({ caller: m.caller, id, budget: null, dailySendLimit: 5 }, deps),
    ]
    expect(refused.map((r) => (r as Error).name)).toEqual([
      "InvalidApiTokenBudgetAmountError",
      "UnknownApiTokenBudgetUnitError",
      "UnknownApiTokenBudgetPeriodError",
      "InvalidApiTokenBudgetMaxPerPaymentError",
      "ApiTokenBudgetRequiresWriteScopeError",
      "ApiTokenBudgetConflictError",
    ])
    expect(events).toEqual([])
    const doc = await ApiTokenModel.findById(id).lean<{ budget: unknown; changedAt?: Date }>()
    expect(doc!.budget).toEqual({ amount: 10, unit: "SATS", period: "DAILY" })
    expect(doc!.changedAt).toBeUndefined()
  })

  it("refuses invalid input, another account's token and API-token callers, and then changes and publishes nothing", async () => {
    const m = await newMerchant()
    const other = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "guarded", scopes: ["read"] }, deps))
    const cases = [
      await updateApiToken({ caller: m.caller, id: created.token.id, scopes: [] }, deps),
      await updateApiToken({ caller: m.caller, id: created.token.id, ipAllowlist: ["10.0.0.1/8"] }, deps),
      await updateApiToken({ caller: m.caller, id: created.token.id, dailySendLimit: 5 }, deps), // read-only token
      await updateApiToken({ caller: m.caller, id: created.token.id, walletIds: [other.account.defaultWalletId] }, deps),
      await updateApiToken({ caller: other.caller, id: created.token.id, scopes: ["read"] }, deps),
      await updateApiToken({ caller: { kind: "apiToken", apiTokenId: created.token.id }, id: created.token.id, scopes: ["read", "write"] }, deps),
    ]
    expect(cases.map((r) => (r as Error).name)).toEqual([
      "ApiTokenScopesEmptyError",
      "InvalidIpAllowlistEntryError",
      "DailySendLimitRequiresWriteScopeError",
      "ApiTokenWalletNotInAccountError",
      "ApiTokenNotFoundError",
      "ApiTokenManagementRequiresUserSessionError",
    ])
    expect(events).toEqual([])
    const doc = await ApiTokenModel.findById(created.token.id).lean<{ changedAt?: Date; scopes: string[] }>()
    expect(doc!.changedAt).toBeUndefined()
  })
})

describe("rotateApiToken and the bus", () => {
  it.each([0, 60])("with grace %i s stamps changedAt and publishes the token's event after the old clients' notAfter is written", async (grace) => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: `rotate-${grace}`, scopes: ["read"] }, deps))
    unwrap(await rotateApiToken({ caller: m.caller, id: created.token.id, gracePeriodSeconds: grace }, deps))
    expect(events).toEqual([{ tokenId: created.token.id }])
    const old = unwrap(await deps.repo.findClient(created.clientId))
    expect(old.notAfter).toBeDefined()
    const doc = await ApiTokenModel.findById(created.token.id).lean<{ changedAt?: Date }>()
    expect(doc!.changedAt).toBeDefined()
  })
})
