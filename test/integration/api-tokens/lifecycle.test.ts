import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import mongoose from "mongoose"
import {
  cleanupApiTokens,
  createApiToken,
  listApiTokens,
  revokeApiToken,
  rotateApiToken,
  resolveApiTokenByClientId,
  ApiTokensDeps,
} from "@/app/api-tokens"
import { apiTokenStatus } from "@/domain/api-tokens"
import { ApiTokenModel } from "@/services/mongoose/api-tokens-schema"
import { eventually } from "../../support/eventually"
import { announce, exchange, expiredNow, hydraClient, newMerchant, setUp, stack, tearDown, unwrap } from "./helpers"

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp()
})
afterAll(tearDown)

describe("creating an API token", () => {
  it("creates a Hydra client with exactly those scopes, and curl -u id:secret gets a JWT naming the account", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "BTCPay", scopes: ["read", "receive"] }, deps))
    expect(created.clientId).toMatch(/^flash_ci_/)
    expect(created.clientSecret).toMatch(/^flash_sk_/)
    expect(created.tokenEndpoint).toBe(stack.urls.tokenEndpoint)
    expect(created.warning).toMatch(/not shown again/)
    expect(created.connectionString).toBe(
      `type=flash;server=${stack.urls.graphql};token-url=${stack.urls.tokenEndpoint};client-id=${created.clientId};client-secret=${created.clientSecret}`,
    )

    const client = await hydraClient(created.clientId)
    expect(client.status).toBe(200)
    expect(client.body).toMatchObject({
      scope: "read receive",
      grant_types: ["client_credentials"],
      token_endpoint_auth_method: "client_secret_basic",
      access_token_strategy: "jwt",
      owner: m.account.id,
      metadata: { managed_by: "flash-api-tokens", token_id: created.token.id },
    })

    const x = await exchange(created.clientId, created.clientSecret)
    expect(x.status).toBe(200)
    expect(x.claims).toMatchObject({
      sub: created.clientId,
      client_id: created.clientId,
      scp: ["read", "receive"],
      account_id: m.account.id,
      token_id: created.token.id,
    })
    expect(Number(x.claims!.exp) - Number(x.claims!.iat)).toBeLessThanOrEqual(120)
  })

  it("never stores the secret (or anything derived from it) in Mongo, and never logs it", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "scan me", scopes: ["read"] }, deps))
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(200)
    const random = created.clientSecret.slice("flash_sk_".length, "flash_sk_".length + 20)
    const db = mongoose.connection.db!
    for (const c of await db.listCollections().toArray()) {
      const docs = await db.collection(c.name).find({}).toArray()
      expect(JSON.stringify(docs)).not.toContain(random)
    }
    const logDir = join(stack.dataDir, "logs")
    for (const f of readdirSync(logDir)) expect(readFileSync(join(logDir, f), "utf8")).not.toContain(random)
  })

  it("refuses at the token endpoint a scope the token lacks", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "read only", scopes: ["read"] }, deps))
    const x = await exchange(created.clientId, created.clientSecret, { scope: "write" })
    expect(x.status).toBe(400)
    expect(x.body.error).toBe("invalid_scope")
    expect((await exchange(created.clientId, created.clientSecret, { scope: "read" })).status).toBe(200)
  })

  it("lets a CLIENT_SECRET_POST token send its secret in the form body (and only there)", async () => {
    const m = await newMerchant()
    const created = unwrap(
      await createApiToken({ caller: m.caller, name: "postman", scopes: ["read"], authMethod: "client_secret_post" }, deps),
    )
    expect(created.connectionString).toMatch(/;auth-method=client_secret_post$/)
    expect((await exchange(created.clientId, created.clientSecret, { method: "post" })).status).toBe(200)
    expect((await exchange(created.clientId, created.clientSecret, { method: "basic" })).status).toBe(401)
  })
})

describe("revoking", () => {
  it("makes the token endpoint refuse the credentials, lists it as REVOKED, and deletes the Hydra client", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "to revoke", scopes: ["read"] }, deps))
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(200)

    const revoked = unwrap(await revokeApiToken({ caller: m.caller, id: created.token.id }, deps))
    expect(revoked.storedStatus).toBe("REVOKED")
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(401)
    expect((await hydraClient(created.clientId)).status).toBe(404)
    const list = unwrap(await listApiTokens(m.caller, deps))
    expect(list.find((t) => t.id === created.token.id)).toMatchObject({ storedStatus: "REVOKED", clientId: created.clientId })
    expect(deps.invalidation.isRevoked(created.token.id)).toBe(true)
  })

  it("is idempotent, and frees the name for a new token", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "again", scopes: ["read"] }, deps))
    const first = unwrap(await revokeApiToken({ caller: m.caller, id: created.token.id }, deps))
    const second = unwrap(await revokeApiToken({ caller: m.caller, id: created.token.id }, deps))
    expect(second.revokedAt).toEqual(first.revokedAt)
    unwrap(await createApiToken({ caller: m.caller, name: "again", scopes: ["read"] }, deps))
  })

  it("answers 'not found' (never 'forbidden') for someone else's token, and leaves it working", async () => {
    const owner = await newMerchant()
    const other = await newMerchant()
    const created = unwrap(await createApiToken({ caller: owner.caller, name: "mine", scopes: ["read"] }, deps))
    const r = await revokeApiToken({ caller: other.caller, id: created.token.id }, deps)
    expect(r).toBeInstanceOf(Error)
    expect((r as Error).name).toBe("ApiTokenNotFoundError")
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(200)
  })
})

describe("rotating", () => {
  it("without a grace period: the old secret is refused at once, the new one works", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "rotate now", scopes: ["read"] }, deps))
    const rotated = unwrap(await rotateApiToken({ caller: m.caller, id: created.token.id }, deps))
    expect(rotated.token.id).toBe(created.token.id)
    expect(rotated.clientId).not.toBe(created.clientId)
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(401)
    const x = await exchange(rotated.clientId, rotated.clientSecret)
    expect(x.status).toBe(200)
    expect(x.claims).toMatchObject({ token_id: created.token.id, account_id: m.account.id })
    const list = unwrap(await listApiTokens(m.caller, deps))
    expect(list.find((t) => t.id === created.token.id)).toMatchObject({ storedStatus: "ACTIVE", clientId: rotated.clientId })
  })

  it("with a grace period: both work until it ends, then only the new one; cleanup deletes the old client", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "rotate later", scopes: ["read"] }, deps))
    const rotated = unwrap(await rotateApiToken({ caller: m.caller, id: created.token.id, gracePeriodSeconds: 2 }, deps))
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(200)
    expect((await exchange(rotated.clientId, rotated.clientSecret)).status).toBe(200)

    // Wait for the grace period to end (the event), not for a guessed time.
    await eventually("the old client is refused after its grace period", async () => (await exchange(created.clientId, created.clientSecret)).status !== 200, 60_000, 200)
    // Refused by the token hook (403 access_denied, CLIENT_ROTATED_OUT), or, when the
    // shared stack's own cleanup job (every 60 s) ran first, by Hydra (401: the client is gone).
    const old = await exchange(created.clientId, created.clientSecret)
    const refusal = old.status === 401 ? { status: 401, client: (await hydraClient(created.clientId)).status } : { status: old.status, error: old.body.error }
    expect([{ status: 403, error: "access_denied" }, { status: 401, client: 404 }]).toContainEqual(refusal)
    expect((await exchange(rotated.clientId, rotated.clientSecret)).status).toBe(200)

    unwrap(await cleanupApiTokens(deps))
    expect((await hydraClient(created.clientId)).status).toBe(404)
    expect((await hydraClient(rotated.clientId)).status).toBe(200)
  })
})

describe("expiry", () => {
  it("refuses an expired token at the token endpoint before cleanup ran, lists it EXPIRED, and cleanup deletes its client", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "short", scopes: ["read"], expiresIn: 3600 }, deps))
    expect((await exchange(created.clientId, created.clientSecret)).status).toBe(200)
    // Time travel: the record says it expired a second ago (announced: the hook had it cached, unexpired).
    await ApiTokenModel.updateOne({ _id: created.token.id }, { $set: expiredNow() })
    await announce({ tokenId: created.token.id })

    expect((await hydraClient(created.clientId)).status).toBe(200)
    const x = await exchange(created.clientId, created.clientSecret)
    expect(x.status).toBe(403)
    expect(x.body.error).toBe("access_denied")
    const listed = unwrap(await listApiTokens(m.caller, deps)).find((t) => t.id === created.token.id)
    expect(apiTokenStatus(listed!)).toBe("EXPIRED")

    unwrap(await cleanupApiTokens(deps))
    expect((await hydraClient(created.clientId)).status).toBe(404)
    // Its name is free again.
    unwrap(await createApiToken({ caller: m.caller, name: "short", scopes: ["read"] }, deps))
  })
})

describe("what the auth middleware reads", () => {
  it("resolves a client id to its token, client and account (even when revoked), and not a PENDING or unknown one", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "resolve me", scopes: ["receive"] }, deps))
    const r = unwrap(await resolveApiTokenByClientId(created.clientId))
    expect(r.token.id).toBe(created.token.id)
    expect(r.client).toMatchObject({ clientId: created.clientId, tokenId: created.token.id, notAfter: undefined })
    expect(r.account.id).toBe(m.account.id)
    unwrap(await revokeApiToken({ caller: m.caller, id: created.token.id }, deps))
    expect(unwrap(await resolveApiTokenByClientId(created.clientId)).token.storedStatus).toBe("REVOKED")
    expect((await resolveApiTokenByClientId("flash_ci_nobody")) as Error).toBeInstanceOf(Error)
  })

  it("refuses a PENDING token (a create that has not finished): not resolved, no JWT from Hydra, and a JWT it got earlier is refused by the API", async () => {
    const m = await newMerchant()
    const created = unwrap(await createApiToken({ caller: m.caller, name: "pending", scopes: ["read"] }, deps))
    const before = await exchange(created.clientId, created.clientSecret)
    expect(before.status).toBe(200)
    // The state a crash between the Mongo write and the Hydra client leaves behind,
    // announced so the API process (its token hook cached the record) reads it.
    await ApiTokenModel.updateOne({ _id: created.token.id }, { $set: { storedStatus: "PENDING" } })
    await announce({ tokenId: created.token.id })

    const resolved = await resolveApiTokenByClientId(created.clientId)
    expect(resolved).toBeInstanceOf(Error)
    expect((resolved as Error).name).toBe("ApiTokenNotFoundError")
    const x = await exchange(created.clientId, created.clientSecret)
    expect(x.status).toBe(403)
    expect(x.body.error).toBe("access_denied")
    // The API reads the PENDING record (its cached one was evicted by the event).
    const res = await fetch(stack.urls.graphql, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${before.body.access_token as string}` },
      body: JSON.stringify({ query: "{ me { id } }" }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe("UNAUTHENTICATED")
  })

  it("lists tokens revoked since a date and records last use in batches (keeping the latest)", async () => {
    const m = await newMerchant()
    const since = new Date(Date.now() - 1000)
    const a = unwrap(await createApiToken({ caller: m.caller, name: "used", scopes: ["read"] }, deps))
    const b = unwrap(await createApiToken({ caller: m.caller, name: "revoked", scopes: ["read"] }, deps))
    unwrap(await revokeApiToken({ caller: m.caller, id: b.token.id }, deps))
    expect(unwrap(await deps.repo.listRevokedSince(since))).toContain(b.token.id)
    expect(unwrap(await deps.repo.listRevokedSince(new Date(Date.now() + 60_000)))).not.toContain(b.token.id)

    const t1 = new Date(Date.now() - 5000)
    const t2 = new Date(Date.now() - 1000)
    unwrap(await deps.repo.recordLastUsed([{ tokenId: a.token.id, at: t1 }, { tokenId: a.token.id, at: t2 }]))
    unwrap(await deps.repo.recordLastUsed([{ tokenId: a.token.id, at: t1 }]))
    expect(unwrap(await deps.repo.findById(a.token.id)).lastUsedAt).toEqual(t2)
  })

  it("records last use of 150 tokens in one flush and leaves the store answering (no FerretDB pool exhaustion)", async () => {
    // One bulk `update` of ~100 statements used to take every SQLite connection
    // FerretDB has and wedge it for all clients; the flush now sends one
    // statement per command, a few at a time.
    const accountId = `acct-flush-${Date.now()}`
    const ids = Array.from({ length: 150 }, (_, i) => `tok-flush-${Date.now()}-${i}`)
    await ApiTokenModel.insertMany(
      ids.map((id) => ({
        _id: id,
        accountId,
        name: id,
        activeNameKey: `${accountId}:${id}`,
        scopes: ["read"],
        storedStatus: "ACTIVE",
        authMethod: "client_secret_basic",
        createdAt: new Date(),
      })),
    )
    const at = new Date(Date.now() - 2000)
    const wedged = new Promise<"wedged">((r) => setTimeout(() => r("wedged"), 30_000).unref())
    const flushed = await Promise.race([deps.repo.recordLastUsed(ids.map((tokenId) => ({ tokenId: tokenId as never, at }))), wedged])
    expect(flushed).toBe(true)
    const answered = await Promise.race([ApiTokenModel.find({ accountId }).lean(), wedged])
    expect(answered).not.toBe("wedged")
    const docs = answered as Array<{ lastUsedAt?: Date }>
    expect(docs).toHaveLength(150)
    expect(docs.filter((d) => d.lastUsedAt?.getTime() === at.getTime())).toHaveLength(150)
  }, 70_000)
})
