// The API under faults of its dependencies, on a stack of this file's own
// (FerretDB, Hydra on SQLite, the API, and a private redis-server), so stopping
// a service never disturbs the shared stack of the other test files.
//   Redis down      the API keeps serving (local revocation and limits, balances from the ledger); /readyz 200, redis "degraded"
//   Redis back      /readyz redis ok again; rate limits, revocations and wallet heads go through Redis again, no API restart
//   key rotation    a new key in hydra.jwt.access-token: old JWTs verify, new ones at once (unknown kid → refetch)
//   FerretDB down   503 STORE_UNAVAILABLE + Retry-After (WebSocket: close 1013), clear errors, nothing half-written; back without restarting the API
//   Hydra down      apiTokenCreate fails with OAUTH2_SERVER_UNAVAILABLE and no token; issued JWTs keep working; /readyz 503 names hydra
//   Hydra back      restarted on the same database: apiTokenCreate works again and earlier clients still exchange, no API restart
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Redis from "ioredis"
import { decodeProtectedHeader } from "jose"
import type { ManagedProcess } from "@/stack/child-process"
import { startFerretdb } from "@/stack/ferretdb"
import { startHydra } from "@/stack/hydra"
import { loadOrCreateSecrets } from "@/stack/secrets"
import { RunningStack, startStack } from "@/stack/stack"
import { freeStackPorts } from "@/stack/wait"
import { PrivateRedis, privateRedis } from "../support/private-redis"
import { randomPhone } from "../support/phone"
import { connectionOutcome } from "../support/invalidation"

let stack: RunningStack
let dataDir: string
let redis: PrivateRedis
let restartedFerretdb: ManagedProcess | undefined
let restartedHydra: ManagedProcess | undefined

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const startRedis = () => redis.start()
const stopRedis = () => redis?.stop()

const REFUSED_LIMIT = 4

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flash-faults-"))
  redis = await privateRedis()
  await startRedis()
  stack = await startStack({
    dataDir,
    ...(await freeStackPorts()),
    redisUrl: redis.url,
    redisKeyPrefix: "flash-faults:",
    // A small refused-credentials budget: an outage of ours must not spend it (FerretDB down, below).
    apiEnv: { LOG_LEVEL: "warn", NODE_ENV: "test", RATE_LIMIT_REFUSED_PER_MINUTE: String(REFUSED_LIMIT) },
    log: () => undefined,
  })
}, 120_000)

afterAll(async () => {
  await stack?.stop()
  await restartedHydra?.stop()
  await restartedFerretdb?.stop()
  await stopRedis()
  if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
}, 120_000)

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Body = { data?: any; errors?: Array<{ message: string; extensions?: { code?: string } }> }

const gql = async (bearer: string, query: string, variables?: Record<string, unknown>) => {
  const res = await fetch(stack.urls.graphql, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(15_000),
  })
  return { status: res.status, retryAfter: res.headers.get("retry-after"), wwwAuthenticate: res.headers.get("www-authenticate"), body: (await res.json().catch(() => ({}))) as Body }
}
const readyz = async () => {
  const res = await fetch(`${stack.urls.api}/readyz`)
  return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } }
}
const session = async () => {
  const res = await fetch(`${stack.urls.api}/dev/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone: randomPhone() }),
  })
  return ((await res.json()) as { token: string }).token
}
const CREATE = `mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { errors { code } apiToken { id clientId clientSecret } } }`
const create = async (sessionToken: string, name: string) =>
  (await gql(sessionToken, CREATE, { input: { name, scopes: ["read"] } })).body.data?.apiTokenCreate as
    | { errors: Array<{ code: string }>; apiToken: { id: string; clientId: string; clientSecret: string } | null }
    | undefined
const exchange = async (t: { clientId: string; clientSecret: string }) => {
  const res = await fetch(stack.urls.tokenEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  })
  const body = (await res.json()) as { access_token?: string }
  if (!body.access_token) throw new Error(`exchange failed: ${res.status} ${JSON.stringify(body)}`)
  return body.access_token
}
const revoke = (sessionToken: string, id: string) =>
  gql(sessionToken, `mutation($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code } } }`, { input: { id } })
/** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
const eventually = async (check: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await sleep(250)
  }
}
const ME = "{ me { defaultAccount { id } } }"
const WALLETS = "{ me { defaultAccount { wallets { id walletCurrency balance } } } }"
const btcWallet = async (sessionToken: string) =>
  ((await gql(sessionToken, WALLETS)).body.data?.me.defaultAccount.wallets as Array<{ id: string; walletCurrency: string; balance: number }>).find(
    (w) => w.walletCurrency === "BTC",
  )!
/** Pays `sats` into the session's BTC wallet through the sandbox Lightning payer. */
const fundBtc = async (sessionToken: string, sats: number) => {
  const { id } = await btcWallet(sessionToken)
  const created = await gql(
    sessionToken,
    "mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } errors { code } } }",
    { input: { walletId: id, amount: sats } },
  )
  const res = await fetch(`${stack.urls.api}/dev/lightning/pay`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ paymentRequest: created.body.data.lnInvoiceCreate.invoice.paymentRequest }),
  })
  expect(res.status).toBe(200)
}
const LIST = "{ apiTokens { id name status } }"
const proc = (name: string) => stack.processes.find((p) => p.name === name)!
/** Set by the Hydra-down test: a merchant and a token made before Hydra went away. */
let beforeHydraOutage: { session: string; token: { id: string; clientId: string; clientSecret: string } } | undefined

describe("faults, each on this file's own stack", () => {
  it("Redis down: the API keeps serving, revokes locally, and /readyz says redis is degraded", async () => {
    const s = await session()
    const t = (await create(s, "redis-down"))!.apiToken!
    const jwt = await exchange(t)
    expect((await readyz()).body.checks.redis).toBe("ok")

    await stopRedis()
    await sleep(500)
    const ready = await readyz()
    expect(ready.status).toBe(200)
    expect(ready.body.checks.redis).toMatch(/^degraded/)
    expect((await gql(jwt, ME)).body.data?.me.defaultAccount.id).toBeDefined()
    expect((await gql(s, ME)).body.data?.me.defaultAccount.id).toBeDefined()
    // Payments go through and balances come from the ledger.
    await fundBtc(s, 700)
    expect((await btcWallet(s)).balance).toBe(700)

    const revoked = await gql(s, `mutation($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code } } }`, { input: { id: t.id } })
    expect(revoked.body.data.apiTokenRevoke.errors).toEqual([])
    expect((await gql(jwt, ME)).status).toBe(401)
  })

  it("Redis back: /readyz shows redis ok again, and rate limits and revocations go through Redis again, without restarting the API", async () => {
    const apiPid = proc("api").pid
    expect((await readyz()).body.checks.redis).toMatch(/^degraded/)
    // Same port, empty (no persistence): every key found below was written after it came back.
    await startRedis()
    const redisUrl = redis.url
    const client = new Redis(redisUrl, { lazyConnect: true })
    const listener = new Redis(redisUrl, { lazyConnect: true })
    try {
      await Promise.all([client.connect(), listener.connect()])
      expect(await eventually(async () => (await readyz()).body.checks.redis === "ok")).toBe(true)
      expect(proc("api").pid).toBe(apiPid)

      const s = await session()
      const t = (await create(s, "redis-back"))!.apiToken!
      const jwt = await exchange(t)
      expect((await gql(jwt, ME)).status).toBe(200)
      // The per-token and per-user counters live in Redis again, under the stack's prefix.
      expect(await client.keys("flash-faults:rl*")).not.toEqual([])
      // A payment sets its wallet's head in Redis again, and the balance read sees it.
      await fundBtc(s, 300)
      const wallet = await btcWallet(s)
      expect(wallet.balance).toBe(300)
      expect(await client.get(`flash-faults:ledger-head:${wallet.id}`)).toBe("1:300")

      // A revocation made on this API is published on Redis for the other replicas...
      const channel = "flash-faults:api-token-invalidated"
      await listener.subscribe(channel)
      const heard = new Promise<string>((resolve) => listener.once("message", (_ch: string, message: string) => resolve(message)))
      expect((await revoke(s, t.id)).body.data.apiTokenRevoke.errors).toEqual([])
      const message = await Promise.race([heard, sleep(5_000).then(() => "nothing within 5 s")])
      // The event, stamped with when it was sent (flashapi_invalidation_delay_seconds on the receivers).
      expect(message).toMatch(/^\{/)
      expect(JSON.parse(message)).toEqual({ tokenId: t.id, revoked: true, sentAt: expect.any(Number) })

      // ... and one published by another replica reaches this API (its subscriber subscribed again).
      const other = (await create(s, "redis-back-other-replica"))!.apiToken!
      const otherJwt = await exchange(other)
      expect((await gql(otherJwt, ME)).status).toBe(200)
      await client.publish(channel, JSON.stringify({ tokenId: other.id, revoked: true }))
      expect(await eventually(async () => (await gql(otherJwt, ME)).status === 401, 5_000)).toBe(true)
    } finally {
      listener.disconnect()
      client.disconnect()
    }
  })

  it("signing-key rotation: a JWT of the old key still verifies, one of the new key verifies at once", async () => {
    const s = await session()
    const t = (await create(s, "rotation"))!.apiToken!
    const before = await exchange(t)
    expect((await gql(before, ME)).status).toBe(200)

    const kid = `rotated-${Date.now()}`
    const res = await fetch(`${stack.urls.hydraAdmin}/admin/keys/hydra.jwt.access-token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      // The same algorithm as the first key: HYDRA_ALGORITHMS accepts ES256 only by default. The new
      // kid is unknown to the API until it refetches both the JWKS and the access-token set's kids.
      body: JSON.stringify({ alg: "ES256", use: "sig", kid }),
    })
    expect(res.status).toBe(201)
    const after = await exchange(t)
    expect(decodeProtectedHeader(after).kid).toBe(kid)
    expect(decodeProtectedHeader(before).kid).not.toBe(kid)
    expect((await gql(after, ME)).status).toBe(200)
    expect((await gql(before, ME)).status).toBe(200)
  })

  it("FerretDB down: requests answer 503 STORE_UNAVAILABLE (WebSocket 1013), clear errors and nothing half-written; served again once it is back, without restarting the API", async () => {
    const s = await session()
    const t = (await create(s, "mongo-before"))!.apiToken!
    const jwt = await exchange(t)
    // A user session the API has not seen yet: its first request needs the store.
    const unseenJwt = await session()
    const apiPid = proc("api").pid

    await proc("ferretdb").stop()
    // Refused while the store is down, but not charged as refused credentials: no 429, more
    // requests than the budget, and the token works at once when the store is back (below).
    // Answered 503 STORE_UNAVAILABLE with Retry-After, not 401: the credentials are fine, and a client that
    // took a 401 would throw its token away or tell its merchant the token is bad.
    const outage: Array<{ status: number; code: string | undefined; retryAfter: string | null; wwwAuthenticate: string | null }> = []
    for (let i = 0; i <= REFUSED_LIMIT; i++) {
      const r = await gql(unseenJwt, ME)
      outage.push({ status: r.status, code: r.body.errors?.[0]?.extensions?.code, retryAfter: r.retryAfter, wwwAuthenticate: r.wwwAuthenticate })
    }
    expect(new Set(outage.map((o) => JSON.stringify(o)))).toEqual(
      new Set([JSON.stringify({ status: 503, code: "STORE_UNAVAILABLE", retryAfter: "5", wwwAuthenticate: null })]),
    )
    // Over WebSocket the same outage closes connection_init with 1013 (Try Again Later), not 4403 (Forbidden).
    const ws = await connectionOutcome(stack.urls.graphqlWs, unseenJwt)
    expect(ws).toEqual({ code: 1013, reason: expect.stringMatching(/^SERVICE_UNAVAILABLE: /) })
    const ready = await readyz()
    expect(ready.status).toBe(503)
    expect(ready.body.checks.mongo).toMatch(/^down/)
    const during = await gql(s, CREATE, { input: { name: "mongo-during", scopes: ["read"] } })
    expect(during.status).toBeLessThan(500)
    const codes = [...(during.body.errors ?? []).map((e) => e.extensions?.code), ...(during.body.data?.apiTokenCreate?.errors ?? []).map((e: { code: string }) => e.code)]
    expect(codes.length).toBeGreaterThan(0)
    expect(codes).not.toContain(undefined)
    const hydraClientsDuring = (await (await fetch(`${stack.urls.hydraAdmin}/admin/clients?page_size=500`)).json()) as unknown[]

    const mongoPort = Number(new URL(stack.urls.mongodb).port)
    restartedFerretdb = await startFerretdb({ host: "127.0.0.1", port: mongoPort, dataDir, logDir: join(dataDir, "logs") })
    let back = false
    for (let i = 0; i < 40 && !back; i++) {
      back = (await readyz()).status === 200
      if (!back) await sleep(500)
    }
    expect(back).toBe(true)
    expect(proc("api").pid).toBe(apiPid)
    expect(proc("api").isRunning()).toBe(true)
    expect((await gql(jwt, ME)).status).toBe(200)
    expect((await gql(unseenJwt, ME)).status).toBe(200)
    const names = ((await gql(s, LIST)).body.data.apiTokens as Array<{ name: string; status: string }>).map((x) => x.name)
    expect(names).toEqual(["mongo-before"])
    // Nothing half-written on Hydra's side either: no client was created for the failed call.
    const hydraClientsAfter = (await (await fetch(`${stack.urls.hydraAdmin}/admin/clients?page_size=500`)).json()) as unknown[]
    expect(hydraClientsAfter.length).toBe(hydraClientsDuring.length)
    expect((await create(s, "mongo-after"))!.errors).toEqual([])
  })

  it("Hydra down: apiTokenCreate fails with OAUTH2_SERVER_UNAVAILABLE and leaves no token; issued JWTs keep working; /readyz names hydra", async () => {
    const s = await session()
    const t = (await create(s, "hydra-before"))!.apiToken!
    const jwt = await exchange(t)
    beforeHydraOutage = { session: s, token: t }

    await proc("hydra").stop()
    const created = await create(s, "hydra-during")
    expect(created!.errors.map((e) => e.code)).toEqual(["OAUTH2_SERVER_UNAVAILABLE"])
    expect(created!.apiToken).toBeNull()
    const list = (await gql(s, LIST)).body.data.apiTokens as Array<{ name: string; status: string }>
    expect(list.map((x) => `${x.name}:${x.status}`)).toEqual(["hydra-before:ACTIVE"])
    expect((await gql(jwt, ME)).status).toBe(200)
    const ready = await readyz()
    expect(ready.status).toBe(503)
    expect(ready.body.checks.hydra).toMatch(/^down/)
    expect(ready.body.checks.mongo).toBe("ok")
  })

  it("Hydra back: restarted on the same database, apiTokenCreate works again and earlier clients still exchange, without restarting the API", async () => {
    const { session: s, token: before } = beforeHydraOutage!
    const apiPid = proc("api").pid
    expect((await readyz()).body.checks.hydra).toMatch(/^down/)
    // As the launcher started it (startStack without hydraDsn): the SQLite file in the data dir, same ports and secrets.
    restartedHydra = await startHydra({
      dsn: `sqlite://${join(dataDir, "hydra.sqlite")}?_fk=true&mode=rwc`,
      publicHost: "127.0.0.1",
      publicPort: Number(new URL(stack.urls.hydraPublic).port),
      adminPort: Number(new URL(stack.urls.hydraAdmin).port),
      issuer: stack.urls.hydraPublic,
      tokenHookUrl: `${stack.urls.api}/hooks/hydra/token`,
      tokenHookSecret: stack.tokenHookSecret,
      systemSecret: loadOrCreateSecrets(dataDir).hydraSystemSecret,
      accessTokenLifespanSeconds: 300,
      logDir: join(dataDir, "logs"),
    })
    expect(await eventually(async () => (await readyz()).status === 200)).toBe(true)
    expect((await readyz()).body.checks).toMatchObject({ hydra: "ok", jwks: "ok", mongo: "ok" })
    expect(proc("api").pid).toBe(apiPid)

    const created = (await create(s, "hydra-after"))!
    expect(created.errors).toEqual([])
    expect((await gql(await exchange(created.apiToken!), ME)).status).toBe(200)
    // The client made before the outage is still in Hydra's database.
    expect((await gql(await exchange(before), ME)).status).toBe(200)
    const list = (await gql(s, LIST)).body.data.apiTokens as Array<{ name: string; status: string }>
    expect(list.map((x) => `${x.name}:${x.status}`)).toEqual(["hydra-after:ACTIVE", "hydra-before:ACTIVE"])
  }, 120_000)
})
