// GIN indexes that make FerretDB v1.24's lookups on PostgreSQL use an index.
//
// FerretDB's postgresql handler pushes a top-level equality filter down as
// `_jsonb -> 'field' @> '"value"'::jsonb` (`_id` too), and builds every index
// mongoose asks for as a btree on `(_jsonb -> 'field')`. A btree cannot serve
// `@>`, so every findOne is a sequential scan of the collection's table. A GIN
// index on the same expression serves it (a Bitmap Index Scan).
//
// For every index FerretDB holds (the ones mongoose synced from our schemas,
// `_id_` included), this creates one GIN index on the expression of its
// LEADING field, taken from FerretDB's own btree index (pg_get_indexdef), on
// the table FerretDB's metadata table maps the collection to. Why the leading
// field only: FerretDB pushes down equality conditions ANDed, never sorts or
// ranges, so the field an equality lookup starts with is all an index can
// serve; the rest of a compound key (a version, a timestamp) is filtered or
// sorted by FerretDB in memory among the rows of that one key, just as a
// MongoDB compound index serves its prefix. One GIN per distinct expression
// per table (walletId leads two ledger indexes: one GIN). Nested fields
// (`a.b`) are skipped: FerretDB does not push them down by default.
//
// `fastupdate = off`: with GIN's default pending list, rows inserted since the
// last vacuum sit in an unsorted list that every lookup reads through (up to
// 4 MB); after a burst of inserts a lookup by _id cost several times more
// (`npm run bench -- --growth`: `me` 2.4× at 10k accounts, 1.0× with it off).
// With one scalar per row, an insert into the GIN tree costs about what a
// btree insert does.
//
// Idempotent, and safe with several API processes starting at once: a session
// advisory lock per schema; a process that does not get it leaves the work to
// the one that has it. Indexes are built CONCURRENTLY, so a first start over
// large tables does not block writes; one a crash left INVALID is rebuilt. A
// GIN of ours whose FerretDB index is gone (mongoose's syncIndexes drops what
// the schemas no longer declare) is dropped.
import { createHash } from "node:crypto"
import { Client } from "pg"

export const FERRETDB_METADATA_TABLE = "_ferretdb_database_metadata"

export type GinIndex = { collection: string; table: string; field: string; expression: string; name: string }

export type GinIndexesResult =
  | { kind: "no-ferretdb-metadata"; schema: string }
  | { kind: "busy" }
  | { kind: "done"; created: GinIndex[]; present: number; dropped: string[] }

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`

/** FerretDB's btree over one top-level field, as pg_get_indexdef prints its first column. */
const TOP_LEVEL_FIELD = /^\(_jsonb -> '((?:[^']|'')+)'::text\)$/

const ginName = (table: string, expression: string) =>
  `${table.slice(0, 40)}_gin_${createHash("sha256").update(`${table}\n${expression}`).digest("hex").slice(0, 10)}`

export const connectPostgres = async (url: string) => {
  const pg = new Client({ connectionString: url, connectionTimeoutMillis: 5000, application_name: "flash-api gin indexes" })
  await pg.connect()
  return pg
}

/** The GIN indexes the collections of `schema` (a MongoDB database name) should have; undefined without FerretDB metadata. */
export const wantedGinIndexes = async (pg: Client, schema: string): Promise<GinIndex[] | undefined> => {
  const meta = await pg.query<{ t: string | null }>("SELECT to_regclass($1) AS t", [`${ident(schema)}.${ident(FERRETDB_METADATA_TABLE)}`])
  if (!meta.rows[0]?.t) return undefined
  const { rows } = await pg.query<{ collection: string; table: string; leading: string }>(
    `SELECT m._jsonb->>'_id' AS collection, m._jsonb->>'table' AS "table", pg_get_indexdef(ic.oid, 1, true) AS leading
       FROM ${ident(schema)}.${ident(FERRETDB_METADATA_TABLE)} m
       CROSS JOIN LATERAL jsonb_array_elements(m._jsonb->'indexes') AS i(doc)
       JOIN pg_class ic ON ic.relname = i.doc->>'pgindex' AND ic.relnamespace = to_regnamespace($1)
      ORDER BY 1, 3`,
    [ident(schema)],
  )
  const wanted = new Map<string, GinIndex>()
  for (const r of rows) {
    const field = TOP_LEVEL_FIELD.exec(r.leading)?.[1]?.replace(/''/g, "'")
    if (field === undefined) continue
    const name = ginName(r.table, r.leading)
    wanted.set(name, { collection: r.collection, table: r.table, field, expression: r.leading, name })
  }
  return [...wanted.values()]
}

/** Creates the GIN indexes `schema` lacks (see the top of this file). */
export const ensureGinIndexes = async (postgresUrl: string, schema: string): Promise<GinIndexesResult> => {
  const pg = await connectPostgres(postgresUrl)
  try {
    const lock = `flash:ferretdb-gin:${schema}`
    const got = await pg.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext($1)) AS ok", [lock])
    if (!got.rows[0]?.ok) return { kind: "busy" }
    try {
      const wanted = await wantedGinIndexes(pg, schema)
      if (!wanted) return { kind: "no-ferretdb-metadata", schema }
      const { rows } = await pg.query<{ name: string; valid: boolean }>(
        `SELECT c.relname AS name, x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
          WHERE c.relnamespace = to_regnamespace($1) AND c.relname = ANY($2)`,
        [ident(schema), wanted.map((w) => w.name)],
      )
      const valid = new Set(rows.filter((r) => r.valid).map((r) => r.name))
      const invalid = new Set(rows.filter((r) => !r.valid).map((r) => r.name))
      const created: GinIndex[] = []
      for (const w of wanted) {
        if (valid.has(w.name)) continue
        const index = `${ident(schema)}.${ident(w.name)}`
        if (invalid.has(w.name)) await pg.query(`DROP INDEX CONCURRENTLY IF EXISTS ${index}`)
        await pg.query(`CREATE INDEX CONCURRENTLY IF NOT EXISTS ${ident(w.name)} ON ${ident(schema)}.${ident(w.table)} USING gin (${w.expression} jsonb_path_ops) WITH (fastupdate = off)`)
        created.push(w)
      }
      // Ours whose FerretDB index is gone (a field the schemas no longer index):
      // it would only cost every write.
      const ours = await pg.query<{ name: string }>(
        `SELECT c.relname AS name FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_am a ON a.oid = c.relam
          WHERE c.relnamespace = to_regnamespace($1) AND a.amname = 'gin' AND c.relname LIKE '%\\_gin\\_%'`,
        [ident(schema)],
      )
      const wantedNames = new Set(wanted.map((w) => w.name))
      const dropped: string[] = []
      for (const { name } of ours.rows) {
        if (wantedNames.has(name)) continue
        await pg.query(`DROP INDEX CONCURRENTLY IF EXISTS ${ident(schema)}.${ident(name)}`)
        dropped.push(name)
      }
      return { kind: "done", created, present: valid.size, dropped }
    } finally {
      await pg.query("SELECT pg_advisory_unlock(hashtext($1))", [lock])
    }
  } finally {
    await pg.end()
  }
}
