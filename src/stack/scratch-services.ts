// Throwaway resources on the machine's PostgreSQL and Redis for one run of the
// tests or the bench: a fresh database for Hydra, a Redis key prefix, and their
// removal afterwards. Both servers are optional: the helpers say when one does
// not answer, and the caller falls back (SQLite, no Redis).
import Redis from "ioredis"
import { Client } from "pg"

const connectPostgres = async (adminUrl: string) => {
  const c = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 1500 })
  try {
    await c.connect()
    return c
  } catch {
    await c.end().catch(() => undefined)
    return undefined
  }
}

/**
 * Creates database `name` and returns Hydra's DSN for it, or undefined when
 * PostgreSQL does not answer. The DSN sets Hydra's pool size: its default pool
 * stalled under concurrent token requests (see docs/benchmarks.md).
 */
export const createScratchPostgres = async (adminUrl: string, name: string, poolSize = 20) => {
  const pg = await connectPostgres(adminUrl)
  if (!pg) return undefined
  try {
    await pg.query(`CREATE DATABASE ${name}`)
  } finally {
    await pg.end()
  }
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  u.searchParams.set("sslmode", "disable")
  u.searchParams.set("max_conns", String(poolSize))
  u.searchParams.set("max_idle_conns", String(poolSize))
  return u.toString()
}

/**
 * Database `name` on the server of `adminUrl`, as FerretDB's PostgreSQL handler
 * (pgx) takes it. Its pool is capped at 20 connections (FerretDB's default is
 * 50): with Hydra's 20 and a second stack beside it (the production-profile
 * suite, the bench) that stays under PostgreSQL's default max_connections of 100.
 */
export const postgresDatabaseUrl = (adminUrl: string, name: string) => {
  const u = new URL(adminUrl)
  u.pathname = `/${name}`
  u.search = ""
  u.searchParams.set("sslmode", "disable")
  u.searchParams.set("pool_max_conns", "20")
  return u.toString()
}

/**
 * Database `name` for FerretDB, created when missing (first dropped when
 * `fresh`); its URL, or undefined when PostgreSQL does not answer.
 */
export const ensurePostgresDatabase = async (adminUrl: string, name: string, o: { fresh: boolean }) => {
  const pg = await connectPostgres(adminUrl)
  if (!pg) return undefined
  try {
    if (o.fresh) await pg.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    const exists = await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])
    if (exists.rowCount === 0) await pg.query(`CREATE DATABASE ${name}`)
  } finally {
    await pg.end()
  }
  return postgresDatabaseUrl(adminUrl, name)
}

export const dropScratchPostgres = async (adminUrl: string, name: string) => {
  const pg = await connectPostgres(adminUrl)
  if (!pg) return
  try {
    await pg.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  } finally {
    await pg.end()
  }
}

export const redisAnswers = async (url: string) => {
  const r = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null })
  try {
    await r.connect()
    await r.ping()
    return true
  } catch {
    return false
  } finally {
    r.disconnect()
  }
}

export const deleteRedisKeys = async (url: string, prefix: string) => {
  const r = new Redis(url)
  try {
    let cursor = "0"
    do {
      const [next, keys] = await r.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500)
      cursor = next
      if (keys.length) await r.del(...keys)
    } while (cursor !== "0")
  } finally {
    r.disconnect()
  }
}
