// `npm run bench -- --growth` (issue 17): does what a request costs stay flat
// as accounts, tokens and the ledger grow?
//
// It starts the default stack (startStack, as `npm start` would), then grows
// its store in steps (1k, 10k and 100k accounts by default) with direct
// inserts, and at each size times the requests whose cost could grow with the
// data, each on data the API has not cached yet (a user or token it has not
// seen). It prints one table with the p50 and p99 of every row at every size
// and the ratio of the largest size's p50 to the smallest's.
//
// What one seeded account holds (the proportions of a merchant base where
// half the accounts use API tokens):
//   a user, an account, a BTC and a USD wallet;
//   6 ledger entries on its BTC wallet (3 receipts of 1,000 sats, 3 sends of 100) and 2 invoices;
//   every second account: one active API token (record, Hydra-client binding,
//   slot; the Hydra client itself is not created: Hydra's own growth is not
//   what this measures), 3 audit events, 5 hourly usage rows and 2 spend-log entries.
//
// FerretDB runs on PostgreSQL, with the API's GIN indexes, whenever PostgreSQL
// answers (as `npm start` and the tests run it); after each seeding step the
// database is VACUUM ANALYZEd (what autovacuum would have done by the time a
// store grew this big), and the first 3 samples of a size only warm up.
//
// Flags: --growth, --sizes=1000,10000,100000 (ascending), --samples=N (per row and size, default 40), --keep-data.
import { randomBytes, randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { cpus, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import mongoose from "mongoose"
import { ledgerEntryId } from "@/services/mongoose/ledger"
import { LedgerEntryModel, WalletInvoiceModel } from "@/services/mongoose/ledger-schema"
import { AccountModel, UserModel, WalletModel } from "@/services/mongoose/schema"
import { ApiTokenClientModel, ApiTokenModel, ApiTokenSlotModel } from "@/services/mongoose/api-tokens-schema"
import { AuditEventModel, UsageRowModel } from "@/services/mongoose/audit-events"
import { ApiTokenSpendModel } from "@/services/mongoose/api-token-spends"
import { bucketOf, dueBucketOf, REPAIR_BUCKET_MS } from "@/services/mongoose/time-buckets"
import type { WalletId } from "@/domain/accounts"
import { startApiReplica } from "@/stack/api-replica"
import type { ManagedProcess } from "@/stack/child-process"
import { repoRoot } from "@/stack/paths"
import { connectPostgres } from "@/services/ferretdb-postgresql"
import { createScratchPostgres, deleteRedisKeys, dropScratchPostgres, ensurePostgresDatabase, redisAnswers } from "@/stack/scratch-services"
import { startStack } from "@/stack/stack"
import { freeStackPorts } from "@/stack/wait"
import { median, percentile } from "./stats"

const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"
/** Each row's p50 at the largest size within this factor of its p50 at the smallest (issue 17). */
const FLAT_FACTOR = 1.5

const log = (line: string) => process.stderr.write(`${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")

const flagValue = (argv: readonly string[], name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3)

// ---------------------------------------------------------------- the API, as a client sees it

type GqlBody = { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> }

const gql = async (url: string, bearer: string, query: string, variables?: Record<string, unknown>) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify({ query, variables }),
  })
  return { status: res.status, body: (await res.json()) as GqlBody }
}

/** A GraphQL call that must succeed: its data, or a thrown error naming the request. */
const gqlData = async <T>(url: string, bearer: string, what: string, query: string, variables?: Record<string, unknown>): Promise<T> => {
  const r = await gql(url, bearer, query, variables)
  if (r.status !== 200 || r.body.errors) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`)
  return r.body.data as T
}

const session = async (api: string, phone: string) => {
  const res = await fetch(`${api}/dev/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone }),
  })
  if (!res.ok) throw new Error(`/dev/session answered ${res.status}`)
  return (await res.json()) as { token: string; userId: string; accountId: string }
}

const clientCredentials = async (tokenEndpoint: string, id: string, secret: string) => {
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  })
  const body = (await res.json()) as { access_token?: string }
  if (!body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`)
  return body.access_token
}

const CREATE = `mutation ($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) { errors { code message } apiToken { id clientId clientSecret } }
}`
type Created = { apiTokenCreate: { errors: unknown[]; apiToken: { id: string; clientId: string; clientSecret: string } | null } }
const ME_BALANCES = "{ me { defaultAccount { wallets { id walletCurrency balance } } } }"
const LIST = "{ apiTokens { id name status scopes createdAt lastUsedAt } }"
const TRANSACTIONS = "{ me { defaultAccount { transactions(first: 20) { edges { cursor node { id direction settlementAmount } } } } } }"
const AUDIT = "{ apiTokenAuditEvents(first: 20) { id type at } }"
const PAY = `mutation ($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status errors { message } } }`
const REVOKE = `mutation ($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code } apiToken { status } } }`

// ---------------------------------------------------------------- seeding

const phoneOf = (i: number) => `+1666${String(i).padStart(8, "0")}`
const BATCH = 1000
const DAY_MS = 86_400_000

type Seeded = { phone: string; accountId: string; btcWalletId: string; hasToken: boolean }

/** Accounts [from, to) with everything an account holds, by direct inserts in batches. */
const seed = async (from: number, to: number, out: Seeded[]) => {
  const now = Date.now()
  for (let start = from; start < to; start += BATCH) {
    const end = Math.min(to, start + BATCH)
    const users = []
    const accounts = []
    const wallets = []
    const ledger = []
    const invoices = []
    const tokens = []
    const clients = []
    const slots = []
    const audits = []
    const usage = []
    const spends = []
    for (let i = start; i < end; i++) {
      const userId = randomUUID()
      const accountId = randomUUID()
      const btc = randomUUID()
      const usd = randomUUID()
      const createdAt = new Date(now - (i % 365) * DAY_MS)
      users.push({ _id: userId, phone: phoneOf(i), createdAt })
      accounts.push({ _id: accountId, userId, defaultWalletId: btc, status: "ACTIVE", createdAt })
      wallets.push({ _id: btc, accountId, currency: "BTC", createdAt }, { _id: usd, accountId, currency: "USD", createdAt })
      let balance = 0
      for (let v = 1; v <= 6; v++) {
        const amount = v % 2 === 1 ? 1000 : -100
        balance += amount
        const transferId = randomUUID()
        ledger.push({
          _id: ledgerEntryId(btc as WalletId, v),
          walletId: btc,
          version: v,
          amount,
          balance,
          entryKey: `${amount > 0 ? "credit" : "debit"}:${transferId}`,
          transferId,
          kind: "intraledger",
          direction: amount > 0 ? "RECEIVE" : "SEND",
          currency: "BTC",
          counterpartyWalletId: randomUUID(),
          ...(amount < 0 ? { creditAmount: -amount } : {}),
          createdAt: new Date(createdAt.getTime() + v * 60_000),
          repairBucket: bucketOf(new Date(createdAt.getTime() + v * 60_000), REPAIR_BUCKET_MS),
        })
      }
      for (let k = 0; k < 2; k++) {
        const hash = randomBytes(32).toString("hex")
        invoices.push({
          _id: hash,
          paymentRequest: `lnbcrt-seeded-${hash}`,
          walletId: btc,
          accountId,
          currency: "BTC",
          amountSats: 1000,
          paymentSecret: randomBytes(32).toString("hex"),
          preimage: randomBytes(32).toString("hex"),
          expiresAt: new Date(createdAt.getTime() + 3_600_000),
          createdAt,
        })
      }
      const hasToken = i % 2 === 0
      if (hasToken) {
        const tokenId = randomUUID()
        const clientId = `flash_ci_seed${String(i).padStart(13, "0")}`
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
          secretCreatedAt: createdAt,
          secretBucket: dueBucketOf(createdAt),
          expiresAt: new Date(now + 90 * DAY_MS),
          expiryBucket: dueBucketOf(new Date(now + 90 * DAY_MS)),
        })
        clients.push({ _id: clientId, tokenId, accountId, createdAt })
        slots.push({ _id: slotId, accountId, tokenId, createdAt })
        for (let k = 0; k < 3; k++) {
          audits.push({ _id: randomUUID(), type: k === 0 ? "API_TOKEN_CREATED" : "TOKEN_ISSUANCE_REFUSED", accountId, tokenId, actor: k === 0 ? "user" : "tokenHook", at: new Date(createdAt.getTime() + k * 1000) })
        }
        for (let h = 0; h < 5; h++) {
          const hour = new Date(Math.floor((now - h * 3_600_000) / 3_600_000) * 3_600_000)
          usage.push({ _id: randomUUID(), tokenId, accountId, hour, requests: 10 + h, sent: [], lastAt: hour })
        }
        let cumulative = 0
        for (let v = 1; v <= 2; v++) {
          const transferId = randomUUID()
          cumulative += 100
          spends.push({
            _id: randomUUID(),
            spendKey: `${tokenId}:${btc}`,
            tokenId,
            walletId: btc,
            version: v,
            amount: 100,
            cumulative,
            entryKey: `reserve:${transferId}`,
            transferId,
            createdAt: new Date(createdAt.getTime() + v * 60_000),
            repairBucket: bucketOf(new Date(createdAt.getTime() + v * 60_000), REPAIR_BUCKET_MS),
          })
        }
      }
      out.push({ phone: phoneOf(i), accountId, btcWalletId: btc, hasToken })
    }
    const insert = async (model: mongoose.Model<any>, docs: object[]) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      if (docs.length > 0) await model.collection.insertMany(docs as never[], { ordered: false })
    }
    await Promise.all([
      insert(UserModel, users),
      insert(AccountModel, accounts),
      insert(WalletModel, wallets),
      insert(LedgerEntryModel, ledger),
      insert(WalletInvoiceModel, invoices),
      insert(ApiTokenModel, tokens),
      insert(ApiTokenClientModel, clients),
      insert(ApiTokenSlotModel, slots),
      insert(AuditEventModel, audits),
      insert(UsageRowModel, usage),
      insert(ApiTokenSpendModel, spends),
    ])
    if ((end - from) % 10_000 === 0 || end === to) log(`[growth] seeded ${end} accounts`)
  }
}

// ---------------------------------------------------------------- measuring

type Row = { key: string; label: string }
const ROWS: Row[] = [
  { key: "session", label: "a user's first request: POST /dev/session (user by phone, account by user)" },
  { key: "me", label: "`me` with balances, first request of that user (account, wallets, ledger heads: cache miss)" },
  { key: "create", label: "`apiTokenCreate` (read scope)" },
  { key: "list", label: "`apiTokens` list" },
  { key: "issue", label: "issuance at Hydra `/oauth2/token` with the token hook, a token's first" },
  { key: "pay", label: "`intraLedgerPaymentSend` of 10 sats by a write token with a send limit" },
  { key: "transactions", label: "first page of `transactions` (20)" },
  { key: "audit", label: "first page of `apiTokenAuditEvents` (20)" },
  { key: "revocation", label: "revocation: revoke on API 1 until API 2 answers 401" },
]

const WARMUP = 3

const vacuumAnalyze = async (url: string) => {
  const pg = await connectPostgres(url)
  try {
    await pg.query("VACUUM ANALYZE")
  } finally {
    await pg.end()
  }
}

const timed = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now()
  const v = await f()
  return [v, performance.now() - t0]
}

/**
 * `cleanups`: the bench's own clean-up list (bench/run.ts), which also runs on
 * Ctrl-C and SIGTERM: what this run starts is stopped and removed either way.
 */
export const growthMain = async (argv: readonly string[], cleanups: Array<() => Promise<void>>) => {
  const sizes = (flagValue(argv, "sizes") ?? "1000,10000,100000").split(",").map(Number)
  if (sizes.some((n, i) => !Number.isInteger(n) || n < 100 || (i > 0 && n <= sizes[i - 1]!))) {
    throw new Error("--sizes must be ascending whole numbers of accounts, each at least 100, e.g. --sizes=1000,10000,100000")
  }
  const samples = Number(flagValue(argv, "samples") ?? 40)
  if (!Number.isInteger(samples) || samples < 5) throw new Error("--samples must be a whole number of at least 5")
  const keepData = argv.includes("--keep-data")

  const run = randomBytes(4).toString("hex")
  const dataDir = mkdtempSync(join(tmpdir(), `flash-growth-${run}-`))
  cleanups.push(async () => {
    if (keepData) log(`[growth] data and logs kept in ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
  })
  log(`[growth] run ${run}: sizes ${sizes.join(", ")} accounts, ${samples} samples per row and size, data in ${dataDir}`)
  const hydraDatabase = `flash_growth_hydra_${run}`
  const hydraDsn = await createScratchPostgres(POSTGRES_ADMIN_URL, hydraDatabase, 32)
  if (hydraDsn) cleanups.push(() => dropScratchPostgres(POSTGRES_ADMIN_URL, hydraDatabase))
  const ferretdbDatabase = `flash_growth_ferretdb_${run}`
  const ferretdbPostgresqlUrl = hydraDsn ? await ensurePostgresDatabase(POSTGRES_ADMIN_URL, ferretdbDatabase, { fresh: true }) : undefined
  if (ferretdbPostgresqlUrl) cleanups.push(() => dropScratchPostgres(POSTGRES_ADMIN_URL, ferretdbDatabase))
  const redisPrefix = (await redisAnswers(REDIS_URL)) ? `flash-growth-${run}:` : undefined
  if (redisPrefix) cleanups.push(() => deleteRedisKeys(REDIS_URL, redisPrefix))
  const stack = await startStack({
    dataDir,
    ...(await freeStackPorts()),
    hydraDsn,
    ferretdbPostgresqlUrl,
    redisUrl: redisPrefix ? REDIS_URL : undefined,
    redisKeyPrefix: redisPrefix,
    accessTokenLifespanSeconds: 3600,
    apiEnv: {
      RATE_LIMIT_API_TOKEN_PER_MINUTE: "100000000",
      RATE_LIMIT_SESSION_PER_MINUTE: "100000000",
      RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000000",
    },
    log,
  })
  const replicas: ManagedProcess[] = []
  cleanups.push(async () => {
    await Promise.all(replicas.map((p) => p.stop()))
    await stack.stop()
  })
  const api2 = await startApiReplica({
    apiEnv: stack.apiEnv,
    primaryApiUrl: stack.urls.api,
    dataDir: stack.dataDir,
    name: "api-replica",
    entry: join(repoRoot, "src", "servers", "main.ts"),
    extraEnv: {},
    nodeArgs: [],
  })
  replicas.push(api2.process)

  await mongoose.connect(stack.urls.mongodb, { serverSelectionTimeoutMS: 5000 })
  cleanups.push(() => mongoose.disconnect())

  // The recipient of the payment row: an account made through the API.
  const recipient = await session(stack.urls.api, "+19990000001")
  const recipientWallets = await gqlData<{ me: { defaultAccount: { wallets: Array<{ id: string; walletCurrency: string }> } } }>(
    stack.urls.graphql,
    recipient.token,
    "recipient wallets",
    ME_BALANCES,
  )
  const recipientBtc = recipientWallets.me.defaultAccount.wallets.find((w) => w.walletCurrency === "BTC")!.id

  const seeded: Seeded[] = []
  const used = new Set<number>()
  /** A seeded account this run has not used yet, drawn uniformly from all seeded so far. */
  const fresh = (withToken: boolean): Seeded => {
    for (;;) {
      const i = Math.floor(Math.random() * seeded.length)
      if (used.has(i) || seeded[i]!.hasToken !== withToken) continue
      used.add(i)
      return seeded[i]!
    }
  }

  const results = new Map<string, Map<number, number[]>>(ROWS.map((r) => [r.key, new Map()]))
  const recordSample = (key: string, size: number, ms: number) => {
    const bySize = results.get(key)!
    const list = bySize.get(size) ?? []
    list.push(ms)
    bySize.set(size, list)
  }
  const seedSeconds: number[] = []

  for (const size of sizes) {
    const [, ms] = await timed(async () => {
      await seed(seeded.length, size, seeded)
      if (ferretdbPostgresqlUrl) await vacuumAnalyze(ferretdbPostgresqlUrl)
    })
    seedSeconds.push(ms / 1000)
    log(`[growth] ${size} accounts seeded (${fmt(ms / 1000, 0)} s); measuring`)

    for (let s = -WARMUP; s < samples; s++) {
      const record = (key: string, size: number, ms: number) => {
        if (s >= 0) recordSample(key, size, ms)
      }
      // A user the API has never seen: session, then `me` with balances.
      const a = fresh(true)
      const [sess, sessionMs] = await timed(() => session(stack.urls.api, a.phone))
      record("session", size, sessionMs)
      const [, meMs] = await timed(() => gqlData(stack.urls.graphql, sess.token, "me", ME_BALANCES))
      record("me", size, meMs)
      const [, txMs] = await timed(() => gqlData(stack.urls.graphql, sess.token, "transactions", TRANSACTIONS))
      record("transactions", size, txMs)
      const [, auditMs] = await timed(() => gqlData(stack.urls.graphql, sess.token, "apiTokenAuditEvents", AUDIT))
      record("audit", size, auditMs)
      const [created, createMs] = await timed(() =>
        gqlData<Created>(stack.urls.graphql, sess.token, "apiTokenCreate", CREATE, { input: { name: `growth-${s + WARMUP}`, scopes: ["read"] } }),
      )
      record("create", size, createMs)
      const token = created.apiTokenCreate.apiToken!
      const [, listMs] = await timed(() => gqlData(stack.urls.graphql, sess.token, "apiTokens", LIST))
      record("list", size, listMs)
      const [jwt, issueMs] = await timed(() => clientCredentials(stack.urls.tokenEndpoint, token.clientId, token.clientSecret))
      record("issue", size, issueMs)

      // Revocation: the token's record cached on API 2 first.
      const before = await gql(api2.graphql, jwt, "{ globals { network } }")
      if (before.status !== 200) throw new Error(`API 2 refused a fresh token: ${before.status}`)
      const t0 = performance.now()
      await gqlData(stack.urls.graphql, sess.token, "apiTokenRevoke", REVOKE, { input: { id: token.id } })
      let seen = Infinity
      while (performance.now() - t0 < 5000) {
        if ((await gql(api2.graphql, jwt, "{ globals { network } }")).status === 401) {
          seen = performance.now() - t0
          break
        }
        await sleep(2)
      }
      record("revocation", size, seen)

      // A payment by a write token with a send limit, from another account the API has not seen.
      const payer = fresh(false)
      const payerSession = await session(stack.urls.api, payer.phone)
      const writer = await gqlData<Created>(stack.urls.graphql, payerSession.token, "apiTokenCreate (write)", CREATE, {
        input: { name: `growth-pay-${s + WARMUP}`, scopes: ["write"], dailySendLimit: 1000 },
      })
      const writerJwt = await clientCredentials(stack.urls.tokenEndpoint, writer.apiTokenCreate.apiToken!.clientId, writer.apiTokenCreate.apiToken!.clientSecret)
      await gqlData(stack.urls.graphql, writerJwt, "globals (payer)", "{ globals { network } }")
      const [paid, payMs] = await timed(() =>
        gqlData<{ intraLedgerPaymentSend: { status: string; errors: unknown[] } }>(stack.urls.graphql, writerJwt, "intraLedgerPaymentSend", PAY, {
          input: { walletId: payer.btcWalletId, recipientWalletId: recipientBtc, amount: 10 },
        }),
      )
      if (paid.intraLedgerPaymentSend.status !== "SUCCESS") throw new Error(`payment failed: ${JSON.stringify(paid)}`)
      record("pay", size, payMs)
    }
  }

  // ---------------------------------------------------------------- the table
  const first = sizes[0]!
  const last = sizes.at(-1)!
  const label = (n: number) => (n % 1000 === 0 ? `${n / 1000}k` : String(n))
  const lines: string[] = []
  const add = (cells: Array<string | number>) => lines.push(`| ${cells.join(" | ")} |`)
  add(["request", ...sizes.flatMap((n) => [`${label(n)} p50 ms`, `${label(n)} p99 ms`]), `${label(last)}/${label(first)} p50`, `≤ ${FLAT_FACTOR}×`])
  add(["---", ...sizes.flatMap(() => ["---:", "---:"]), "---:", "---"])
  let flat = 0
  for (const row of ROWS) {
    const bySize = results.get(row.key)!
    const p50 = (n: number) => median(bySize.get(n) ?? [])
    const ratio = p50(last) / p50(first)
    if (ratio <= FLAT_FACTOR) flat++
    add([
      row.label,
      ...sizes.flatMap((n) => [fmt(p50(n), 1), fmt(percentile(bySize.get(n) ?? [], 99), 1)]),
      `${fmt(ratio, 2)}×`,
      ratio <= FLAT_FACTOR ? "PASS" : "MISSED",
    ])
  }
  const store = ferretdbPostgresqlUrl ? "PostgreSQL (GIN indexes)" : "SQLite (every lookup scans)"
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${fmt(totalmem() / 2 ** 30)} GiB RAM, Node ${process.version}, Hydra on ${hydraDsn ? "PostgreSQL" : "SQLite"}, Redis ${redisPrefix ? "on" : "off"}, FerretDB on ${store}`
  process.stdout.write(
    `\n## npm run bench -- --growth — ${new Date().toISOString()}\n\n${machine}\n\n` +
      `Seeding: ${sizes.map((n, i) => `${label(n)} accounts in ${fmt(seedSeconds[i]!, 0)} s`).join(", ")} (direct inserts). ${samples} samples per row and size, one request at a time.\n\n` +
      `${lines.join("\n")}\n\n${flat} of ${ROWS.length} rows flat (p50 at ${label(last)} within ${FLAT_FACTOR}× of ${label(first)}).\n\n`,
  )
}
