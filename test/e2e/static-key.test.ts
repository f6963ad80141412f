// Static-key mode against the whole stack (issue 16, part 1): a token created
// with `staticKey: true` sends its secret as `Authorization: Bearer flash_sk_…`
// on HTTP and in connection_init, and every rule of the token applies as for a
// JWT — scopes, wallets, IP allowlist, rate limit, send limit, expiry,
// revocation and rotation on two API processes (sockets closed 4441), usage in
// the audit trail. A token that did not opt in is refused API_TOKEN_OAUTH2_ONLY.
import mongoose from "mongoose"
import { generateApiTokenClientSecret, parseApiTokenConnectionString } from "@/domain/api-tokens"
import { testStack } from "../harness/stack-state"
import { accessTokenFor, createApiToken, gql, revokeApiToken } from "../support/api-tokens"
import { eventually as eventuallyNamed } from "../support/eventually"
import { btcWalletOf, connectionOutcome as wsOutcome, eventually, fundBtc, openSocket, post, ROTATE, SEND, statusOf } from "../support/invalidation"
import { startSecondApi } from "../support/second-api"
import { devSession } from "../support/tokens"

const stack = testStack()
const ME = "{ me { defaultAccount { id wallets { id walletCurrency } } } }"

const staticToken = async (scopes: string[], extra: Record<string, unknown> = {}) => {
  const session = await devSession()
  const token = await createApiToken(session.token, { scopes, staticKey: true, ...extra })
  return { session, token, key: token.token }
}

const connectionOutcome = (bearer: string) => wsOutcome(stack.urls.graphqlWs, bearer)

describe("creating a static-key token", () => {
  it("returns the secret as token (= clientSecret), the plugin's own connection string, and says how to use it", async () => {
    const { session, token } = await staticToken(["read", "receive"])
    expect(token.token).toBe(token.clientSecret)
    expect(token.token).toMatch(/^flash_sk_[0-9A-Za-z]{49}$/)
    expect(token.pluginConnectionString).toBe(`type=flash;server=${stack.urls.graphql};token=${token.clientSecret}`)
    expect(parseApiTokenConnectionString(token.pluginConnectionString!)).toEqual({ type: "flash", server: stack.urls.graphql, token: token.clientSecret })
    expect(token.warning).toMatch(/static key/i)
    expect(token.warning).toMatch(/prefer an OAuth2 token/)

    const listed = await gql(session.token, "{ apiTokens { id staticKey } }")
    expect(listed.body.data.apiTokens).toEqual([{ id: token.id, staticKey: true }])
  })

  it("keeps OAuth2 the default: no plugin string, a warning that says to exchange the secret or create a static-key token", async () => {
    const session = await devSession()
    const token = await createApiToken(session.token, { scopes: ["read"] })
    expect(token.pluginConnectionString).toBeNull()
    expect(token.token).toBe(token.clientSecret)
    expect(token.warning).toContain(`exchange its id and secret at ${stack.urls.tokenEndpoint}`)
    expect(token.warning).toContain("static-key option")
    expect((await gql(session.token, "{ apiTokens { staticKey } }")).body.data.apiTokens).toEqual([{ staticKey: false }])
  })

  it("writes one key document per secret, holding digests only (never the secret)", async () => {
    const { token } = await staticToken(["read"])
    await mongoose.connect(stack.urls.mongodb, { serverSelectionTimeoutMS: 5000 })
    try {
      const docs = await mongoose.connection.db!.collection("api_token_static_keys").find({ tokenId: token.id }).toArray()
      expect(docs).toHaveLength(1)
      expect(docs[0]).toMatchObject({ clientId: token.clientId, staticKey: true, _id: expect.stringMatching(/^[0-9a-f]{64}$/) })
      expect(JSON.stringify(docs)).not.toContain(token.clientSecret)
      expect(JSON.stringify(docs)).not.toContain(token.clientSecret.slice("flash_sk_".length, 30))
    } finally {
      await mongoose.disconnect()
    }
  })
})

describe("using a static key", () => {
  it("answers over HTTP and over graphql-ws with the token's account", async () => {
    const { session, key } = await staticToken(["read"])
    const http = await post(stack.urls.graphql, key, ME)
    expect(http.status).toBe(200)
    expect(http.body.data.me.defaultAccount.id).toBe(session.accountId)
    const socket = await openSocket(stack.urls.graphqlWs, key)
    try {
      expect(await socket.run(ME)).toMatchObject({ data: { me: { defaultAccount: { id: session.accountId } } } })
    } finally {
      await socket.dispose()
    }
  })

  it("still works as an OAuth2 client: the same secret exchanged at the token endpoint gives a JWT", async () => {
    const { session, token } = await staticToken(["read"])
    const jwt = await accessTokenFor(token)
    expect((await post(stack.urls.graphql, jwt, ME)).body.data.me.defaultAccount.id).toBe(session.accountId)
  })

  it("refuses the secret of an OAuth2-only token with 401 API_TOKEN_OAUTH2_ONLY on HTTP, and 4403 with that code on WebSocket", async () => {
    const session = await devSession()
    const token = await createApiToken(session.token, { scopes: ["read"] })
    const http = await post(stack.urls.graphql, token.clientSecret, ME)
    expect(http.status).toBe(401)
    expect(http.body.errors).toEqual([
      { message: expect.stringMatching(/^This API token is OAuth2-only: .*token endpoint.*staticKey: true.*\.$/), extensions: { code: "API_TOKEN_OAUTH2_ONLY" } },
    ])
    expect(http.body.errors![0]!.message).not.toContain(token.clientSecret)
    const ws = await connectionOutcome(token.clientSecret)
    expect(ws).toEqual({ code: 4403, reason: expect.stringMatching(/^API_TOKEN_OAUTH2_ONLY/) })
  })

  it("refuses a mistyped key (checksum) and an unknown well-formed key with 401 UNAUTHENTICATED", async () => {
    const { key } = await staticToken(["read"])
    const mistyped = `${key.slice(0, 20)}${key[20] === "A" ? "B" : "A"}${key.slice(21)}`
    for (const bad of [mistyped, generateApiTokenClientSecret()]) {
      const r = await post(stack.urls.graphql, bad, ME)
      expect(r.status).toBe(401)
      expect(r.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
    }
    expect(await connectionOutcome(mistyped)).toMatchObject({ code: 4403 })
  })

  it("grants exactly the token's scopes: read cannot create invoices, and no static key reaches token management", async () => {
    const { key } = await staticToken(["read"])
    const wallets = (await post(stack.urls.graphql, key, ME)).body.data.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string }>
    const btc = wallets.find((w) => w.walletCurrency === "BTC")!
    const invoice = await post(stack.urls.graphql, key, "mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } } }", {
      input: { walletId: btc.id, amount: 10 },
    })
    expect(invoice.body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_SCOPE")
    const manage = await post(stack.urls.graphql, key, "{ apiTokens { id } }")
    expect(manage.body.errors?.[0]?.extensions?.code).toBe("API_TOKEN_NOT_ALLOWED")

    const receive = await staticToken(["receive"])
    const rWallet = (await btcWalletOf(stack.urls.graphql, receive.session.token)).id
    const created = await post(stack.urls.graphql, receive.key, "mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } errors { code } } }", {
      input: { walletId: rWallet, amount: 10 },
    })
    expect(created.body.data.lnInvoiceCreate.errors).toEqual([])
  })

  it("sees only the token's wallets", async () => {
    const session = await devSession()
    const btc = await btcWalletOf(stack.urls.graphql, session.token)
    const token = await createApiToken(session.token, { scopes: ["read"], staticKey: true, walletIds: [btc.id] })
    const wallets = (await post(stack.urls.graphql, token.token, ME)).body.data.me.defaultAccount.wallets
    expect(wallets).toEqual([{ id: btc.id, walletCurrency: "BTC" }])
  })

  it("applies the token's IP allowlist", async () => {
    const fenced = await staticToken(["read"], { ipAllowlist: ["10.0.0.0/8"] })
    expect(await statusOf(stack.urls.graphql, fenced.key)).toBe(401)
    const open = await staticToken(["read"], { ipAllowlist: ["127.0.0.1"] })
    expect(await statusOf(stack.urls.graphql, open.key)).toBe(200)
  })

  it("applies the token's rateLimitPerMinute: 429 after it", async () => {
    const { key } = await staticToken(["read"], { rateLimitPerMinute: 3 })
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push(await statusOf(stack.urls.graphql, key))
    expect(statuses).toEqual([200, 200, 200, 429])
  })

  it("applies the token's budget, and pays within it", async () => {
    const { session, key } = await staticToken(["read", "write"], { budget: { amount: 500, unit: "SATS", period: "DAILY" } })
    const walletId = await fundBtc(stack.urls.api, session.token, 2000)
    const payee = await devSession()
    const recipientWalletId = (await btcWalletOf(stack.urls.graphql, payee.token)).id
    const ok = await post(stack.urls.graphql, key, SEND, { input: { walletId, recipientWalletId, amount: 400 } })
    expect(ok.body.data.intraLedgerPaymentSend).toEqual({ status: "SUCCESS", errors: [] })
    const over = await post(stack.urls.graphql, key, SEND, { input: { walletId, recipientWalletId, amount: 200 } })
    expect(over.body.data.intraLedgerPaymentSend.status).toBe("FAILURE")
    expect(over.body.data.intraLedgerPaymentSend.errors[0].code).toBe("BUDGET_EXCEEDED")
    expect((await btcWalletOf(stack.urls.graphql, session.token)).balance).toBe(1600)
  })

  it("refuses a key whose token expired", async () => {
    const { token, key } = await staticToken(["read"])
    await mongoose.connect(stack.urls.mongodb, { serverSelectionTimeoutMS: 5000 })
    try {
      // Never used yet, so no process has it cached: the first read sees the expiry.
      await mongoose.connection.db!.collection("apitokens").updateOne({ _id: token.id as never }, { $set: { expiresAt: new Date(Date.now() - 1000) } })
    } finally {
      await mongoose.disconnect()
    }
    expect(await statusOf(stack.urls.graphql, key)).toBe(401)
  })

  it("counts the key's requests in the token's hourly usage and stamps lastUsedAt", async () => {
    const { session, token, key } = await staticToken(["read"])
    for (let i = 0; i < 3; i++) expect(await statusOf(stack.urls.graphql, key)).toBe(200)
    await eventuallyNamed(
      "the static key's USAGE_HOUR event and lastUsedAt are recorded",
      async () => {
        const events = (await gql(session.token, `query($t: ID) { apiTokenAuditEvents(tokenId: $t) { type requests } }`, { t: token.id })).body.data
          .apiTokenAuditEvents as Array<{ type: string; requests: number | null }>
        const used = (await gql(session.token, "{ apiTokens { lastUsedAt } }")).body.data.apiTokens[0].lastUsedAt
        return events.some((e) => e.type === "USAGE_HOUR" && (e.requests ?? 0) >= 3) && used !== null
      },
      60_000,
      250,
    )
  })
})

describe("revoking and rotating a static key across two API processes", () => {
  let replica: Awaited<ReturnType<typeof startSecondApi>>
  const sockets: Array<{ dispose: () => unknown }> = []
  beforeAll(async () => {
    replica = await startSecondApi()
  }, 120_000)
  afterAll(async () => {
    for (const s of sockets) await s.dispose()
    await replica?.stop()
  })
  const socket = async (wsUrl: string, key: string) => {
    const s = await openSocket(wsUrl, key)
    sockets.push(s)
    s.watch()
    return s
  }

  it("revocation: 401 on both processes and open sockets closed 4441", async () => {
    const { session, token, key } = await staticToken(["read"])
    expect(await statusOf(stack.urls.graphql, key)).toBe(200)
    expect(await statusOf(replica.graphql, key)).toBe(200)
    const here = await socket(stack.urls.graphqlWs, key)
    const there = await socket(replica.graphqlWs, key)
    expect((await revokeApiToken(session.token, token.id)).errors).toEqual([])
    expect(await statusOf(stack.urls.graphql, key)).toBe(401)
    expect(await eventually(async () => (await statusOf(replica.graphql, key)) === 401)).toBe(true)
    expect(await here.closed).toBe(4441)
    expect(await there.closed).toBe(4441)
  })

  it("rotation with grace 0: the old key is refused on both processes (sockets 4441), the new key and plugin string work", async () => {
    const { session, token, key } = await staticToken(["read"])
    expect(await statusOf(replica.graphql, key)).toBe(200)
    const here = await socket(stack.urls.graphqlWs, key)
    const there = await socket(replica.graphqlWs, key)
    const rotated = await post(
      stack.urls.graphql,
      session.token,
      `mutation($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } apiToken { token clientSecret pluginConnectionString } } }`,
      { input: { id: token.id, gracePeriodSeconds: 0 } },
    )
    const fresh = rotated.body.data.apiTokenRotate.apiToken as { token: string; clientSecret: string; pluginConnectionString: string }
    expect(fresh.token).toBe(fresh.clientSecret)
    expect(fresh.token).not.toBe(key)
    expect(parseApiTokenConnectionString(fresh.pluginConnectionString).token).toBe(fresh.token)

    expect(await statusOf(stack.urls.graphql, key)).toBe(401)
    expect(await eventually(async () => (await statusOf(replica.graphql, key)) === 401)).toBe(true)
    expect(await here.closed).toBe(4441)
    expect(await there.closed).toBe(4441)
    expect(await statusOf(stack.urls.graphql, fresh.token)).toBe(200)
    expect(await statusOf(replica.graphql, fresh.token)).toBe(200)
  })

  it("rotation with a grace period: the old key works until it ends, then is refused on both processes", async () => {
    const { session, token, key } = await staticToken(["read"])
    const rotated = await post(stack.urls.graphql, session.token, ROTATE, { input: { id: token.id, gracePeriodSeconds: 3 } })
    const fresh = rotated.body.data.apiTokenRotate.apiToken as { clientSecret: string }
    expect(await statusOf(stack.urls.graphql, key)).toBe(200)
    expect(await statusOf(replica.graphql, key)).toBe(200)
    const there = await socket(replica.graphqlWs, key)
    expect(await eventually(async () => (await statusOf(stack.urls.graphql, key)) === 401)).toBe(true)
    expect(await eventually(async () => (await statusOf(replica.graphql, key)) === 401)).toBe(true)
    expect(await there.closed).toBe(4441)
    expect(await statusOf(replica.graphql, fresh.clientSecret)).toBe(200)
  })
})
