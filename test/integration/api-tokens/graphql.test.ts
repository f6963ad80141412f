import { graphql } from "graphql"
import type { ApiTokensDeps } from "@/app/api-tokens"
import type { Principal } from "@/domain/auth/principal"
import { contextFor } from "@/graphql/context"
import { buildPublicSchema } from "@/graphql/public/schema"
import { createLogger } from "@/services/logger"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { exchange, newMerchant, setUp, stack, tearDown } from "./helpers"

const schema = buildPublicSchema()
const logger = createLogger("silent")

let deps: ApiTokensDeps
beforeAll(async () => {
  deps = await setUp({ maxActivePerAccount: 3 })
})
afterAll(tearDown)

type Result = { data?: Record<string, any> | null; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> } // eslint-disable-line @typescript-eslint/no-explicit-any

const run = async (principal: Principal, source: string, variableValues?: Record<string, unknown>): Promise<Result> =>
  (await graphql({ schema, source, variableValues, contextValue: contextFor(principal, "127.0.0.1", logger, { apiTokens: deps }) })) as Result

const CREATE = `mutation ($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) {
    errors { code message }
    apiToken { id name clientId clientSecret scopes expiresAt tokenEndpoint warning connectionString authMethod }
  }
}`
const LIST = `{ apiTokens { id name clientId scopes status createdAt expiresAt lastUsedAt walletIds ipAllowlist rateLimitPerMinute dailySendLimit } }`
const REVOKE = `mutation ($id: ID!) { apiTokenRevoke(input: { id: $id }) { errors { code } apiToken { id status } } }`
const ROTATE = `mutation ($id: ID!) { apiTokenRotate(input: { id: $id, gracePeriodSeconds: 0 }) { errors { code } apiToken { clientId clientSecret } } }`

const userOf = async () => {
  const m = await newMerchant()
  return { ...m, principal: { kind: "user", userId: m.user.id, domainAccount: m.account } as Principal }
}

describe("GraphQL: apiTokenCreate / apiTokens / apiTokenRevoke / apiTokenRotate", () => {
  it('accepts the seed example scopes: ["read", "write"] literally, and shows the secret only in the create payload', async () => {
    const u = await userOf()
    const r = await run(
      u.principal,
      `mutation { apiTokenCreate(input: { name: "  BTCPay store  ", scopes: ["read", "write"], expiresIn: 86400, dailySendLimit: 50000, ipAllowlist: ["10.0.0.0/8", "2001:db8::1"] }) {
        errors { code } apiToken { id name clientId clientSecret scopes tokenEndpoint connectionString } } }`,
    )
    expect(r.errors).toBeUndefined()
    const created = r.data!.apiTokenCreate
    expect(created.errors).toEqual([])
    expect(created.apiToken).toMatchObject({ name: "BTCPay store", scopes: ["read", "write"], tokenEndpoint: stack.urls.tokenEndpoint })
    const x = await exchange(created.apiToken.clientId, created.apiToken.clientSecret)
    expect(x.claims?.scp).toEqual(["read", "write"])

    const list = await run(u.principal, LIST)
    expect(list.errors).toBeUndefined()
    expect(list.data!.apiTokens).toEqual([
      expect.objectContaining({
        id: created.apiToken.id,
        name: "BTCPay store",
        status: "ACTIVE",
        scopes: ["read", "write"],
        ipAllowlist: ["10.0.0.0/8", "2001:db8::1/128"],
        dailySendLimit: 50000,
        lastUsedAt: null,
      }),
    ])
    expect(JSON.stringify(list.data)).not.toContain(created.apiToken.clientSecret)
    expect(created.apiToken.connectionString).toContain(`client-secret=${created.apiToken.clientSecret}`)
  })

  it("creates a token with a budget and lists it with what its period used, what remains and when it renews", async () => {
    const u = await userOf()
    const budget = { amount: 2500, unit: "USD_CENTS", period: "MONTHLY", maxPerPayment: 500 }
    const r = await run(u.principal, CREATE, { input: { name: "monthly", scopes: ["read", "write"], budget } })
    expect(r.data!.apiTokenCreate.errors).toEqual([])
    const list = await run(u.principal, `{ apiTokens { id dailySendLimit budget { amount unit period maxPerPayment used remaining renewsAt } } }`)
    expect(list.errors).toBeUndefined()
    const now = new Date()
    const firstOfNextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1) / 1000
    expect(list.data!.apiTokens).toEqual([
      { id: r.data!.apiTokenCreate.apiToken.id, dailySendLimit: null, budget: { ...budget, used: 0, remaining: 2500, renewsAt: firstOfNextMonth } },
    ])
  })

  it("the deprecated dailySendLimit creates a DAILY SATS budget, shown by both fields", async () => {
    const u = await userOf()
    const r = await run(u.principal, CREATE, { input: { name: "legacy", scopes: ["write"], dailySendLimit: 300 } })
    expect(r.data!.apiTokenCreate.errors).toEqual([])
    const list = await run(u.principal, `{ apiTokens { dailySendLimit budget { amount unit period maxPerPayment used remaining } } }`)
    expect(list.data!.apiTokens).toEqual([
      { dailySendLimit: 300, budget: { amount: 300, unit: "SATS", period: "DAILY", maxPerPayment: null, used: 0, remaining: 300 } },
    ])
  })

  it("lists newest first, revokes (REVOKED in the list) and rotates through GraphQL", async () => {
    const u = await userOf()
    const a = (await run(u.principal, CREATE, { input: { name: "first", scopes: ["read"] } })).data!.apiTokenCreate.apiToken
    const b = (await run(u.principal, CREATE, { input: { name: "second", scopes: ["receive"] } })).data!.apiTokenCreate.apiToken
    expect((await run(u.principal, LIST)).data!.apiTokens.map((t: { id: string }) => t.id)).toEqual([b.id, a.id])

    const revoked = (await run(u.principal, REVOKE, { id: a.id })).data!.apiTokenRevoke
    expect(revoked).toEqual({ errors: [], apiToken: { id: a.id, status: "REVOKED" } })
    const rotated = (await run(u.principal, ROTATE, { id: b.id })).data!.apiTokenRotate
    expect(rotated.errors).toEqual([])
    expect(rotated.apiToken.clientSecret).not.toBe(b.clientSecret)
    const statuses = (await run(u.principal, LIST)).data!.apiTokens.map((t: { status: string }) => t.status)
    expect(statuses).toEqual(["ACTIVE", "REVOKED"])
  })

  it("refuses every management operation to an API-token principal (a leaked token cannot mint or manage tokens)", async () => {
    const u = await userOf()
    const own = (await run(u.principal, CREATE, { input: { name: "victim", scopes: ["write"] } })).data!.apiTokenCreate.apiToken
    const apiToken: Principal = {
      kind: "apiToken",
      domainAccount: u.account,
      apiTokenId: own.id,
      clientId: own.clientId,
      apiTokenScopes: ["read", "receive", "write"],
      apiTokenWalletIds: undefined,
      rateLimitPerMinute: undefined,
      jwtId: "jti",
      expiresAt: new Date(Date.now() + 60_000),
    }
    const code = "API_TOKEN_MANAGEMENT_REQUIRES_USER_SESSION"
    const c = await run(apiToken, CREATE, { input: { name: "minted", scopes: ["write"] } })
    expect(c.data!.apiTokenCreate).toEqual({ errors: [expect.objectContaining({ code })], apiToken: null })
    const l = await run(apiToken, LIST)
    expect(l.errors?.[0]?.extensions?.code).toBe(code)
    expect((await run(apiToken, REVOKE, { id: own.id })).data!.apiTokenRevoke.errors[0].code).toBe(code)
    expect((await run(apiToken, ROTATE, { id: own.id })).data!.apiTokenRotate.errors[0].code).toBe(code)
    // The anonymous caller is refused the same way; the victim token is untouched.
    expect((await run({ kind: "anonymous" }, LIST)).errors?.[0]?.extensions?.code).toBe(code)
    expect((await exchange(own.clientId, own.clientSecret)).status).toBe(200)
  })

  describe("validation table: every bad input has its own error code", () => {
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["empty name", { name: "   ", scopes: ["read"] }, "API_TOKEN_NAME_EMPTY"],
      ["name over 50 characters", { name: "x".repeat(51), scopes: ["read"] }, "API_TOKEN_NAME_TOO_LONG"],
      ["empty scopes", { name: "t", scopes: [] }, "API_TOKEN_SCOPES_EMPTY"],
      ["negative expiresIn", { name: "t", scopes: ["read"], expiresIn: -5 }, "API_TOKEN_EXPIRES_IN_TOO_SHORT"],
      ["expiresIn under an hour", { name: "t", scopes: ["read"], expiresIn: 60 }, "API_TOKEN_EXPIRES_IN_TOO_SHORT"],
      ["huge expiresIn", { name: "t", scopes: ["read"], expiresIn: 2_000_000_000 }, "API_TOKEN_EXPIRES_IN_TOO_LONG"],
      ["bad CIDR", { name: "t", scopes: ["read"], ipAllowlist: ["10.0.0.0/33"] }, "API_TOKEN_IP_ALLOWLIST_INVALID"],
      ["not an IP", { name: "t", scopes: ["read"], ipAllowlist: ["example.com"] }, "API_TOKEN_IP_ALLOWLIST_INVALID"],
      ["zero rate limit", { name: "t", scopes: ["read"], rateLimitPerMinute: 0 }, "API_TOKEN_RATE_LIMIT_INVALID"],
      ["negative daily limit", { name: "t", scopes: ["write"], dailySendLimit: -1 }, "API_TOKEN_DAILY_SEND_LIMIT_INVALID"],
      ["daily limit without write", { name: "t", scopes: ["read"], dailySendLimit: 10 }, "API_TOKEN_DAILY_SEND_LIMIT_REQUIRES_WRITE"],
      ["zero budget", { name: "t", scopes: ["write"], budget: { amount: 0, unit: "SATS", period: "DAILY" } }, "API_TOKEN_BUDGET_AMOUNT_INVALID"],
      [
        "maxPerPayment above the budget",
        { name: "t", scopes: ["write"], budget: { amount: 100, unit: "USD_CENTS", period: "MONTHLY", maxPerPayment: 101 } },
        "API_TOKEN_BUDGET_MAX_PER_PAYMENT_INVALID",
      ],
      [
        "zero maxPerPayment",
        { name: "t", scopes: ["write"], budget: { amount: 100, unit: "SATS", period: "NEVER", maxPerPayment: 0 } },
        "API_TOKEN_BUDGET_MAX_PER_PAYMENT_INVALID",
      ],
      ["budget without write", { name: "t", scopes: ["read", "receive"], budget: { amount: 10, unit: "SATS", period: "WEEKLY" } }, "API_TOKEN_BUDGET_REQUIRES_WRITE"],
      [
        "budget and dailySendLimit together",
        { name: "t", scopes: ["write"], dailySendLimit: 10, budget: { amount: 10, unit: "SATS", period: "DAILY" } },
        "API_TOKEN_BUDGET_CONFLICT",
      ],
    ]
    it.each(cases)("%s", async (_label, input, code) => {
      const u = await userOf()
      const r = await run(u.principal, CREATE, { input })
      expect(r.errors).toBeUndefined()
      expect(r.data!.apiTokenCreate.errors).toEqual([expect.objectContaining({ code })])
      expect(r.data!.apiTokenCreate.apiToken).toBeNull()
    })

    it.each([
      ["unit", { amount: 10, unit: "BTC", period: "DAILY" }],
      ["period", { amount: 10, unit: "SATS", period: "HOURLY" }],
    ])("an unknown budget %s is refused by the schema's enum, and nothing is created", async (_what, budget) => {
      const u = await userOf()
      const r = await run(u.principal, CREATE, { input: { name: "t", scopes: ["write"], budget } })
      expect(r.errors?.[0]?.message).toMatch(/ApiTokenBudget(Unit|Period)/)
      expect(r.data).toBeUndefined()
      expect((await run(u.principal, LIST)).data!.apiTokens).toEqual([])
    })

    it("unknown scope (a scalar error, with its code)", async () => {
      const u = await userOf()
      const asVariable = await run(u.principal, CREATE, { input: { name: "t", scopes: ["admin"] } })
      expect(asVariable.errors?.[0]?.extensions?.code).toBe("API_TOKEN_SCOPE_UNKNOWN")
      const asLiteral = await run(u.principal, `mutation { apiTokenCreate(input: { name: "t", scopes: ["read", "admin"] }) { errors { code } } }`)
      expect(asLiteral.errors?.[0]?.extensions?.code).toBe("API_TOKEN_SCOPE_UNKNOWN")
    })

    it("duplicate name among the account's active tokens (case-insensitive)", async () => {
      const u = await userOf()
      expect((await run(u.principal, CREATE, { input: { name: "Shop", scopes: ["read"] } })).data!.apiTokenCreate.errors).toEqual([])
      const r = await run(u.principal, CREATE, { input: { name: "shop ", scopes: ["read"] } })
      expect(r.data!.apiTokenCreate.errors).toEqual([expect.objectContaining({ code: "API_TOKEN_NAME_TAKEN" })])
    })

    it("someone else's wallet id", async () => {
      const u = await userOf()
      const other = await userOf()
      const wallets = await AccountsRepository().listWallets(other.account.id)
      if (wallets instanceof Error) throw wallets
      const r = await run(u.principal, CREATE, { input: { name: "t", scopes: ["read"], walletIds: [wallets[0]!.id] } })
      expect(r.data!.apiTokenCreate.errors).toEqual([expect.objectContaining({ code: "API_TOKEN_WALLET_NOT_IN_ACCOUNT" })])
      const mine = await AccountsRepository().listWallets(u.account.id)
      if (mine instanceof Error) throw mine
      const ok = await run(u.principal, CREATE, { input: { name: "t", scopes: ["read"], walletIds: [mine[0]!.id] } })
      expect(ok.data!.apiTokenCreate.errors).toEqual([])
    })

    it("over the token limit (3 in this test's policy), also under concurrent creates", async () => {
      const u = await userOf()
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) => run(u.principal, CREATE, { input: { name: `t${i}`, scopes: ["read"] } })),
      )
      const codes = results.map((r) => r.data!.apiTokenCreate.errors[0]?.code ?? "OK")
      expect(codes.filter((c) => c === "OK")).toHaveLength(3)
      expect(codes.filter((c) => c === "API_TOKEN_LIMIT_REACHED")).toHaveLength(3)
      // Revoking one frees a slot.
      const id = (await run(u.principal, LIST)).data!.apiTokens[0].id
      await run(u.principal, REVOKE, { id })
      expect((await run(u.principal, CREATE, { input: { name: "after revoke", scopes: ["read"] } })).data!.apiTokenCreate.errors).toEqual([])
    })

    it("one name, many concurrent creates: exactly one wins", async () => {
      const u = await userOf()
      const results = await Promise.all(
        Array.from({ length: 3 }, () => run(u.principal, CREATE, { input: { name: "race", scopes: ["read"] } })),
      )
      const codes = results.map((r) => r.data!.apiTokenCreate.errors[0]?.code ?? "OK")
      expect(codes.sort()).toEqual(["API_TOKEN_NAME_TAKEN", "API_TOKEN_NAME_TAKEN", "OK"])
    })
  })

  it("answers API_TOKEN_NOT_FOUND for someone else's token id on revoke and rotate", async () => {
    const owner = await userOf()
    const other = await userOf()
    const t = (await run(owner.principal, CREATE, { input: { name: "x", scopes: ["read"] } })).data!.apiTokenCreate.apiToken
    expect((await run(other.principal, REVOKE, { id: t.id })).data!.apiTokenRevoke.errors[0].code).toBe("API_TOKEN_NOT_FOUND")
    expect((await run(other.principal, ROTATE, { id: t.id })).data!.apiTokenRotate.errors[0].code).toBe("API_TOKEN_NOT_FOUND")
    expect((await run(other.principal, REVOKE, { id: "not-a-uuid" })).data!.apiTokenRevoke.errors[0].code).toBe("API_TOKEN_NOT_FOUND")
  })
})
