// `npm run bench -- --lookups` (issue 17): what one findOne costs on FerretDB's
// PostgreSQL handler as a collection grows, with and without the GIN indexes
// the API creates (src/services/ferretdb-postgresql).
//
// It starts a FerretDB of its own on a fresh PostgreSQL database, seeds the
// accounts collection with direct inserts up to each size, and at each size
// times 50 findOne by an indexed field (`userId`, what a user session's first
// request does) and 50 by `_id`, first without the GIN indexes (FerretDB's own
// btree indexes only), then with them; p50 and p99 of each. The table is
// ANALYZEd after seeding, both ways, so the planner sees the real size.
// Everything it started or created is removed at the end.
import { randomBytes, randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import mongoose from "mongoose"
import { connectPostgres, ensureGinIndexes, wantedGinIndexes } from "@/services/ferretdb-postgresql"
import { connectMongo } from "@/services/mongoose/connection"
import { AccountModel } from "@/services/mongoose/schema"
import { startFerretdb } from "@/stack/ferretdb"
import { dropScratchPostgres, ensurePostgresDatabase } from "@/stack/scratch-services"
import { freePort } from "@/stack/wait"
import { percentile } from "./stats"

const SIZES = [1_000, 10_000, 50_000]
const LOOKUPS = 50
const BATCH = 1_000

const log = (line: string) => process.stderr.write(`${line}\n`)
const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1))

type Timing = { p50: number; p99: number }
const time = async (ids: string[], lookup: (id: string) => Promise<unknown>): Promise<Timing> => {
  for (const id of ids.slice(0, 10)) await lookup(id) // warm the connections and plans
  const samples: number[] = []
  for (const id of ids) {
    const t = performance.now()
    const found = await lookup(id)
    samples.push(performance.now() - t)
    if (!found) throw new Error(`lookup of ${id} found nothing`)
  }
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) }
}

export const runLookupsBench = async (postgresAdminUrl: string) => {
  const run = randomBytes(4).toString("hex")
  const database = `flash_bench_lookups_${run}`
  const dataDir = mkdtempSync(join(tmpdir(), `flash-bench-lookups-${run}-`))
  const url = await ensurePostgresDatabase(postgresAdminUrl, database, { fresh: true })
  if (!url) throw new Error(`PostgreSQL does not answer at ${new URL(postgresAdminUrl).host}: the lookups bench measures FerretDB's PostgreSQL handler`)
  const port = await freePort()
  const ferretdb = await startFerretdb({ host: "127.0.0.1", port, dataDir, logDir: join(dataDir, "logs"), postgresqlUrl: url }).catch(async (e: unknown) => {
    await dropScratchPostgres(postgresAdminUrl, database)
    throw e
  })
  const pg = await connectPostgres(url)
  const rows: string[] = []
  try {
    await connectMongo(`mongodb://127.0.0.1:${port}/flash`)
    const accountGins = async () => (await wantedGinIndexes(pg, "flash"))!.filter((w) => w.collection === "accounts")
    const table = (await accountGins())[0]!.table
    const accounts: Array<{ _id: string; userId: string }> = []
    for (const size of SIZES) {
      const t0 = performance.now()
      while (accounts.length < size) {
        const batch = Array.from({ length: Math.min(BATCH, size - accounts.length) }, () => ({
          _id: randomUUID(),
          userId: randomUUID(),
          defaultWalletId: randomUUID(),
          status: "ACTIVE",
          createdAt: new Date(),
        }))
        await AccountModel.insertMany(batch, { ordered: false, lean: true })
        accounts.push(...batch)
      }
      await pg.query(`ANALYZE "flash"."${table}"`)
      log(`[bench] ${size} accounts (seeded in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
      const sample = Array.from({ length: LOOKUPS }, () => accounts[Math.floor(Math.random() * accounts.length)]!)
      const byUserId = () => time(sample.map((a) => a.userId), (userId) => AccountModel.findOne({ userId }).lean())
      const byId = () => time(sample.map((a) => a._id), (id) => AccountModel.findById(id).lean())

      for (const w of await accountGins()) await pg.query(`DROP INDEX IF EXISTS "flash"."${w.name}"`)
      const plain = { userId: await byUserId(), id: await byId() }
      const ensured = await ensureGinIndexes(url, "flash")
      if (ensured.kind !== "done") throw new Error(`GIN indexes not created: ${ensured.kind}`)
      await pg.query(`ANALYZE "flash"."${table}"`)
      const gin = { userId: await byUserId(), id: await byId() }
      const cell = (t: Timing) => `${fmt(t.p50)} / ${fmt(t.p99)}`
      rows.push(`| ${size.toLocaleString("en-US")} | ${cell(plain.userId)} | ${cell(gin.userId)} | ${cell(plain.id)} | ${cell(gin.id)} |`)
      log(rows.at(-1)!)
    }
  } finally {
    await mongoose.disconnect().catch(() => undefined)
    await pg.end().catch(() => undefined)
    await ferretdb.stop()
    await dropScratchPostgres(postgresAdminUrl, database)
    rmSync(dataDir, { recursive: true, force: true })
  }
  console.log(
    [
      "",
      `FerretDB v1.24.2 on PostgreSQL: findOne on the accounts collection, ms p50 / p99 of ${LOOKUPS} lookups`,
      "",
      "| accounts | by userId, btree only | by userId, GIN | by _id, btree only | by _id, GIN |",
      "|---:|---:|---:|---:|---:|",
      ...rows,
      "",
    ].join("\n"),
  )
}
