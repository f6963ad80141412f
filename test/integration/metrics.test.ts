// /metrics moves with what the API does: token hook decisions, JWKS refetches,
// the active-token gauge (and its count across replicas) and revocations, read before and after each action on
// the shared stack's API. Other test files run at the same time, so counters
// are asserted to grow by at least what this file caused.
import { randomUUID } from "node:crypto"
import { generateKeyPair, SignJWT } from "jose"
import { checkedToApiTokenId } from "@/domain/api-tokens"
import { ACTIVE_TOKENS_SNAPSHOT } from "@/servers/active-tokens-gauge"
import { ApiTokensRepository } from "@/services/mongoose/api-tokens"
import { GaugeSnapshotModel } from "@/services/mongoose/gauge-snapshots"
import { JobLeaseModel } from "@/services/mongoose/job-leases"
import { connectMongo, disconnectMongo } from "@/services/mongoose/connection"
import { testStack } from "../harness/stack-state"
import { createApiToken, requestAccessToken, revokeApiToken } from "../support/api-tokens"
import { readMetrics, sample, Samples } from "../support/metrics"
import { startSecondApi } from "../support/second-api"
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

const gauge = async (base?: string) => sample(await readMetrics(base), "flashapi_api_tokens_active")

/**
 * Runs `action` (a create or a revoke through the API) and expects this API's
 * gauge to move by `delta` at once, without a count. The gauge also moves when
 * a cluster count lands (other test files' replicas count every 5 min); if one
 * did between the two reads, the action is repeated (up to 3 times).
 */
const expectGaugeToMove = async (delta: number, action: () => Promise<void>) => {
  const moves: number[] = []
  for (let attempt = 0; attempt < 3 && moves[moves.length - 1] !== delta; attempt++) {
    const before = await gauge()
    await action()
    moves.push((await gauge()) - before)
  }
  expect(moves[moves.length - 1]).toBe(delta)
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

  it("moves flashapi_api_tokens_active by +1 right after a create and by -1 right after a revoke in this process, without waiting for a count", async () => {
    const mine: string[] = []
    await expectGaugeToMove(+1, async () => {
      mine.push((await createApiToken(session, { scopes: ["read"] })).id)
    })
    const before = await readMetrics()
    await expectGaugeToMove(-1, async () => {
      const id = mine.pop() ?? (await createApiToken(session, { scopes: ["read"] })).id
      expect((await revokeApiToken(session, id)).apiToken?.status).toBe("REVOKED")
    })
    const after = await readMetrics()
    expect(grew(before, after, "flashapi_revocations_seen_total", { source: "any" })).toBeGreaterThanOrEqual(1)
    // Revoking it again moves nothing: it was no longer active.
    const id = (await createApiToken(session, { scopes: ["read"] })).id
    expect((await revokeApiToken(session, id)).apiToken?.status).toBe("REVOKED")
    await expectGaugeToMove(0, async () => {
      expect((await revokeApiToken(session, id)).apiToken?.status).toBe("REVOKED")
    })
    for (const id of mine) await revokeApiToken(session, id)
  })

  it("counts active tokens once per period across replicas, under a lease, and every replica shows that count", async () => {
    const replicas = await Promise.all([0, 1].map(() => startSecondApi({ API_TOKEN_ACTIVE_COUNT_INTERVAL_SECONDS: "1" })))
    try {
      const from = Math.floor(Date.now() / 1000) + 1
      await sleep(4000)
      const to = Math.floor(Date.now() / 1000) - 1
      // One claim per period (the lease's unique _id), by one of the two.
      const claims = (await JobLeaseModel.find({ job: "count-active-tokens" }).lean<Array<{ _id: string; period: number; holder: string }>>())
        .filter((c) => c._id.startsWith("count-active-tokens:1000:") && c.period >= from && c.period <= to)
        .sort((a, b) => a.period - b.period)
      expect(claims.map((c) => c.period)).toEqual(Array.from({ length: to - from + 1 }, (_, i) => from + i))
      const pids = replicas.map((r) => `:${r.process.pid}:`)
      for (const c of claims) expect(pids.some((p) => c.holder.includes(p))).toBe(true)
      const runs = await Promise.all(replicas.map(async (r) => sample(await readMetrics(r.metrics!), "flashapi_jobs_run_total", { job: "count-active-tokens" })))
      expect(runs.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(to - from + 1 + 6) // the window's periods, plus the edges of 4 s on two replicas
      // Neither replica changed a token, so each shows the latest snapshot (read back within a second of it).
      for (const r of replicas) {
        let seen = { gauge: NaN, snapshot: NaN }
        const deadline = Date.now() + 5000
        while (Date.now() < deadline) {
          const before = await GaugeSnapshotModel.findById(ACTIVE_TOKENS_SNAPSHOT).lean<{ value: number; countedAt: Date }>()
          const shown = await gauge(r.metrics!)
          const after = await GaugeSnapshotModel.findById(ACTIVE_TOKENS_SNAPSHOT).lean<{ value: number; countedAt: Date }>()
          seen = { gauge: shown, snapshot: after?.value ?? NaN }
          if (before && after && +before.countedAt === +after.countedAt && shown === after.value) break
          await sleep(100)
        }
        expect(seen.gauge).toBe(seen.snapshot)
        expect(Number.isInteger(seen.gauge) && seen.gauge > 0).toBe(true)
      }
      const snapshot = await GaugeSnapshotModel.findById(ACTIVE_TOKENS_SNAPSHOT).lean<{ countedAt: Date }>()
      expect(Date.now() - +snapshot!.countedAt).toBeLessThan(3000)
    } finally {
      await Promise.all(replicas.map((r) => r.stop()))
    }
  }, 90_000)
})
