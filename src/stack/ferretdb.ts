// Runs FerretDB (the MongoDB wire protocol) from our small Go wrapper: on a
// PostgreSQL database when given one, else on SQLite files in the data dir.
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import { join, resolve } from "node:path"
import { ensurePostgresDatabase } from "./scratch-services"
import { binaryPath } from "./go-build"
import { ManagedProcess, startProcess } from "./child-process"
import { tcpOpen, waitFor } from "./wait"

export const startFerretdb = async (o: {
  host: string
  port: number
  dataDir: string
  logDir: string
  /** FerretDB's postgresql handler on this database; default: SQLite in `dataDir/ferretdb`. */
  postgresqlUrl?: string
  echo?: (line: string) => void
}): Promise<ManagedProcess> => {
  const proc = startProcess({
    name: "ferretdb",
    command: binaryPath("ferretdb"),
    args: [
      "--listen",
      `${o.host}:${o.port}`,
      ...(o.postgresqlUrl ? ["--handler", "postgresql", "--postgresql-url", o.postgresqlUrl] : ["--handler", "sqlite", "--sqlite-dir", join(o.dataDir, "ferretdb")]),
    ],
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    logDir: o.logDir,
    echo: o.echo,
  })
  await waitFor("FerretDB", tcpOpen(o.host, o.port), {
    timeoutMs: 30_000,
    abortIf: () => (proc.isRunning() ? undefined : `exited early, see ${proc.logFile}`),
  })
  return proc
}

export const DEFAULT_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"

/** The PostgreSQL database of a data dir's FerretDB: one per data dir (path), so a restart keeps its data. */
export const devFerretdbDatabase = (dataDir: string) =>
  `flash_ferretdb_${createHash("sha256").update(resolve(dataDir)).digest("hex").slice(0, 10)}`

export type DevFerretdbStore = { kind: "postgresql"; url: string; database: string } | { kind: "sqlite"; why: string }

/**
 * Where `npm start` puts FerretDB: on the data dir's own PostgreSQL database
 * when PostgreSQL answers at its usual address, else on SQLite. A data dir
 * without the marker file is new (a deleted one of the same path left its
 * database behind: dropped and made again, so deleting the data dir still
 * starts over); one whose FerretDB already keeps its data in SQLite stays there.
 */
export const devFerretdbStore = async (dataDir: string, adminUrl = DEFAULT_POSTGRES_ADMIN_URL): Promise<DevFerretdbStore> => {
  const marker = join(dataDir, "ferretdb-postgresql")
  if (!existsSync(marker) && existsSync(join(dataDir, "ferretdb"))) {
    return { kind: "sqlite", why: `${join(dataDir, "ferretdb")} holds this data dir's SQLite data (delete the data dir to move to PostgreSQL)` }
  }
  const database = devFerretdbDatabase(dataDir)
  const url = await ensurePostgresDatabase(adminUrl, database, { fresh: !existsSync(marker) })
  if (!url) return { kind: "sqlite", why: `PostgreSQL does not answer at ${new URL(adminUrl).host}` }
  mkdirSync(dataDir, { recursive: true })
  writeFileSync(marker, `${database}\n`)
  return { kind: "postgresql", url, database }
}
