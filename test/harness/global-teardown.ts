// Stops everything the global setup started and removes what it created:
// the processes, the PostgreSQL database, this run's Redis keys, the data dir.
import { rmSync } from "node:fs"
import Redis from "ioredis"
import { Client } from "pg"
import type { RunningStack } from "../../src/stack/stack"
import { STATE_ENV, testStack } from "./stack-state"

export default async function globalTeardown() {
  const stack = (globalThis as Record<string, unknown>).__flashStack as RunningStack | undefined
  if (!stack || !process.env[STATE_ENV]) return
  const state = testStack()
  await stack.stop()

  if (state.postgresDatabase) {
    const pg = new Client({ connectionString: process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" })
    await pg.connect()
    await pg.query(`DROP DATABASE IF EXISTS ${state.postgresDatabase} WITH (FORCE)`)
    await pg.end()
  }
  if (state.urls.redis && state.redisKeyPrefix) {
    const r = new Redis(state.urls.redis)
    let cursor = "0"
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${state.redisKeyPrefix}*`, "COUNT", 500)
      cursor = next
      if (keys.length) await r.del(...keys)
    } while (cursor !== "0")
    r.disconnect()
  }
  if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(state.dataDir, { recursive: true, force: true })
}
