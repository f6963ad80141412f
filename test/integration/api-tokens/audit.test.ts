// The audit trail: every lifecycle step, refused management and refused
// issuance leaves one event on the right account; hourly usage is batched;
// nothing secret is ever stored.
import {
  cleanupApiTokens,
  createApiToken,
  revokeApiToken,
  rotateApiToken,
} from "@/app/api-tokens"
import { createUsageAggregator, listApiTokenAuditEvents, listAuditEventsOfAccount } from "@/app/audit"
import { AuditEventModel, AuditRepository } from "@/services/mongoose/audit-events"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { exchange, expiredNow, newMerchant, setUp, tearDown, unwrap } from "./helpers"
import type { ApiTokensDeps } from "@/app/api-tokens"

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp()
})
afterAll(tearDown)

const typesOf = async (accountId: string, tokenId?: string) =>
  unwrap(await listAuditEventsOfAccount(accountId as never, { tokenId })).map((e) => `${e.type}${e.reason ? `:${e.reason}` : ""}`)

describe("the API-token audit trail", () => {
  it("records create, rotate, revoke (once), a refused issuance and a foreign account's attempt — without a secret", async () => {
    const m = await newMerchant()
    const intruder = await newMerchant()
    const created = unwrap(await createApiToken({ caller: { ...m.caller, ip: "203.0.113.7" } as never, name: "audited", scopes: ["read"] }, deps))
    const rotated = unwrap(await rotateApiToken({ caller: m.caller, id: created.token.id }, deps))

    const foreign = await revokeApiToken({ caller: intruder.caller, id: created.token.id }, deps)
    expect(foreign).toBeInstanceOf(Error)
    expect((foreign as Error).name).toBe("ApiTokenNotFoundError")

    unwrap(await revokeApiToken({ caller: m.caller, id: created.token.id }, deps))
    unwrap(await revokeApiToken({ caller: m.caller, id: created.token.id }, deps))
    // The old and new secrets are both dead: Hydra's hook refuses the new client (REVOKED).
    const refused = await exchange(rotated.clientId, rotated.clientSecret)
    expect(refused.status).not.toBe(200)

    const types = await typesOf(m.account.id, created.token.id)
    expect(types.filter((t) => t === "API_TOKEN_REVOKED")).toHaveLength(1)
    expect(types).toEqual(
      expect.arrayContaining([
        "API_TOKEN_CREATED",
        "API_TOKEN_ROTATED",
        "API_TOKEN_REVOKED",
        "MANAGEMENT_REFUSED:ATTEMPT_FROM_ANOTHER_ACCOUNT",
      ]),
    )
    expect(await typesOf(intruder.account.id)).toEqual(["MANAGEMENT_REFUSED:TOKEN_OF_ANOTHER_ACCOUNT"])
    const createdEvent = unwrap(await listAuditEventsOfAccount(m.account.id, { tokenId: created.token.id })).find((e) => e.type === "API_TOKEN_CREATED")!
    expect(createdEvent.ip).toBe("203.0.113.7")
    expect(createdEvent.details).toMatchObject({ name: "audited", scopes: ["read"], clientId: created.clientId })

    // Hydra may have been refused at authentication (client deleted) rather than at the hook; when
    // the hook ran, its refusal is on the token.
    const hookRefusals = await AuditEventModel.countDocuments({ tokenId: created.token.id, type: "TOKEN_ISSUANCE_REFUSED" })
    expect(hookRefusals).toBeLessThanOrEqual(1)

    const stored = JSON.stringify(await AuditEventModel.find({ tokenId: created.token.id }).lean())
    for (const secret of [created.clientSecret, rotated.clientSecret, created.connectionString, rotated.connectionString]) {
      expect(stored).not.toContain(secret)
    }
  })

  it("records the hook's refusal of a token that expired before cleanup, then the expiry at cleanup", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "short", scopes: ["read"], expiresIn: 3600 }, deps))
    await ApiTokenModel.updateOne({ _id: created.token.id }, { $set: expiredNow() })
    const refused = await exchange(created.clientId, created.clientSecret)
    expect(refused.status).toBe(403)
    unwrap(await cleanupApiTokens(deps))
    const types = await typesOf(m.account.id, created.token.id)
    expect(types).toEqual(expect.arrayContaining(["TOKEN_ISSUANCE_REFUSED:TOKEN_EXPIRED", "API_TOKEN_EXPIRED"]))
    const hook = unwrap(await listAuditEventsOfAccount(m.account.id, { tokenId: created.token.id })).find((e) => e.type === "TOKEN_ISSUANCE_REFUSED")!
    expect(hook.actor).toBe("tokenHook")
    expect(hook.ip).toBeUndefined()
  })

  it("aggregates usage per token and hour in memory and writes it in one batch", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "busy", scopes: ["read", "write"] }, deps))
    const flushed: number[] = []
    const agg = createUsageAggregator(async (rows) => {
      flushed.push(rows.length)
      return AuditRepository().appendUsage(rows)
    }, 3_600_000)
    for (let i = 0; i < 5; i++) agg.recordRequest(created.token.id, m.account.id, i < 4 ? "198.51.100.1" : "198.51.100.2")
    agg.recordSent(created.token.id, m.account.id, { currency: "BTC", amount: 700 })
    agg.recordSent(created.token.id, m.account.id, { currency: "BTC", amount: 300 })
    expect(flushed).toEqual([])
    await agg.stop()
    expect(flushed).toEqual([1])
    const usage = unwrap(await listAuditEventsOfAccount(m.account.id, { tokenId: created.token.id })).find((e) => e.type === "USAGE_HOUR")!
    expect(usage.usage).toEqual({ requests: 5, sent: [{ currency: "BTC", amount: 1000 }], lastIp: "198.51.100.2" })
  })

  it("is readable by the owner's session only", async () => {
    const m = await newMerchant()
    const asToken = await listApiTokenAuditEvents({ kind: "apiToken" }, {})
    expect((asToken as Error).name).toBe("ApiTokenManagementRequiresUserSessionError")
    expect(await listApiTokenAuditEvents(m.caller, { first: 5 })).toEqual([])
  })
})
