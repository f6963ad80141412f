// Every hot lookup of the store is served by an index on the test stack's
// FerretDB on PostgreSQL (its tables, its SQL), and the API keeps those indexes.
//
// The SQL is FerretDB's own: its `explain` command builds the query with the
// same functions as `find` (prepareSelectClause and prepareWhereClause in
// FerretDB v1.24.2's internal/backends/postgresql) and answers PostgreSQL's
// plan of it, naming the table and the condition pushed down with the values
// bound. That condition is planned again here on the same table with
// sequential scans disabled: a test run's tables are small, so the planner
// would rightly scan them; disabled, it scans an index exactly when one can
// serve the condition. So each check fails if FerretDB stops pushing the
// filter down, if the GIN index is missing, or if its expression stops
// matching what FerretDB sends.
import { randomUUID } from "node:crypto"
import mongoose from "mongoose"
import { Client } from "pg"
import { ensureGinIndexes, FERRETDB_METADATA_TABLE, wantedGinIndexes } from "@/services/ferretdb-postgresql"
import { connectMongo } from "@/services/mongoose/connection"
import { ApiTokenSpendModel } from "@/services/mongoose/api-token-spends"
import { ApiTokenClientModel, ApiTokenModel, ApiTokenSlotModel } from "@/services/mongoose/api-tokens-schema"
import { AuditEventModel, UsageRowModel } from "@/services/mongoose/audit-events"
import { IdempotencyKeyModel } from "@/services/mongoose/idempotency-keys"
import { ledgerEntryId } from "@/services/mongoose/ledger"
import { InvoiceSettlementModel, LedgerEntryModel, WalletInvoiceModel } from "@/services/mongoose/ledger-schema"
import { AccountModel, UserModel, WalletModel } from "@/services/mongoose/schema"
import { testStack } from "../harness/stack-state"

type PlanNode = {
  "Node Type": string
  "Relation Name"?: string
  Schema?: string
  "Index Name"?: string
  Filter?: string
  "Recheck Cond"?: string
  "Index Cond"?: string
  Plans?: PlanNode[]
}
type FerretExplain = { queryPlanner: { Plan: PlanNode }; filterPushdown: boolean }

const nodes = (n: PlanNode): PlanNode[] => [n, ...(n.Plans ?? []).flatMap(nodes)]

const stack = testStack()
const SCHEMA = new URL(stack.urls.mongodb).pathname.slice(1)
let pg: Client

beforeAll(async () => {
  // The harness puts FerretDB on PostgreSQL whenever PostgreSQL answers (it always does here).
  if (!stack.ferretdbPostgresqlUrl) throw new Error("the test stack's FerretDB is not on PostgreSQL: these checks need it")
  pg = new Client({ connectionString: stack.ferretdbPostgresqlUrl })
  await pg.connect()
  await connectMongo(stack.urls.mongodb)
})
afterAll(async () => {
  await mongoose.disconnect()
  await pg?.end()
})

/** FerretDB's SQL for a query, from its own explain: the table and the pushed-down condition. */
const ferretdbSql = async (query: { explain: () => Promise<unknown> }) => {
  const e = (await query.explain()) as FerretExplain
  expect(e.filterPushdown).toBe(true)
  const scan = nodes(e.queryPlanner.Plan).find((n) => n["Relation Name"])!
  // A sequential scan filters on all of it; a bitmap or index scan splits it into the indexed part and the rest.
  const condition = [scan["Recheck Cond"] ?? scan["Index Cond"], scan.Filter].filter((c) => c !== undefined).join(" AND ")
  expect(condition).not.toBe("")
  return { table: scan["Relation Name"]!, condition, sql: `SELECT _jsonb FROM "${SCHEMA}"."${scan["Relation Name"]}" WHERE ${condition}` }
}

/** The GIN indexes PostgreSQL scans for `sql` when it must use an index if one serves it. */
const ginIndexesScannedFor = async (sql: string) => {
  await pg.query("BEGIN")
  try {
    await pg.query("SET LOCAL enable_seqscan = off")
    const { rows } = await pg.query<{ "QUERY PLAN": Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${sql}`)
    const scanned = nodes(rows[0]!["QUERY PLAN"][0]!.Plan)
      .map((n) => n["Index Name"])
      .filter((n): n is string => n !== undefined)
    const defs = await pg.query<{ name: string; def: string }>(
      "SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND indexname = ANY($2)",
      [SCHEMA, scanned],
    )
    return defs.rows.filter((r) => / USING gin /.test(r.def))
  } finally {
    await pg.query("ROLLBACK")
  }
}

const expectServedByGinOn = async (query: { explain: () => Promise<unknown> }, field: string) => {
  const { sql, condition } = await ferretdbSql(query)
  expect(condition).toContain(`_jsonb -> '${field}'::text`)
  const gins = await ginIndexesScannedFor(sql)
  expect(gins.map((g) => g.def)).toEqual([expect.stringContaining(`USING gin (((_jsonb -> '${field}'::text)) jsonb_path_ops) WITH (fastupdate=off)`)])
}

const id = () => randomUUID()
const bucket = () => String(Math.floor(Math.random() * 1e7))

// What the code asks FerretDB on each hot path (src/services/mongoose/*), and the field its index serves.
const HOT_LOOKUPS: Array<[string, () => { explain: () => Promise<unknown> }, string]> = [
  ["a user session's account: accounts by userId", () => AccountModel.findOne({ userId: id() }), "userId"],
  ["the dev session's user: users by phone", () => UserModel.findOne({ phone: "+15550000000" }), "phone"],
  ["an account by id", () => AccountModel.findById(id()), "_id"],
  ["the token hook's client: apitokenclients by client id", () => ApiTokenClientModel.findById(id()), "_id"],
  ["a token by id", () => ApiTokenModel.findById(id()), "_id"],
  ["a token's clients: apitokenclients by tokenId", () => ApiTokenClientModel.find({ tokenId: id() }).sort({ createdAt: 1 }), "tokenId"],
  ["an account's tokens (apiTokens list)", () => ApiTokenModel.find({ accountId: id(), storedStatus: { $ne: "PENDING" } }), "accountId"],
  ["an account's token slots", () => ApiTokenSlotModel.find({ accountId: id() }), "accountId"],
  ["a token's slot, released at revocation and cleanup", () => ApiTokenSlotModel.find({ tokenId: id() }), "tokenId"],
  ["the holder of a token name", () => ApiTokenModel.findOne({ activeNameKey: `${id()}:name` }), "activeNameKey"],
  ["an account's wallets", () => WalletModel.find({ accountId: id() }).sort({ currency: 1 }), "accountId"],
  ["a wallet by id", () => WalletModel.findById(id()), "_id"],
  ["the ledger head: an entry by wallet and version", () => LedgerEntryModel.findById(ledgerEntryId(id() as never, 7)), "_id"],
  ["a page of a wallet's transactions", () => LedgerEntryModel.find({ walletId: id() }).sort({ createdAt: -1, _id: -1 }).limit(11), "walletId"],
  ["a ledger entry by entryKey", () => LedgerEntryModel.findOne({ entryKey: `debit:${id()}` }), "entryKey"],
  ["an invoice by payment hash", () => WalletInvoiceModel.findById(id()), "_id"],
  ["an invoice's settlement by payment hash", () => InvoiceSettlementModel.findById(id()), "_id"],
  ["the spend log head of a token and wallet", () => ApiTokenSpendModel.findOne({ spendKey: `${id()}:${id()}` }).sort({ version: -1 }), "spendKey"],
  ["a spend entry by entryKey", () => ApiTokenSpendModel.findOne({ entryKey: `reserve:${id()}` }), "entryKey"],
  ["an account's audit events", () => AuditEventModel.find({ accountId: id() }).sort({ at: -1 }).limit(20), "accountId"],
  ["a token's audit events", () => AuditEventModel.find({ tokenId: id() }).sort({ at: -1 }).limit(20), "tokenId"],
  ["a token's usage rows", () => UsageRowModel.find({ tokenId: id() }).sort({ hour: -1 }).limit(50), "tokenId"],
  ["an account's usage rows", () => UsageRowModel.find({ accountId: id() }).sort({ hour: -1 }).limit(50), "accountId"],
  ["an idempotency key", () => IdempotencyKeyModel.findById(id()), "_id"],
  // The background jobs' time windows, one bucket each (time-buckets.ts): every replica runs them.
  ["the invalidation resync: accounts changed in a minute", () => AccountModel.find({ changeBucket: bucket() }, { _id: 1, changedAt: 1 }), "changeBucket"],
  ["the invalidation resync: tokens changed in a minute", () => ApiTokenModel.find({ changeBucket: bucket() }, { _id: 1, changedAt: 1, storedStatus: 1 }), "changeBucket"],
  ["the invalidation resync: tokens revoked in an hour", () => ApiTokenModel.find({ revokeBucket: bucket() }, { _id: 1, revokedAt: 1 }), "revokeBucket"],
  ["the transfer repair: ledger entries of five minutes", () => LedgerEntryModel.find({ repairBucket: bucket() }), "repairBucket"],
  ["the transfer repair: spend log entries of five minutes", () => ApiTokenSpendModel.find({ repairBucket: bucket() }), "repairBucket"],
  ["the transfer repair: invoice claims of five minutes", () => InvoiceSettlementModel.find({ repairBucket: bucket() }), "repairBucket"],
  ["the cleanup: tokens expiring in a day", () => ApiTokenModel.find({ expiryBucket: bucket() }), "expiryBucket"],
  ["the cleanup: rotated-out clients whose grace ends in a day", () => ApiTokenClientModel.find({ notAfterBucket: bucket() }), "notAfterBucket"],
  ["the rotation reminders: secrets issued in a day", () => ApiTokenModel.find({ secretBucket: bucket() }), "secretBucket"],
]

describe("FerretDB on PostgreSQL: the hot lookups use an index", () => {
  it.each(HOT_LOOKUPS)("%s is a GIN index scan of FerretDB's own SQL", async (_what, query, field) => {
    await expectServedByGinOn(query(), field)
  })

  it("a lookup by _id is a GIN index scan in every collection of the database (static keys included once they exist)", async () => {
    const { rows } = await pg.query<{ name: string }>(`SELECT _jsonb->>'_id' AS name FROM "${SCHEMA}"."${FERRETDB_METADATA_TABLE}" ORDER BY 1`)
    expect(rows.map((r) => r.name)).toEqual(expect.arrayContaining(["accounts", "apitokenclients", "ledger_entries", "wallet_invoices"]))
    for (const { name } of rows) {
      await expectServedByGinOn(mongoose.connection.db!.collection(name).find({ _id: id() as never }), "_id")
    }
  })
})

describe("FerretDB's GIN indexes", () => {
  const accountsGins = async () =>
    (await wantedGinIndexes(pg, SCHEMA))!.filter((w) => w.collection === "accounts")

  it("are re-created when missing, once each, by API processes starting at the same time", async () => {
    await ensureGinIndexes(stack.ferretdbPostgresqlUrl!, SCHEMA)
    const dropped = await accountsGins()
    expect(dropped.map((w) => w.field).sort()).toEqual(["_id", "changeBucket", "userId"])
    for (const w of dropped) await pg.query(`DROP INDEX "${SCHEMA}"."${w.name}"`)
    await expect(ferretdbSql(AccountModel.findOne({ userId: id() })).then((q) => ginIndexesScannedFor(q.sql))).resolves.toEqual([])

    const results = await Promise.all([ensureGinIndexes(stack.ferretdbPostgresqlUrl!, SCHEMA), ensureGinIndexes(stack.ferretdbPostgresqlUrl!, SCHEMA)])
    // One does the work; the other finds it done or leaves it to the one holding the lock. Neither fails.
    expect(results.map((r) => r.kind)).not.toContain("no-ferretdb-metadata")
    const created = results.flatMap((r) => (r.kind === "done" ? r.created.map((c) => c.name) : []))
    expect(new Set(created).size).toBe(created.length)
    expect(dropped.map((w) => w.name)).toEqual(expect.arrayContaining(created))

    const { rows } = await pg.query<{ def: string; valid: boolean }>(
      `SELECT pg_get_indexdef(x.indexrelid) AS def, x.indisvalid AS valid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid
        WHERE c.relnamespace = to_regnamespace($1) AND c.relname = ANY($2)`,
      [`"${SCHEMA}"`, dropped.map((w) => w.name)],
    )
    expect(rows).toHaveLength(3)
    expect(rows.every((r) => r.valid && / USING gin /.test(r.def))).toBe(true)
    await expectServedByGinOn(AccountModel.findOne({ userId: id() }), "userId")
  })

  it("are dropped once FerretDB's index on that field is gone (a field the schemas stopped indexing costs no write)", async () => {
    const name = `gin_probe_${randomUUID().slice(0, 8)}`
    const coll = mongoose.connection.db!.collection(name)
    try {
      await coll.insertOne({ _id: id() as never, probe: "x" })
      await coll.createIndex({ probe: 1 })
      await ensureGinIndexes(stack.ferretdbPostgresqlUrl!, SCHEMA)
      const probe = (await wantedGinIndexes(pg, SCHEMA))!.find((w) => w.collection === name && w.field === "probe")!
      await expectServedByGinOn(coll.find({ probe: "y" }), "probe")

      await coll.dropIndex("probe_1")
      const r = await ensureGinIndexes(stack.ferretdbPostgresqlUrl!, SCHEMA)
      expect(r).toMatchObject({ kind: "done", dropped: [probe.name] })
      const left = await pg.query("SELECT 1 FROM pg_indexes WHERE schemaname = $1 AND indexname = $2", [SCHEMA, probe.name])
      expect(left.rowCount).toBe(0)
    } finally {
      await coll.drop().catch(() => undefined)
    }
  })

  it("are left alone when all are there, and nothing is created where there is no FerretDB metadata (a real MongoDB's database)", async () => {
    const again = await ensureGinIndexes(stack.ferretdbPostgresqlUrl!, SCHEMA)
    expect(again).toEqual({ kind: "done", created: [], present: (await wantedGinIndexes(pg, SCHEMA))!.length, dropped: [] })
    await expect(ensureGinIndexes(stack.ferretdbPostgresqlUrl!, `not_ferretdb_${randomUUID().slice(0, 8)}`)).resolves.toMatchObject({
      kind: "no-ferretdb-metadata",
    })
  })
})
