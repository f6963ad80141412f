// Invalidation when Redis goes away for a moment and comes back, on a stack of
// this file's own (FerretDB, Hydra, the API, a private redis-server) and a
// second API process on it, so stopping Redis never disturbs the shared stack.
// The second process has a resync period and a cache TTL far longer than the
// test: what it learns of a change made while Redis was down, it learns from
// the resync that its Redis reconnect triggers (Mongo is the source of truth).
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ApiReplica, startApiReplica } from "@/stack/api-replica"
import { createScratchPostgres, dropScratchPostgres } from "@/stack/scratch-services"
import { RunningStack, startStack } from "@/stack/stack"
import { freeStackPorts } from "@/stack/wait"
import { eventually, openSocket, post, ROTATE } from "../support/invalidation"
import { PrivateRedis, privateRedis } from "../support/private-redis"
import { randomPhone } from "../support/phone"

let stack: RunningStack
let replica: ApiReplica | undefined
let dataDir: string
let redis: PrivateRedis
// Hydra on a PostgreSQL database of this file's own when PostgreSQL answers (as
// the shared stack): on a loaded machine Hydra's SQLite answered its JWKS too
// slowly for the API to become ready.
const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const postgresDatabase = `flash_invalidation_hydra_${randomBytes(4).toString("hex")}`
let hydraDsn: string | undefined
const sockets: Array<{ dispose: () => unknown }> = []

const startRedis = () => redis.start()
const stopRedis = () => redis?.stop()

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "flash-invalidation-"))
  redis = await privateRedis()
  await startRedis()
  hydraDsn = await createScratchPostgres(POSTGRES_ADMIN_URL, postgresDatabase)
  stack = await startStack({
    dataDir,
    ...(await freeStackPorts()),
    hydraDsn,
    redisUrl: redis.url,
    redisKeyPrefix: "flash-invalidation:",
    apiEnv: { LOG_LEVEL: "warn", NODE_ENV: "test" },
    log: () => undefined,
  })
  replica = await startApiReplica({
    apiEnv: stack.apiEnv,
    primaryApiUrl: stack.urls.api,
    dataDir,
    // Neither the periodic resync nor the cache TTL can help within this test: only the bus can.
    extraEnv: { REVOCATION_RESYNC_SECONDS: "3600", API_TOKEN_CACHE_TTL_SECONDS: "3600" },
  })
}, 300_000)

afterAll(async () => {
  for (const s of sockets) await s.dispose()
  await replica?.process.stop()
  await stack?.stop()
  await stopRedis()
  if (hydraDsn) await dropScratchPostgres(POSTGRES_ADMIN_URL, postgresDatabase).catch(() => undefined)
  if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
}, 120_000)

const me = async (url: string, jwt: string) => (await post(url, jwt, "{ me { defaultAccount { id } } }")).status
const session = async () => {
  const res = await fetch(`${stack.urls.api}/dev/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone: randomPhone() }),
  })
  return ((await res.json()) as { token: string }).token
}
const tokenWithJwt = async (sessionToken: string) => {
  const created = await post(
    stack.urls.graphql,
    sessionToken,
    `mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { errors { code } apiToken { id clientId clientSecret } } }`,
    { input: { name: `outage-${Math.random().toString(36).slice(2, 8)}`, scopes: ["read"] } },
  )
  const t = created.body.data.apiTokenCreate.apiToken as { id: string; clientId: string; clientSecret: string }
  const res = await fetch(stack.urls.tokenEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  })
  return { token: t, jwt: ((await res.json()) as { access_token: string }).access_token }
}

describe("invalidation while Redis is down for a moment", () => {
  it(
    "rotations made while Redis is down (grace 0 and grace 5 s) are refused on both processes once it is back, and their sockets closed 4441",
    async () => {
      const s = await session()
      const cut = await tokenWithJwt(s)
      const graced = await tokenWithJwt(s)
      for (const t of [cut, graced]) {
        expect(await me(stack.urls.graphql, t.jwt)).toBe(200)
        expect(await me(replica!.graphql, t.jwt)).toBe(200) // cached on the replica now
      }
      const cutSocket = await openSocket(replica!.graphqlWs, cut.jwt)
      const gracedSocket = await openSocket(replica!.graphqlWs, graced.jwt)
      sockets.push(cutSocket, gracedSocket)
      cutSocket.watch()
      gracedSocket.watch()

      await stopRedis()
      const r0 = await post(stack.urls.graphql, s, ROTATE, { input: { id: cut.token.id, gracePeriodSeconds: 0 } })
      expect(r0.body.data.apiTokenRotate.errors).toEqual([])
      const r5 = await post(stack.urls.graphql, s, ROTATE, { input: { id: graced.token.id, gracePeriodSeconds: 5 } })
      expect(r5.body.data.apiTokenRotate.errors).toEqual([])
      // The process that rotated knows at once, Redis or not; the grace keeps the other one working.
      expect(await me(stack.urls.graphql, cut.jwt)).toBe(401)
      expect(await me(stack.urls.graphql, graced.jwt)).toBe(200)

      await startRedis()
      expect(await eventually(async () => (await me(replica!.graphql, cut.jwt)) === 401, 60_000, 250)).toBe(true)
      expect(await cutSocket.closed).toBe(4441)
      // The grace end needs no message at all: the record the resync reloaded carries notAfter.
      expect(await eventually(async () => (await me(replica!.graphql, graced.jwt)) === 401, 60_000, 250)).toBe(true)
      expect(await eventually(async () => (await me(stack.urls.graphql, graced.jwt)) === 401, 60_000, 250)).toBe(true)
      expect(await gracedSocket.closed).toBe(4441)
    },
    240_000,
  )

  it(
    "with Redis back, a rotation reaches the other process through Redis again (its resync period is an hour)",
    async () => {
      const s = await session()
      const t = await tokenWithJwt(s)
      expect(await me(replica!.graphql, t.jwt)).toBe(200)
      const r0 = await post(stack.urls.graphql, s, ROTATE, { input: { id: t.token.id, gracePeriodSeconds: 0 } })
      expect(r0.body.data.apiTokenRotate.errors).toEqual([])
      expect(await eventually(async () => (await me(replica!.graphql, t.jwt)) === 401, 60_000, 100)).toBe(true)
    },
    120_000,
  )
})
