// Rotation reminders against the real store and Hydra: apiTokens flags a token
// whose secret reached the rotation age, a rotation clears the flag, and the
// API_TOKEN_ROTATION_DUE audit event exists exactly once per secret — however
// often the job runs, concurrently, and in another API process. "Time passes"
// by moving the secret's issue time back in the store, as the expiry tests move
// expiresAt.
import { graphql } from "graphql"
import { ApiTokensDeps, cleanupApiTokens, createApiToken, revokeApiToken, rotateApiToken } from "@/app/api-tokens"
import type { Principal } from "@/domain/auth/principal"
import { contextFor } from "@/graphql/context"
import { buildPublicSchema } from "@/graphql/public/schema"
import { createLogger } from "@/services/logger"
import { AuditEventModel } from "@/services/mongoose/audit-events"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { eventually } from "../../support/eventually"
import { startSecondApi } from "../../support/second-api"
import { expiredNow, newMerchant, secretIssued, setUp, tearDown, unwrap } from "./helpers"

const DAY = 24 * 3600 * 1000
/** The age this process's policy uses; the stack's API processes keep the default 90 days. */
const AGE_DAYS = 30

const schema = buildPublicSchema()
const logger = createLogger("silent")

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp({ rotationDueDays: AGE_DAYS })
})
afterAll(tearDown)

type Result = { data?: Record<string, any> | null; errors?: ReadonlyArray<{ message: string }> } // eslint-disable-line @typescript-eslint/no-explicit-any
const run = async (principal: Principal, source: string, variableValues?: Record<string, unknown>): Promise<Result> =>
  (await graphql({ schema, source, variableValues, contextValue: contextFor(principal, "127.0.0.1", logger, { apiTokens: deps }) })) as Result

const LIST = `{ apiTokens { id status createdAt secretCreatedAt rotationDue rotationDueAt } }`
const AUDIT = `query ($tokenId: ID) { apiTokenAuditEvents(tokenId: $tokenId) { id type tokenId actor at } }`
const ROTATE = `mutation ($id: ID!) { apiTokenRotate(input: { id: $id, gracePeriodSeconds: 0 }) { errors { code } apiToken { clientId } } }`

const merchant = async () => {
  const m = await newMerchant()
  return { ...m, principal: { kind: "user", userId: m.user.id, domainAccount: m.account } as Principal }
}

/** The secret of `tokenId` was issued `ageMs` ago (as if that much time had passed). */
const ageSecret = (tokenId: string, ageMs: number) =>
  ApiTokenModel.updateOne({ _id: tokenId }, { $set: secretIssued(new Date(Date.now() - ageMs)) })

const reminders = (tokenId: string) => AuditEventModel.find({ tokenId, type: "API_TOKEN_ROTATION_DUE" }).lean()

const listed = async (principal: Principal, id: string) => {
  const r = await run(principal, LIST)
  expect(r.errors).toBeUndefined()
  return (r.data!.apiTokens as Array<Record<string, unknown>>).find((t) => t.id === id)!
}

describe("rotation reminders", () => {
  it("apiTokens flags a token whose secret reached the configured age, and rotating it clears the flag", async () => {
    const m = await merchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "to rotate", scopes: ["read"] }, deps))

    const fresh = await listed(m.principal, created.token.id)
    expect(fresh.rotationDue).toBe(false)
    expect(fresh.secretCreatedAt).toBe(fresh.createdAt)
    expect(fresh.rotationDueAt).toBe((fresh.secretCreatedAt as number) + AGE_DAYS * 24 * 3600)

    // One minute short of the age: not yet.
    await ageSecret(created.token.id, AGE_DAYS * DAY - 60_000)
    expect((await listed(m.principal, created.token.id)).rotationDue).toBe(false)
    expect(await reminders(created.token.id)).toHaveLength(0)

    // One minute past it: due, with the date it became due, and the owner's audit view has it.
    await ageSecret(created.token.id, AGE_DAYS * DAY + 60_000)
    const due = await listed(m.principal, created.token.id)
    expect(due.rotationDue).toBe(true)
    expect(Math.abs((due.rotationDueAt as number) - (Date.now() - 60_000) / 1000)).toBeLessThan(30)
    const audit = await run(m.principal, AUDIT, { tokenId: created.token.id })
    const dueEvents = (audit.data!.apiTokenAuditEvents as Array<{ type: string; actor: string }>).filter((e) => e.type === "API_TOKEN_ROTATION_DUE")
    expect(dueEvents).toEqual([expect.objectContaining({ type: "API_TOKEN_ROTATION_DUE", actor: "system" })])
    // Reading the list again does not remind again.
    await listed(m.principal, created.token.id)
    expect(await reminders(created.token.id)).toHaveLength(1)

    // Rotation: a new secret, issued now, not due; its due date moves on.
    const rotated = await run(m.principal, ROTATE, { id: created.token.id })
    expect(rotated.data!.apiTokenRotate.errors).toEqual([])
    const after = await listed(m.principal, created.token.id)
    expect(after.rotationDue).toBe(false)
    expect(Math.abs((after.secretCreatedAt as number) - Date.now() / 1000)).toBeLessThan(30)
    expect(after.secretCreatedAt as number).toBeGreaterThan(due.secretCreatedAt as number)
    expect(after.rotationDueAt).toBe((after.secretCreatedAt as number) + AGE_DAYS * 24 * 3600)
    expect(await reminders(created.token.id)).toHaveLength(1)
  })

  it("never flags or reminds a revoked or expired token, however old its secret", async () => {
    const m = await merchant()
    const revoked = unwrap(await createApiToken({ caller: m.caller, name: "revoked", scopes: ["read"] }, deps))
    const expired = unwrap(await createApiToken({ caller: m.caller, name: "expired", scopes: ["read"], expiresIn: 3600 }, deps))
    unwrap(await revokeApiToken({ caller: m.caller, id: revoked.token.id }, deps))
    await ApiTokenModel.updateOne({ _id: expired.token.id }, { $set: expiredNow() })
    for (const t of [revoked, expired]) await ageSecret(t.token.id, 400 * DAY)

    for (const t of [revoked, expired]) expect((await listed(m.principal, t.token.id)).rotationDue).toBe(false)
    unwrap(await cleanupApiTokens(deps))
    for (const t of [revoked, expired]) expect(await reminders(t.token.id)).toHaveLength(0)
  })

  it("counts a record written before secretCreatedAt existed from its creation", async () => {
    const m = await merchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "legacy", scopes: ["read"] }, deps))
    await ApiTokenModel.updateOne(
      { _id: created.token.id },
      { $unset: { secretCreatedAt: "" }, $set: { createdAt: new Date(Date.now() - (AGE_DAYS + 1) * DAY) } },
    )
    const t = await listed(m.principal, created.token.id)
    expect(t.rotationDue).toBe(true)
    expect(t.secretCreatedAt).toBe(t.createdAt)
    expect(await reminders(created.token.id)).toHaveLength(1)
  })

  it("records the reminder exactly once per secret when the job runs twice, concurrently, and in another API process", async () => {
    // A replica running the cleanup job every second, with the default age (90 days).
    const replica = await startSecondApi({ API_TOKEN_CLEANUP_INTERVAL_SECONDS: "1" })
    try {
      const days90 = { ...deps, policy: { ...deps.policy, rotationDueDays: 90 } }
      const m = await merchant()
      const created = unwrap(await createApiToken({ caller: m.caller, name: "replicated", scopes: ["read"] }, deps))
      await ageSecret(created.token.id, 91 * DAY)

      // The other process's job records it first (this process has not run anything yet) ...
      await eventually("the replica's job recorded the reminder", async () => (await reminders(created.token.id)).length > 0)
      // ... then this process runs the job twice at once, and again after the marker on the
      // token is gone: the event id (token + secret's issue time) still keeps it to one.
      await Promise.all([cleanupApiTokens(days90), cleanupApiTokens(days90)].map(async (p) => unwrap(await p)))
      await ApiTokenModel.updateOne({ _id: created.token.id }, { $unset: { rotationRemindedFor: "" } })
      await Promise.all([cleanupApiTokens(days90), cleanupApiTokens(days90)].map(async (p) => unwrap(await p)))
      const once = await reminders(created.token.id)
      expect(once).toHaveLength(1)
      expect(once[0]).toMatchObject({ accountId: m.account.id, actor: "system" })

      // A rotation gives a new secret: not due, no new reminder ...
      unwrap(await rotateApiToken({ caller: m.caller, id: created.token.id }, deps))
      unwrap(await cleanupApiTokens(days90))
      expect(await reminders(created.token.id)).toHaveLength(1)
      // ... until the new secret reaches the age too: then one more, under its own id.
      await ageSecret(created.token.id, 91 * DAY)
      await Promise.all([cleanupApiTokens(days90), cleanupApiTokens(days90)].map(async (p) => unwrap(await p)))
      await eventually("the second secret's reminder is recorded", async () => (await reminders(created.token.id)).length === 2)
      const twice = await reminders(created.token.id)
      expect(new Set(twice.map((e) => e._id)).size).toBe(2)
    } finally {
      await replica.stop()
    }
  })
})
