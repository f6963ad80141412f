// `npm run bench -- --growth` (issue 17, part 1, begun: five of its rows): what
// the read paths cost as accounts, tokens, the ledger and the audit trail grow.
//
// It starts the stack as the main bench does (FerretDB on PostgreSQL when it
// answers, with the API's GIN indexes), seeds the store with direct inserts up
// to each size (per account: a user, two wallets, 5 ledger entries on the BTC
// wallet, 3 audit events; an API token for one account in 5), and at each size
// takes 30 seeded accounts no process has read yet and, for each, times:
//   1. its first request: POST /dev/session (user by phone, account by userId, wallets);
//   2. `me` with balances (account and ledger heads not cached yet);
//   3. the `apiTokens` list;  4. the first page of `transactions`;  5. the first page of `apiTokenAuditEvents`.
// One table, p50 and p99 per row and size, and the largest size's p50 over 1k's.
// Not yet: apiTokenCreate, issuance with the hook, a budget-limited payment, revocation propagation.
import { randomBytes, randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import mongoose from "mongoose"
import { connectPostgres } from "@/services/ferretdb-postgresql"
import { connectMongo } from "@/services/mongoose/connection"
import { ApiTokenModel, ApiTokenSlotModel } from "@/services/mongoose/api-tokens-schema"
import { AuditEventModel } from "@/services/mongoose/audit-events"
import { ledgerEntryId } from "@/services/mongoose/ledger"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import { AccountModel, UserModel, WalletModel } from "@/services/mongoose/schema"
import { createScratchPostgres, deleteRedisKeys, dropScratchPostgres, ensurePostgresDatabase, redisAnswers } from "@/stack/scratch-services"
import { startStack } from "@/stack/stack"
import { freeStackPorts } from "@/stack/wait"
import { percentile } from "./stats"

const log = (line: string) => process.stderr.write(`${line}\n`)
const SAMPLES = 30
const BATCH = 1_000
const LEDGER_PER_ACCOUNT = 5
const AUDIT_PER_ACCOUNT = 3
const ACCOUNTS_PER_TOKEN = 5

type Seeded = { phone: string; accountId: string }

const phoneOf = (i: number) => `+1556${String(i).padStart(7, "0")}`

/** Accounts [from, to) with their users, wallets, ledger entries, audit events and tokens. */
const seed = async (from: number, to: number): Promise<Seeded[]> => {
  const out: Seeded[] = []
  for (let start = from; start < to; start += BATCH) {
    const end = Math.min(to, start + BATCH)
    const users: object[] = []
    const accounts: object[] = []
    const wallets: object[] = []
    const entries: object[] = []
    const events: object[] = []
    const tokens: object[] = []
    const slots: object[] = []
    const now = Date.now()
    for (let i = start; i < end; i++) {
      const userId = randomUUID()
      const accountId = randomUUID()
      const btc = randomUUID()
      const usd = randomUUID()
      const createdAt = new Date(now - (to - i) * 1000)
      users.push({ _id: userId, phone: phoneOf(i), createdAt })
      accounts.push({ _id: accountId, userId, defaultWalletId: btc, status: "ACTIVE", createdAt })
      wallets.push({ _id: btc, accountId, currency: "BTC", createdAt }, { _id: usd, accountId, currency: "USD", createdAt })
      for (let v = 1; v <= LEDGER_PER_ACCOUNT; v++) {
        const transferId = randomUUID()
        entries.push({
          _id: ledgerEntryId(btc as never, v),
          walletId: btc,
          version: v,
          amount: 100,
          balance: 100 * v,
          entryKey: `credit:${transferId}`,
          transferId,
          kind: "intraledger",
          direction: "RECEIVE",
          currency: "BTC",
          createdAt: new Date(createdAt.getTime() + v),
        })
      }
      let tokenId: string | undefined
      if (i % ACCOUNTS_PER_TOKEN === 0) {
        tokenId = randomUUID()
        const slotId = `${accountId}:slot0`
        tokens.push({
          _id: tokenId,
          accountId,
          name: "seeded",
          activeNameKey: `${accountId}:seeded`,
          slotId,
          scopes: ["read"],
          storedStatus: "ACTIVE",
          authMethod: "client_secret_basic",
          createdAt,
        })
        slots.push({ _id: slotId, accountId, tokenId, createdAt })
      }
      for (let e = 0; e < AUDIT_PER_ACCOUNT; e++) {
        events.push({ _id: randomUUID(), type: "API_TOKEN_CREATED", accountId, tokenId, actor: "user", at: new Date(createdAt.getTime() + e) })
      }
      out.push({ phone: phoneOf(i), accountId })
    }
    const opts = { ordered: false, lean: true } as const
    await Promise.all([
      UserModel.insertMany(users, opts),
      AccountModel.insertMany(accounts, opts),
      WalletModel.insertMany(wallets, opts),
      LedgerEntryModel.insertMany(entries, opts),
      AuditEventModel.insertMany(events, opts),
      tokens.length ? ApiTokenModel.insertMany(tokens, opts) : undefined,
      slots.length ? ApiTokenSlotModel.insertMany(slots, opts) : undefined,
    ])
  }
  return out
}

const analyze = async (url: string) => {
  const pg = await connectPostgres(url)
  try {
    await pg.query(`VACUUM ANALYZE`)
  } finally {
    await pg.end()
  }
}

const ROWS = [
  "a user's first request (POST /dev/session)",
  "`me` with balances, nothing cached",
  "`apiTokens` list",
  "first page of `transactions`",
  "first page of `apiTokenAuditEvents`",
] as const

export const runGrowthBench = async (o: { postgresAdminUrl: string; redisUrl: string; quick: boolean }) => {
  const sizes = o.quick ? [1_000, 10_000] : [1_000, 10_000, 100_000]
  const run = randomBytes(4).toString("hex")
  const dataDir = mkdtempSync(join(tmpdir(), `flash-bench-growth-${run}-`))
  const cleanups: Array<() => Promise<unknown>> = [async () => rmSync(dataDir, { recursive: true, force: true })]
  const hydraDatabase = `flash_bench_growth_hydra_${run}`
  const ferretdbDatabase = `flash_bench_growth_ferretdb_${run}`
  try {
    const hydraDsn = await createScratchPostgres(o.postgresAdminUrl, hydraDatabase)
    if (hydraDsn) cleanups.push(() => dropScratchPostgres(o.postgresAdminUrl, hydraDatabase))
    const ferretdbPostgresqlUrl = hydraDsn ? await ensurePostgresDatabase(o.postgresAdminUrl, ferretdbDatabase, { fresh: true }) : undefined
    if (ferretdbPostgresqlUrl) cleanups.push(() => dropScratchPostgres(o.postgresAdminUrl, ferretdbDatabase))
    const redisPrefix = (await redisAnswers(o.redisUrl)) ? `flash-bench-growth-${run}:` : undefined
    if (redisPrefix) cleanups.push(() => deleteRedisKeys(o.redisUrl, redisPrefix))
    log(`[bench] growth: FerretDB on ${ferretdbPostgresqlUrl ? "PostgreSQL" : "SQLite (every lookup scans)"}; sizes ${sizes.join(", ")}`)
    const stack = await startStack({
      dataDir,
      ...(await freeStackPorts()),
      hydraDsn,
      ferretdbPostgresqlUrl,
      redisUrl: redisPrefix ? o.redisUrl : undefined,
      redisKeyPrefix: redisPrefix,
      apiEnv: { RATE_LIMIT_SESSION_PER_MINUTE: "100000000", RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000000" },
      log,
    })
    cleanups.push(() => stack.stop())
    await connectMongo(stack.urls.mongodb)
    cleanups.push(() => mongoose.disconnect())

    const post = async (path: string, body: unknown, token?: string) => {
      const res = await fetch(`${stack.urls.api}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
      if (!res.ok) throw new Error(`${path} answered ${res.status}`)
      const json = (await res.json()) as { errors?: unknown[]; token?: string }
      if (json.errors?.length) throw new Error(`${path}: ${JSON.stringify(json.errors)}`)
      return json
    }
    const gql = (token: string, query: string) => post("/graphql", { query }, token)
    const timed = async <T>(samples: number[], f: () => Promise<T>) => {
      const t = performance.now()
      const r = await f()
      samples.push(performance.now() - t)
      return r
    }

    const results = new Map<number, Array<{ p50: number; p99: number }>>()
    let seeded: Seeded[] = []
    const used = new Set<number>()
    for (const size of sizes) {
      const t0 = performance.now()
      seeded = seeded.concat(await seed(seeded.length, size))
      // What autovacuum would have done by the time a store grew this big (fresh planner
      // statistics, the heap's visibility map), done before timing rather than during it.
      if (ferretdbPostgresqlUrl) await analyze(ferretdbPostgresqlUrl)
      log(`[bench] growth: ${size} accounts seeded (${((performance.now() - t0) / 1000).toFixed(1)} s)`)
      const samples = ROWS.map(() => [] as number[])
      for (let n = 0; n < SAMPLES + 3; n++) {
        let i: number
        do i = Math.floor(Math.random() * seeded.length)
        while (used.has(i))
        used.add(i)
        const s = seeded[i]!
        const warm = n < 3 // the first few only warm connections and plans
        const into = (row: number) => (warm ? [] : samples[row]!)
        const session = await timed(into(0), () => post("/dev/session", { phone: s.phone }))
        const token = session.token!
        await timed(into(1), () => gql(token, "{ me { defaultAccount { wallets { id balance } } } }"))
        await timed(into(2), () => gql(token, "{ apiTokens { id name } }"))
        await timed(into(3), () => gql(token, "{ me { defaultAccount { transactions(first: 20) { edges { cursor } } } } }"))
        await timed(into(4), () => gql(token, "{ apiTokenAuditEvents(first: 20) { id } }"))
      }
      results.set(size, samples.map((v) => ({ p50: percentile(v, 50), p99: percentile(v, 99) })))
    }

    const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1))
    const last = sizes.at(-1)!
    const lines = [
      "",
      `## npm run bench -- --growth${o.quick ? " --quick" : ""} — ${new Date().toISOString()} (FerretDB on ${ferretdbPostgresqlUrl ? "PostgreSQL" : "SQLite"})`,
      "",
      `ms p50 / p99 of ${SAMPLES} accounts read for the first time, per size`,
      "",
      `| row | ${sizes.map((n) => `${n.toLocaleString("en-US")} accounts`).join(" | ")} | p50 ${last / 1000}k / 1k |`,
      `|---|${sizes.map(() => "---:").join("|")}|---:|`,
      ...ROWS.map((what, r) => {
        const cells = sizes.map((n) => `${fmt(results.get(n)![r]!.p50)} / ${fmt(results.get(n)![r]!.p99)}`)
        return `| ${what} | ${cells.join(" | ")} | ${(results.get(last)![r]!.p50 / results.get(sizes[0]!)![r]!.p50).toFixed(2)}× |`
      }),
      "",
    ]
    console.log(lines.join("\n"))
  } finally {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => log(`[bench] clean-up step failed: ${e instanceof Error ? e.message : String(e)}`))
  }
}
