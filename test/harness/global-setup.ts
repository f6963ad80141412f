// Starts the stack the tests run against, the way `npm start` does, but on free
// ports in a temporary data dir: Hydra on a fresh PostgreSQL database when
// PostgreSQL answers at 127.0.0.1:5432 (the production path; SQLite otherwise),
// FerretDB on a fresh PostgreSQL database of its own too (SQLite otherwise), the
// machine's Redis under a key prefix of this run, and the API. FLASH_TEST_SKIP_STACK=1 skips it (unit tests only).
import { randomBytes } from "node:crypto"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createScratchPostgres, dropScratchPostgres, ensurePostgresDatabase, redisAnswers } from "../../src/stack/scratch-services"
import { ensureBinaries } from "../../src/stack/go-build"
import { startStack } from "../../src/stack/stack"
import { freeStackPorts } from "../../src/stack/wait"
import { STATE_ENV, TestStackState } from "./stack-state"

const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

export default async function globalSetup() {
  if (process.env.FLASH_TEST_SKIP_STACK === "1") return
  const run = randomBytes(4).toString("hex")
  const dataDir = mkdtempSync(join(tmpdir(), `flash-test-${run}-`))
  const log = (line: string) => process.stderr.write(`${line}\n`)
  log("")
  // Helm for the chart's test (test/e2e/helm-chart.test.ts): built here, once per
  // machine, before the tests run in parallel rather than inside one of them.
  await ensureBinaries(log, ["helm"])

  const postgresDatabase = `flash_test_hydra_${run}`
  const hydraDsn = await createScratchPostgres(POSTGRES_ADMIN_URL, postgresDatabase)
  log(hydraDsn ? `[test] Hydra on PostgreSQL database ${postgresDatabase}` : "[test] PostgreSQL does not answer: Hydra on SQLite")
  const ferretdbDatabase = `flash_test_ferretdb_${run}`
  const ferretdbPostgresqlUrl = hydraDsn ? await ensurePostgresDatabase(POSTGRES_ADMIN_URL, ferretdbDatabase, { fresh: true }) : undefined
  if (ferretdbPostgresqlUrl) log(`[test] FerretDB on PostgreSQL database ${ferretdbDatabase}`)
  const redis = (await redisAnswers(REDIS_URL)) ? { url: REDIS_URL, prefix: `flash-test-${run}:` } : undefined
  if (!redis) log("[test] Redis does not answer: the API runs without it")

  const cleanUpAfterFailure = async () => {
    if (hydraDsn) await dropScratchPostgres(POSTGRES_ADMIN_URL, postgresDatabase).catch(() => undefined)
    if (ferretdbPostgresqlUrl) await dropScratchPostgres(POSTGRES_ADMIN_URL, ferretdbDatabase).catch(() => undefined)
    if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
  }
  const stack = await startStack({
    dataDir,
    ...(await freeStackPorts()),
    hydraDsn,
    ferretdbPostgresqlUrl,
    redisUrl: redis?.url,
    redisKeyPrefix: redis?.prefix,
    // Short, so the refresh test sees tokens expire within its run.
    accessTokenLifespanSeconds: 60,
    apiEnv: { LOG_LEVEL: "info", NODE_ENV: "test" },
    log,
  }).catch(async (e: unknown) => {
    // startStack already stopped what it started; show why, then remove what we created.
    if (e instanceof Error && /see (\S+api\.log)/.test(e.message)) {
      const file = /see (\S+api\.log)/.exec(e.message)![1]!
      log(`[test] the API's last log lines:\n${readFileSync(file, "utf8").split("\n").slice(-15).join("\n")}`)
    }
    await cleanUpAfterFailure()
    throw e
  })
  ;(globalThis as Record<string, unknown>).__flashStack = stack

  const state: TestStackState = {
    dataDir,
    urls: stack.urls,
    redisKeyPrefix: redis?.prefix,
    tokenHookSecret: stack.tokenHookSecret,
    postgresDatabase: hydraDsn ? postgresDatabase : undefined,
    ferretdbPostgresqlUrl,
    apiEnv: Object.fromEntries(Object.entries(stack.apiEnv).filter((e): e is [string, string] => e[1] !== undefined)),
  }
  const stateFile = join(dataDir, "test-stack.json")
  writeFileSync(stateFile, JSON.stringify(state, null, 2), { mode: 0o600 })
  process.env[STATE_ENV] = stateFile
  // Integration tests open their own connections to the same services.
  process.env.TEST_MONGODB_URI = stack.urls.mongodb
}
