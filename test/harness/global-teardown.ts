// Stops everything the global setup started and removes what it created:
// the processes, the PostgreSQL databases, this run's Redis keys, the data dir.
import { rmSync } from "node:fs"
import { deleteRedisKeys, dropScratchPostgres } from "../../src/stack/scratch-services"
import type { RunningStack } from "../../src/stack/stack"
import { STATE_ENV, testStack } from "./stack-state"

export default async function globalTeardown() {
  const stack = (globalThis as Record<string, unknown>).__flashStack as RunningStack | undefined
  if (!stack || !process.env[STATE_ENV]) return
  const state = testStack()
  await stack.stop()

  const postgresAdminUrl = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
  if (state.postgresDatabase) await dropScratchPostgres(postgresAdminUrl, state.postgresDatabase)
  if (state.ferretdbPostgresqlUrl) await dropScratchPostgres(postgresAdminUrl, new URL(state.ferretdbPostgresqlUrl).pathname.slice(1))
  if (state.urls.redis && state.redisKeyPrefix) await deleteRedisKeys(state.urls.redis, state.redisKeyPrefix)
  if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(state.dataDir, { recursive: true, force: true })
}
