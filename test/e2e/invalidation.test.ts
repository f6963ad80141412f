// One way to narrow a token, effective on every API replica (issue 15, item 1):
// rotation (grace 0, and when a grace period ends), an edit with apiTokenUpdate,
// an account lock and a change the Redis message never announced. Two API
// processes share Mongo, Hydra and Redis; each test waits for the event itself
// with a generous bound (the time it takes is measured by `npm run bench`).
import { execFile } from "node:child_process"
import { join } from "node:path"
import { promisify } from "node:util"
import mongoose from "mongoose"
import { testStack } from "../harness/stack-state"
import { accessTokenFor, createApiToken, merchantWithToken, requestAccessToken } from "../support/api-tokens"
import {
  btcWalletOf,
  eventually,
  fundBtc,
  openSocket,
  post,
  ROTATE,
  SEND,
  statusOf,
  UPDATE,
} from "../support/invalidation"
import { readMetrics, sample } from "../support/metrics"
import { startSecondApi } from "../support/second-api"
import { devSession } from "../support/tokens"

const stack = testStack()
const run = promisify(execFile)
const admin = (...args: string[]) =>
  run(process.execPath, ["--import", "tsx", join(__dirname, "..", "..", "src", "servers", "admin-cli.ts"), ...args], {
    env: { ...process.env, ...stack.apiEnv, LOG_LEVEL: "silent" },
  })

describe("invalidation across two API processes", () => {
  let replica: Awaited<ReturnType<typeof startSecondApi>>
  const sockets: Array<{ dispose: () => unknown }> = []
  beforeAll(async () => {
    expect(stack.urls.redis).toBeDefined() // fan-out between replicas goes through Redis
    replica = await startSecondApi()
  }, 120_000)
  afterAll(async () => {
    for (const s of sockets) await s.dispose()
    await replica?.stop()
  })
  const socket = async (wsUrl: string, jwt: string) => {
    const s = await openSocket(wsUrl, jwt)
    sockets.push(s)
    return s
  }

  it(
    "rotation with grace 0: the old JWT gets 401 on both processes, its open sockets close 4441, and it pays nothing over HTTP or the old socket",
    async () => {
      const { session, token, jwt } = await merchantWithToken(["read", "write"])
      const walletId = await fundBtc(stack.urls.api, session.token, 1000)
      const payee = await devSession()
      const payeeWallet = (await btcWalletOf(stack.urls.graphql, payee.token)).id
      const pay = { input: { walletId, recipientWalletId: payeeWallet, amount: 100 } }

      // Both processes have the record cached, and a socket on each is open.
      expect(await statusOf(stack.urls.graphql, jwt)).toBe(200)
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      const here = await socket(stack.urls.graphqlWs, jwt)
      const there = await socket(replica.graphqlWs, jwt)
      here.watch()
      there.watch()

      const delaysBefore = sample(await readMetrics(replica.metrics!), "flashapi_invalidation_delay_seconds_count")
      const rotated = await post(stack.urls.graphql, session.token, ROTATE, { input: { id: token.id, gracePeriodSeconds: 0 } })
      expect(rotated.body.data.apiTokenRotate.errors).toEqual([])
      // Right after the answer, a payment on the old socket of the process that rotated: refused or closed, never paid.
      const onOldSocket = await here.run(SEND, pay)
      expect(onOldSocket).not.toMatchObject({ data: { intraLedgerPaymentSend: { status: "SUCCESS" } } })

      const sentHere = await post(stack.urls.graphql, jwt, SEND, pay)
      expect(sentHere.status).toBe(401)
      expect(await eventually(async () => (await statusOf(replica.graphql, jwt)) === 401)).toBe(true)
      expect((await post(replica.graphql, jwt, SEND, pay)).status).toBe(401)
      // The replica heard it over Redis and measured how long it took (the dashboard's propagation panel).
      expect(sample(await readMetrics(replica.metrics!), "flashapi_invalidation_delay_seconds_count")).toBeGreaterThan(delaysBefore)
      expect(await here.closed).toBe(4441)
      expect(await there.closed).toBe(4441)

      expect((await btcWalletOf(stack.urls.graphql, session.token)).balance).toBe(1000)
      // The new credentials work on both.
      const fresh = await accessTokenFor(rotated.body.data.apiTokenRotate.apiToken)
      expect(await statusOf(replica.graphql, fresh)).toBe(200)
      expect(await statusOf(stack.urls.graphql, fresh)).toBe(200)
    },
    120_000,
  )

  it(
    "rotation with a 5 s grace: the old JWT and its socket keep working right after, and both are refused once the grace ends, on both processes",
    async () => {
      const { session, token, jwt } = await merchantWithToken(["read"])
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      const there = await socket(replica.graphqlWs, jwt)
      there.watch()

      const rotated = await post(stack.urls.graphql, session.token, ROTATE, { input: { id: token.id, gracePeriodSeconds: 5 } })
      expect(rotated.body.data.apiTokenRotate.errors).toEqual([])
      expect(await statusOf(stack.urls.graphql, jwt)).toBe(200)
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      const during = await there.run("{ me { defaultAccount { id } } }")
      expect(during).toMatchObject({ data: { me: { defaultAccount: { id: expect.any(String) } } } })

      expect(await there.closed).toBe(4441)
      expect(await eventually(async () => (await statusOf(replica.graphql, jwt)) === 401)).toBe(true)
      expect(await eventually(async () => (await statusOf(stack.urls.graphql, jwt)) === 401)).toBe(true)
    },
    120_000,
  )

  it(
    "apiTokenUpdate write → read: the other process refuses payments with the old JWT, closes its socket 4442, and Hydra grants no write scope any more",
    async () => {
      const { session, token, jwt } = await merchantWithToken(["read", "write"])
      const walletId = await fundBtc(stack.urls.api, session.token, 500)
      const payee = await devSession()
      const pay = { input: { walletId, recipientWalletId: (await btcWalletOf(stack.urls.graphql, payee.token)).id, amount: 100 } }
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      const there = await socket(replica.graphqlWs, jwt)
      there.watch()

      const updated = await post(stack.urls.graphql, session.token, UPDATE, { input: { id: token.id, scopes: ["read"] } })
      expect(updated.body.data.apiTokenUpdate).toEqual({
        errors: [],
        apiToken: { id: token.id, scopes: ["read"], ipAllowlist: null, walletIds: null, rateLimitPerMinute: null, dailySendLimit: null },
      })
      expect(await there.closed).toBe(4442)
      const refused = async () => (await post(replica.graphql, jwt, SEND, pay)).body.errors?.[0]?.extensions?.code === "INSUFFICIENT_SCOPE"
      expect(await eventually(refused)).toBe(true)
      expect((await post(stack.urls.graphql, jwt, SEND, pay)).body.errors?.[0]?.extensions?.code).toBe("INSUFFICIENT_SCOPE")
      expect((await btcWalletOf(stack.urls.graphql, session.token)).balance).toBe(500)
      // Reading still works, and a new JWT cannot ask for write.
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      expect((await requestAccessToken(token, "write")).status).toBeGreaterThanOrEqual(400)
      expect((await requestAccessToken(token, "read")).status).toBe(200)
    },
    120_000,
  )

  it(
    "apiTokenUpdate ipAllowlist: the other process answers 401 and closes the socket 4442; lifting the limit lets the token in again",
    async () => {
      const { session, token, jwt } = await merchantWithToken(["read"])
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      const there = await socket(replica.graphqlWs, jwt)
      there.watch()

      const narrowed = await post(stack.urls.graphql, session.token, UPDATE, { input: { id: token.id, ipAllowlist: ["203.0.113.7"] } })
      expect(narrowed.body.data.apiTokenUpdate.apiToken.ipAllowlist).toEqual(["203.0.113.7/32"])
      expect(await there.closed).toBe(4442)
      expect(await eventually(async () => (await statusOf(replica.graphql, jwt)) === 401)).toBe(true)
      expect(await statusOf(stack.urls.graphql, jwt)).toBe(401)

      const lifted = await post(stack.urls.graphql, session.token, UPDATE, { input: { id: token.id, ipAllowlist: null } })
      expect(lifted.body.data.apiTokenUpdate.errors).toEqual([])
      expect(await eventually(async () => (await statusOf(replica.graphql, jwt)) === 200)).toBe(true)
    },
    120_000,
  )

  it("apiTokenUpdate changes limits without closing sockets, validates like apiTokenCreate, and is refused to API tokens and to other accounts", async () => {
    const { session, token, jwt } = await merchantWithToken(["read", "write"])
    const there = await socket(replica.graphqlWs, jwt)
    const limits = await post(stack.urls.graphql, session.token, UPDATE, { input: { id: token.id, rateLimitPerMinute: 30, dailySendLimit: 1000 } })
    expect(limits.body.data.apiTokenUpdate.apiToken).toMatchObject({ rateLimitPerMinute: 30, dailySendLimit: 1000, scopes: ["read", "write"] })
    // The socket stays, and its next operation runs with the new record.
    expect(await there.run("{ me { defaultAccount { id } } }")).toMatchObject({ data: { me: { defaultAccount: { id: expect.any(String) } } } })
    expect(there.isOpen()).toBe(true)

    const bad = await post(stack.urls.graphql, session.token, UPDATE, { input: { id: token.id, ipAllowlist: ["10.0.0.1/8"] } })
    expect(bad.body.data.apiTokenUpdate.errors[0].code).toBeDefined()
    expect(bad.body.data.apiTokenUpdate.apiToken).toBeNull()
    const readOnlyLimit = await post(stack.urls.graphql, session.token, UPDATE, { input: { id: token.id, scopes: ["read"], dailySendLimit: 5 } })
    expect(readOnlyLimit.body.data.apiTokenUpdate.apiToken).toBeNull()

    const byToken = await post(stack.urls.graphql, jwt, UPDATE, { input: { id: token.id, scopes: ["read", "write"] } })
    expect(byToken.body.errors?.[0]?.extensions?.code).toBe("API_TOKEN_NOT_ALLOWED")
    const stranger = await devSession()
    const foreign = await post(stack.urls.graphql, stranger.token, UPDATE, { input: { id: token.id, scopes: ["read"] } })
    expect(foreign.body.data.apiTokenUpdate.errors).toEqual([{ code: "API_TOKEN_NOT_FOUND" }])
  })

  it(
    "admin lock: the account's API token and session get 401 on both processes and its sockets close 4442; unlock lets them in again",
    async () => {
      const { session, jwt } = await merchantWithToken(["read"])
      const me = await post(stack.urls.graphql, session.token, "{ me { defaultAccount { id } } }")
      const accountId = me.body.data.me.defaultAccount.id as string
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      expect(await statusOf(replica.graphql, session.token)).toBe(200)
      const tokenSocket = await socket(replica.graphqlWs, jwt)
      const sessionSocket = await socket(stack.urls.graphqlWs, session.token)
      tokenSocket.watch()
      sessionSocket.watch()

      const locked = await admin("lock", accountId)
      expect(JSON.parse(locked.stdout)).toEqual({ accountId, status: "LOCKED" })
      expect(await tokenSocket.closed).toBe(4442)
      expect(await sessionSocket.closed).toBe(4442)
      for (const url of [stack.urls.graphql, replica.graphql]) {
        expect(await eventually(async () => (await statusOf(url, jwt)) === 401)).toBe(true)
        expect(await eventually(async () => (await statusOf(url, session.token)) === 401)).toBe(true)
      }

      await admin("unlock", accountId)
      expect(await eventually(async () => (await statusOf(replica.graphql, jwt)) === 200)).toBe(true)
      expect(await eventually(async () => (await statusOf(stack.urls.graphql, session.token)) === 200)).toBe(true)
    },
    120_000,
  )

  it(
    "the periodic resync: a narrowing written straight to Mongo, with no message on Redis, is refused on both processes",
    async () => {
      const session = await devSession()
      const token = await createApiToken(session.token, { scopes: ["read"] })
      const jwt = await accessTokenFor(token)
      expect(await statusOf(stack.urls.graphql, jwt)).toBe(200)
      expect(await statusOf(replica.graphql, jwt)).toBe(200)
      const there = await socket(replica.graphqlWs, jwt)
      there.watch()

      const conn = await mongoose.createConnection(stack.urls.mongodb).asPromise()
      try {
        // As docs/authentication.md tells an operator: the stamp and its minute.
        const r = await conn
          .collection("apitokens")
          .updateOne({ _id: token.id as never }, { $set: { ipAllowlist: ["203.0.113.7/32"], changedAt: new Date(), changeBucket: String(Math.floor(Date.now() / 60_000)) } })
        expect(r.matchedCount).toBe(1)
      } finally {
        await conn.close()
      }
      // REVOCATION_RESYNC_SECONDS is 15 by default: well within this bound.
      expect(await eventually(async () => (await statusOf(replica.graphql, jwt)) === 401, 90_000, 250)).toBe(true)
      expect(await eventually(async () => (await statusOf(stack.urls.graphql, jwt)) === 401, 90_000, 250)).toBe(true)
      expect(await there.closed).toBe(4442)
    },
    200_000,
  )
})
