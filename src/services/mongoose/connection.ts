// One mongoose connection per process, shared by every repository.
import mongoose from "mongoose"
import { ensureGinIndexes } from "@/services/ferretdb-postgresql"
import type { Logger } from "@/services/logger"

/**
 * Pool and timeout defaults, each used only when the URI does not set it:
 * - maxPoolSize 20: FerretDB on SQLite serves every client from one pool of 100
 *   SQLite connections and an update holds two of them, so several API
 *   processes at the driver's default of 100 could drain it. 20 per process
 *   leaves room for a few replicas and the admin CLI.
 * - waitQueueTimeoutMS / socketTimeoutMS: a request waits at most 10 s for a
 *   pooled connection and 60 s for an answer, then fails with a store error
 *   instead of hanging. (Building the indexes of a very large collection at
 *   start can take longer: put socketTimeoutMS=0 in the URI for that start.)
 */
export const MONGO_CLIENT_DEFAULTS = { maxPoolSize: 20, waitQueueTimeoutMS: 10_000, socketTimeoutMS: 60_000 } as const

const unlessInUri = (uri: string) => {
  const query = uri.includes("?") ? uri.slice(uri.indexOf("?") + 1).toLowerCase() : ""
  return Object.fromEntries(
    Object.entries(MONGO_CLIENT_DEFAULTS).filter(([k]) => !new RegExp(`(^|&)${k.toLowerCase()}=`).test(query)),
  )
}

export const connectMongo = async (uri: string) => {
  mongoose.set("strictQuery", true)
  await mongoose.connect(uri, { serverSelectionTimeoutMS: 5000, connectTimeoutMS: 5000, ...unlessInUri(uri) })
  // Build every unique index now, so invariants hold from the first request.
  await Promise.all(Object.values(mongoose.models).map((m) => m.syncIndexes()))
  return mongoose.connection
}

/**
 * On FerretDB with its PostgreSQL handler, after the indexes above exist: the
 * GIN indexes without which its lookups scan (see services/ferretdb-postgresql).
 * A failure is logged, not fatal: the API still answers, only slower.
 */
export const ensureFerretdbGinIndexes = async (postgresUrl: string, logger: Logger) => {
  const database = mongoose.connection.db?.databaseName ?? "flash"
  try {
    const startedAt = Date.now()
    const r = await ensureGinIndexes(postgresUrl, database)
    if (r.kind === "no-ferretdb-metadata") {
      logger.warn({ database }, "FERRETDB_POSTGRESQL_URL is set, but that PostgreSQL database holds no FerretDB metadata for this MongoDB database: no GIN indexes created")
    } else if (r.kind === "busy") {
      logger.info({ database }, "another process is creating FerretDB's GIN indexes")
    } else {
      const created = r.created.map((c) => `${c.collection}.${c.field}`)
      logger.info({ database, created, present: r.present, dropped: r.dropped, ms: Date.now() - startedAt }, "FerretDB GIN indexes in place")
    }
  } catch (e) {
    logger.error({ database, err: e instanceof Error ? e.message : String(e) }, "could not create FerretDB's GIN indexes: lookups scan their collections")
  }
}

export const disconnectMongo = () => mongoose.disconnect()

export const pingMongo = async (): Promise<true | Error> => {
  try {
    const db = mongoose.connection.db
    if (!db || mongoose.connection.readyState !== 1) return new Error("not connected")
    await db.admin().command({ ping: 1 })
    return true
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e))
  }
}

export const isDuplicateKeyError = (e: unknown) =>
  typeof e === "object" && e !== null && "code" in e && (e as { code: unknown }).code === 11000
