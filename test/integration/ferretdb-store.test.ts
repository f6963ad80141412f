// Where `npm start` puts FerretDB (src/stack/ferretdb.ts): on the data dir's own
// PostgreSQL database when PostgreSQL answers, kept across restarts and made
// anew with a new data dir; on SQLite, with the reason, otherwise.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Client } from "pg"
import { DEFAULT_POSTGRES_ADMIN_URL, devFerretdbDatabase, devFerretdbStore } from "@/stack/ferretdb"
import { dropScratchPostgres } from "@/stack/scratch-services"
import { freePort } from "@/stack/wait"

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? DEFAULT_POSTGRES_ADMIN_URL
const dirs: string[] = []
const newDataDir = () => {
  const d = mkdtempSync(join(tmpdir(), "flash-ferretdb-store-"))
  dirs.push(d)
  return d
}
afterAll(async () => {
  for (const d of dirs) {
    await dropScratchPostgres(ADMIN_URL, devFerretdbDatabase(d))
    rmSync(d, { recursive: true, force: true })
  }
})

const withDatabase = async <T>(url: string, f: (pg: Client) => Promise<T>) => {
  const pg = new Client({ connectionString: url })
  await pg.connect()
  try {
    return await f(pg)
  } finally {
    await pg.end()
  }
}
const hasProbe = (url: string) =>
  withDatabase(url, async (pg) => (await pg.query("SELECT to_regclass('public.probe') AS t")).rows[0].t !== null)

describe("the dev stack's FerretDB store", () => {
  it("is the data dir's own PostgreSQL database, kept across restarts, and a new one once the data dir was deleted", async () => {
    const dataDir = newDataDir()
    const first = await devFerretdbStore(dataDir, ADMIN_URL)
    expect(first).toMatchObject({ kind: "postgresql", database: devFerretdbDatabase(dataDir) })
    if (first.kind !== "postgresql") throw new Error("unreachable")
    expect(first.url).toContain(`/${first.database}?`)
    await withDatabase(first.url, (pg) => pg.query("CREATE TABLE probe (x int)"))

    expect(await devFerretdbStore(dataDir, ADMIN_URL)).toEqual(first)
    expect(await hasProbe(first.url)).toBe(true)

    // Deleted and made again at the same path: starts over.
    rmSync(dataDir, { recursive: true, force: true })
    mkdirSync(dataDir)
    expect(await devFerretdbStore(dataDir, ADMIN_URL)).toEqual(first)
    expect(await hasProbe(first.url)).toBe(false)
  })

  it("stays SQLite for a data dir whose FerretDB data is already in SQLite, and says why", async () => {
    const dataDir = newDataDir()
    mkdirSync(join(dataDir, "ferretdb"))
    expect(await devFerretdbStore(dataDir, ADMIN_URL)).toEqual({ kind: "sqlite", why: expect.stringContaining("SQLite data") })
  })

  it("is SQLite when PostgreSQL does not answer, and says so", async () => {
    const port = await freePort()
    expect(await devFerretdbStore(newDataDir(), `postgres://postgres@127.0.0.1:${port}/postgres`)).toEqual({
      kind: "sqlite",
      why: `PostgreSQL does not answer at 127.0.0.1:${port}`,
    })
  })
})
