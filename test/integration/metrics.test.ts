// /metrics moves with what the API does: token hook decisions, JWKS refetches,
// the active-token gauge and revocations, read before and after each action on
// the shared stack's API. Other test files run at the same time, so counters
// are asserted to grow by at least what this file caused.
import { randomUUID } from "node:crypto"
import { generateKeyPair, SignJWT } from "jose"
import { checkedToApiTokenId } from "@/domain/api-tokens"
import { ApiTokensRepository } from "@/services/mongoose/api-tokens"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { testStack } from "../harness/stack-state"
import { createApiToken, requestAccessToken, revokeApiToken } from "../support/api-tokens"
import { readMetrics, sample, Samples } from "../support/metrics"
import { devSession, graphqlPost } from "../support/tokens"

const stack = testStack()
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const tokens = ApiTokensRepository()
let session: string

beforeAll(async () => {
  await connectMongo(stack.urls.mongodb)
  session = (await devSession()).token
})
afterAll(() => disconnectMongo())

const grew = (before: Samples, after: Samples, name: string, labels: Record<string, string>) =>
  sample(after, name, labels) - sample(before, name, labels)

const activeInStore = async () => {
  const n = await tokens.countActive()
  if (n instanceof Error) throw n
  return n
}

/**
 * Whether the gauge equals Mongo's count of ACTIVE tokens within `timeoutMs`,
 * compared at a quiet moment (the count unchanged around the gauge read).
 */
const gaugeMatchesStore = async (timeoutMs = 1500) => {
  const deadline = Date.now() + timeoutMs
  let last = { gauge: NaN, store: NaN }
  while (Date.now() < deadline) {
    const before = await activeInStore()
    const gauge = sample(await readMetrics(), "flashapi_api_tokens_active")
    const after = await activeInStore()
    last = { gauge, store: after }
    if (before === after && gauge === after) return { matches: true, ...last }
    await sleep(50)
  }
  return { matches: false, ...last }
}

/**
 * Runs `action` (a create or a revoke through the API) and expects the gauge to
 * follow it at once rather than at its 30 s refresh. Other test files create
 * tokens in their own process, which this API never hears of; if one did so
 * between the refresh and the read, the action is repeated (up to 3 times).
 */
const expectGaugeToFollow = async (action: () => Promise<void>) => {
  let result = { matches: false, gauge: NaN, store: NaN }
  for (let attempt = 0; attempt < 3 && !result.matches; attempt++) {
    await action()
    result = await gaugeMatchesStore()
  }
  expect(result).toEqual({ matches: true, gauge: result.store, store: result.store })
}

describe("/metrics", () => {
  it("counts an allowed issuance in flashapi_token_hook_decisions_total{decision=\"allow\"}", async () => {
    const t = await createApiToken(session, { scopes: ["read"] })
    const before = await readMetrics()
    const exchanged = await requestAccessToken(t)
    expect(exchanged.status).toBe(200)
    const after = await readMetrics()
    expect(grew(before, after, "flashapi_token_hook_decisions_total", { decision: "allow" })).toBeGreaterThanOrEqual(1)
    expect(grew(before, after, "flashapi_token_hook_decisions_total", { decision: "TOKEN_REVOKED" })).toBe(0)
  })

  it("counts a refused issuance under its refusal code: a revoked token whose Hydra client is still there gets TOKEN_REVOKED", async () => {
    const t = await createApiToken(session, { scopes: ["read"] })
    // Revoked in Mongo while its Hydra client still exists, as after a revocation
    // made while Hydra was down: only the token hook stands between it and a JWT.
    const id = checkedToApiTokenId(t.id)
    if (id instanceof Error) throw id
    const revoked = await tokens.markRevoked(id, new Date())
    expect(revoked).not.toBeInstanceOf(Error)
    const before = await readMetrics()
    const exchanged = await requestAccessToken(t)
    expect(exchanged.status).toBe(403)
    expect(exchanged.body.error).toBe("access_denied")
    const after = await readMetrics()
    expect(grew(before, after, "flashapi_token_hook_decisions_total", { decision: "TOKEN_REVOKED" })).toBeGreaterThanOrEqual(1)
    // Deletes the Hydra client (idempotent on the record).
    expect((await revokeApiToken(session, t.id)).errors).toEqual([])
  })

  it("counts the JWKS refetch that a JWT signed under a kid Hydra never published forces, as flashapi_jwks_refreshes_total{issuer=\"hydra\",result=\"ok\"}", async () => {
    const { privateKey } = await generateKeyPair("ES256")
    const forged = await new SignJWT({ client_id: "x", scp: ["read"] })
      .setProtectedHeader({ alg: "ES256", kid: `never-published-${randomUUID()}` })
      .setIssuer(stack.urls.hydraPublic)
      .setSubject("x")
      .setIssuedAt()
      .setExpirationTime("1m")
      .sign(privateKey)
    const before = await readMetrics()
    const res = await graphqlPost({ query: "{ globals { network } }" }, { authorization: `Bearer ${forged}` })
    expect(res.status).toBe(401)
    // The refusal waits for the refetch (at most one a second, shared): both are counted by now.
    const after = await readMetrics()
    expect(grew(before, after, "flashapi_jwks_refreshes_total", { issuer: "hydra", result: "ok" })).toBeGreaterThanOrEqual(1)
    expect(grew(before, after, "flashapi_jwks_refreshes_total", { issuer: "hydra", result: "error" })).toBe(0)
    expect(grew(before, after, "flashapi_auth_outcomes_total", { transport: "http", outcome: "rejected", reason: "unknown_key" })).toBeGreaterThanOrEqual(1)
  })

  it("moves flashapi_api_tokens_active right after a create and right after a revoke, not only at its 30 s refresh", async () => {
    const mine: string[] = []
    await expectGaugeToFollow(async () => {
      mine.push((await createApiToken(session, { scopes: ["read"] })).id)
    })
    const before = await readMetrics()
    await expectGaugeToFollow(async () => {
      const id = mine.pop() ?? (await createApiToken(session, { scopes: ["read"] })).id
      expect((await revokeApiToken(session, id)).apiToken?.status).toBe("REVOKED")
    })
    const after = await readMetrics()
    expect(grew(before, after, "flashapi_revocations_seen_total", { source: "any" })).toBeGreaterThanOrEqual(1)
    for (const id of mine) await revokeApiToken(session, id)
  })
})
