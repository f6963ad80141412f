// `npm run bench` (issue 8): what authentication costs, every row measured in
// the same run so the ratios hold on a noisy machine.
//
// It starts its own stack (startStack: FerretDB, Hydra, the API) on free ports
// in a temporary data dir — Hydra on a fresh PostgreSQL database when
// PostgreSQL answers at 127.0.0.1:5432 (SQLite otherwise), the machine's Redis
// under a key prefix of its own when it answers — plus two bench-only API
// processes (bench/bench-api.ts: introspection, static key) and, for the
// revocation row, a second real API process. It warms up, measures, prints one
// table, and stops and removes everything, also on error or Ctrl-C.
//
// Load comes from autocannon (in-process, keep-alive connections on loopback):
// maintained, runs on Node alone (no native build, nothing outside npm), and
// exposes every response's latency as a float in ms, which gives exact
// percentiles where its own histogram rounds to whole milliseconds.
//
// Flags: --lookups (only FerretDB's findOne cost as a collection grows, with
// and without the GIN indexes: bench/lookups.ts), --growth (only the read paths
// as the store grows: bench/growth.ts, begun), --quick (a short run), --only-refusal (only the query-limit refusal row), --cpu-prof (a V8 CPU profile of the API
// process per row, for finding a hot path), --keep-data (keep the data dir and logs).
// Exit code: non-zero only on a crash; a missed target prints MISSED.
import { randomBytes } from "node:crypto"
import { EventEmitter } from "node:events"
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { cpus, freemem, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import autocannon from "autocannon"
import mongoose from "mongoose"
import { ApiTokenClientModel } from "@/services/mongoose/api-tokens-schema"
import { startApiReplica } from "@/stack/api-replica"
import type { ManagedProcess } from "@/stack/child-process"
import { repoRoot } from "@/stack/paths"
import { createScratchPostgres, deleteRedisKeys, dropScratchPostgres, ensurePostgresDatabase, redisAnswers } from "@/stack/scratch-services"
import { RunningStack, startStack } from "@/stack/stack"
import { freePort, freeStackPorts } from "@/stack/wait"
import { connectInspector, liveHeapMb } from "./inspector"
import { runGrowthBench } from "./growth"
import { runLookupsBench } from "./lookups"
import { connectProfiler } from "./profiler"
import { bucketDelta, histogramBuckets, histogramQuantile, median, percentile } from "./stats"
import { httpRefusalTimes, wsRefusalTimes } from "./refusal"
import { hashStaticKey, STATIC_KEY_COLLECTION, StaticKeyDoc } from "./verifiers"

const argv = new Set(process.argv.slice(2))
const QUICK = argv.has("--quick")
const CPU_PROF = argv.has("--cpu-prof")
const KEEP_DATA = argv.has("--keep-data")
const ONLY_REFUSAL = argv.has("--only-refusal")

const plan = QUICK
  ? { warmupS: 1, rounds: 1, durationS: 2, latencyS: 1, connections: 32, issuanceConnections: 8, creates: 10, revocations: 5, refusals: 50 }
  : { warmupS: 3, rounds: 3, durationS: 5, latencyS: 3, connections: 32, issuanceConnections: 8, creates: 50, revocations: 20, refusals: 200 }

const POSTGRES_ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379"
const HOOK_HISTOGRAM = "flashapi_token_hook_duration_seconds"

/**
 * The API's graceful stop does not finish (it hangs in server.stop()), so each
 * API process is SIGKILLed after the launcher's grace period; the bench stops
 * them all at once rather than one grace period after another.
 */
const apiProcesses: ManagedProcess[] = []

const log = (line: string) => process.stderr.write(`${line}\n`)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

// ---------------------------------------------------------------- clean-up

const cleanups: Array<() => Promise<void>> = []
let cleaning: Promise<void> | undefined
const cleanUp = () =>
  (cleaning ??= (async () => {
    for (const c of cleanups.splice(0).reverse()) {
      try {
        await c()
      } catch (e) {
        log(`[bench] clean-up step failed: ${e instanceof Error ? e.message : String(e)}`)
      }
    }
  })())

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`[bench] ${signal}: stopping everything`)
    void cleanUp().finally(() => process.exit(130))
  })
}

// ---------------------------------------------------------------- services

/** A process that did not come up: show its last log lines before the data dir goes. */
const showLogTail = (e: unknown) => {
  const file = e instanceof Error ? /see (\S+\.log)/.exec(e.message)?.[1] : undefined
  if (!file) return
  try {
    log(`[bench] last lines of ${file}:\n${readFileSync(file, "utf8").split("\n").slice(-15).join("\n")}`)
  } catch {
    // the file may not exist
  }
}

/** Another API process on the same services (the real one, or a bench verifier). */
const startApiProcess = async (
  stack: RunningStack,
  name: string,
  entry: string,
  extraEnv: NodeJS.ProcessEnv,
  nodeArgs: string[],
): Promise<{ url: string; graphql: string; proc: ManagedProcess }> => {
  const replica = await startApiReplica({
    apiEnv: stack.apiEnv,
    primaryApiUrl: stack.urls.api,
    dataDir: stack.dataDir,
    name,
    entry,
    extraEnv,
    nodeArgs,
  }).catch((e: unknown) => {
    showLogTail(e)
    throw e
  })
  apiProcesses.push(replica.process)
  return { url: replica.url, graphql: replica.graphql, proc: replica.process }
}

// ---------------------------------------------------------------- HTTP helpers

type GqlBody = { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> }

const gql = async (url: string, bearer: string | undefined, query: string, variables?: Record<string, unknown>) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  return { status: res.status, body: (await res.json()) as GqlBody }
}

const devSession = async (api: string) => {
  const phone = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, "0")}`
  const res = await fetch(`${api}/dev/session`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ phone }),
  })
  if (!res.ok) throw new Error(`/dev/session answered ${res.status}`)
  return (await res.json()) as { token: string; userId: string; accountId: string }
}

const FUNDING_PAYMENTS = 5
const FUNDED_SATS = 5 * 1000 + (0 + 1 + 2 + 3 + 4) // invoices of 1000 + i sats, i < FUNDING_PAYMENTS

/** `payments` invoices of the merchant's BTC wallet, each paid by the sandbox Lightning payer. */
const fundMerchant = async (urls: { api: string; graphql: string }, session: string, payments: number) => {
  const me = await gql(urls.graphql, session, "{ me { defaultAccount { wallets { id walletCurrency } } } }")
  const wallets = (me.body.data?.me as { defaultAccount: { wallets: Array<{ id: string; walletCurrency: string }> } }).defaultAccount.wallets
  const btc = wallets.find((w) => w.walletCurrency === "BTC")
  if (!btc) throw new Error(`the merchant has no BTC wallet: ${JSON.stringify(me.body)}`)
  for (let i = 0; i < payments; i++) {
    const created = await gql(
      urls.graphql,
      session,
      "mutation($input: LnInvoiceCreateInput!) { lnInvoiceCreate(input: $input) { invoice { paymentRequest } errors { message } } }",
      { input: { walletId: btc.id, amount: 1000 + i } },
    )
    const invoice = (created.body.data?.lnInvoiceCreate as { invoice?: { paymentRequest: string } } | undefined)?.invoice
    if (!invoice) throw new Error(`lnInvoiceCreate failed: ${JSON.stringify(created.body)}`)
    const paid = await fetch(`${urls.api}/dev/lightning/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ paymentRequest: invoice.paymentRequest }),
    })
    if (paid.status !== 200) throw new Error(`paying the funding invoice: ${paid.status} ${await paid.text()}`)
  }
}

const CREATE = `mutation Create($input: ApiTokenCreateInput!) {
  apiTokenCreate(input: $input) { errors { code message } apiToken { id clientId clientSecret } }
}`
const ROTATE = `mutation Rotate($input: ApiTokenRotateInput!) { apiTokenRotate(input: $input) { errors { code } apiToken { clientId } } }`
const UPDATE = `mutation Update($input: ApiTokenUpdateInput!) { apiTokenUpdate(input: $input) { errors { code } apiToken { id } } }`
const REVOKE = `mutation Revoke($input: ApiTokenRevokeInput!) {
  apiTokenRevoke(input: $input) { errors { code } apiToken { id status } }
}`

type CreatedToken = { id: string; clientId: string; clientSecret: string }
const createApiToken = async (graphql: string, session: string, name: string): Promise<CreatedToken> => {
  const { body } = await gql(graphql, session, CREATE, { input: { name, scopes: ["read"] } })
  const payload = body.data?.apiTokenCreate as { apiToken?: CreatedToken; errors: unknown[] } | undefined
  if (!payload?.apiToken) throw new Error(`apiTokenCreate failed: ${JSON.stringify(body)}`)
  return payload.apiToken
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`

const accessToken = async (tokenEndpoint: string, id: string, secret: string) => {
  const res = await fetch(tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(id, secret) },
    body: new URLSearchParams({ grant_type: "client_credentials" }),
  })
  const body = (await res.json()) as { access_token?: string }
  if (!body.access_token) throw new Error(`token request failed: ${res.status} ${JSON.stringify(body)}`)
  return body.access_token
}

// ---------------------------------------------------------------- load

type LoadSpec = {
  url: string
  method: "GET" | "POST"
  headers: Record<string, string>
  body?: string
}
type LoadResult = { rps: number; p50: number; p99: number; ok: number; bad: number; latencies: number[] }

/** One autocannon run; latencies (ms, float) of the 2xx responses only. */
const load = (spec: LoadSpec, connections: number, durationS: number) =>
  new Promise<LoadResult>((resolve, reject) => {
    const latencies: number[] = []
    const instance = autocannon(
      { ...spec, connections, duration: durationS, pipelining: 1, timeout: 10 },
      (err, r) => {
        if (err) {
          reject(err instanceof Error ? err : new Error(String(err)))
          return
        }
        resolve({
          rps: r["2xx"] / r.duration,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          ok: r["2xx"],
          bad: r.non2xx + r.errors,
          latencies,
        })
      },
    )
    ;(instance as unknown as EventEmitter).on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms)
    })
  })

const graphqlLoad = (url: string, query: string, bearer?: string): LoadSpec => ({
  url,
  method: "POST",
  headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
  body: JSON.stringify({ query }),
})

// ---------------------------------------------------------------- main

const GLOBALS = "{ globals { network nodesIds lightningAddressDomain } }"
const ME = "{ me { defaultAccount { wallets { id balance } } } }"

type Row = { key: string; label: string; spec: LoadSpec }
type RowResult = { rps: number[]; p50: number[]; p99: number[]; bad: number; latency1: number[] }

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
const signed = (n: number, digits = 2) => `${n >= 0 ? "+" : ""}${fmt(n, digits)}`
const verdict = (ok: boolean) => (ok ? "PASS" : "MISSED")

const rssOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN)
  return { rssMb: kb("VmRSS") / 1024, hwmMb: kb("VmHWM") / 1024 }
}

/** Row 9: refusal of the attack's amplification query by the query limits, over HTTP and WebSocket. */
const measureRefusal = async (stack: RunningStack, bearer: string) => {
  log(`[bench] row 9: ${plan.refusals} refusals of the 200-alias amplification query, HTTP then WebSocket (1 connection)`)
  const http = await httpRefusalTimes(stack.urls.graphql, bearer, plan.refusals)
  const ws = await wsRefusalTimes(stack.urls.graphqlWs, bearer, plan.refusals)
  const p99 = Math.max(percentile(http, 99), percentile(ws, 99))
  return {
    row: [
      "9",
      `query limits: refusal of 200 aliases of \`me → transactions(first: 100)\` (${plan.refusals} sequential, API-token JWT)`,
      `HTTP p50 ${fmt(median(http), 2)} ms, p99 ${fmt(percentile(http, 99), 2)} ms; WebSocket p50 ${fmt(median(ws), 2)} ms, p99 ${fmt(percentile(ws, 99), 2)} ms`,
    ],
    target: ["query-limit refusal p99 < 50 ms (row 9, HTTP and WebSocket)", p99 < 50, `${fmt(p99, 1)} ms`] as [string, boolean, string],
  }
}

const main = async () => {
  const run = randomBytes(4).toString("hex")
  const dataDir = mkdtempSync(join(tmpdir(), `flash-bench-${run}-`))
  cleanups.push(async () => {
    if (KEEP_DATA) log(`[bench] data and logs kept in ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
  })
  log(`[bench] run ${run}${QUICK ? " (quick)" : ""}, data in ${dataDir}`)

  const hydraDatabase = `flash_bench_hydra_${run}`
  // A larger pool than the tests: 8 concurrent token requests in row 6.
  const hydraDsn = await createScratchPostgres(POSTGRES_ADMIN_URL, hydraDatabase, 32)
  if (hydraDsn) cleanups.push(() => dropScratchPostgres(POSTGRES_ADMIN_URL, hydraDatabase))
  const redisPrefix = (await redisAnswers(REDIS_URL)) ? `flash-bench-${run}:` : undefined
  if (redisPrefix) cleanups.push(() => deleteRedisKeys(REDIS_URL, redisPrefix))
  // FerretDB on PostgreSQL too, as npm start and the tests run it (GIN indexes: lookups use an index).
  const ferretdbDatabase = `flash_bench_ferretdb_${run}`
  const ferretdbPostgresqlUrl = hydraDsn ? await ensurePostgresDatabase(POSTGRES_ADMIN_URL, ferretdbDatabase, { fresh: true }) : undefined
  if (ferretdbPostgresqlUrl) cleanups.push(() => dropScratchPostgres(POSTGRES_ADMIN_URL, ferretdbDatabase))
  log(`[bench] Hydra on ${hydraDsn ? "PostgreSQL" : "SQLite"}; FerretDB on ${ferretdbPostgresqlUrl ? "PostgreSQL" : "SQLite"}; Redis ${redisPrefix ? "on" : "absent (in-process revocation)"}`)

  const profDir = join(tmpdir(), `flash-bench-cpu-prof-${run}`)
  if (CPU_PROF) mkdirSync(profDir, { recursive: true })
  const apiEnv: NodeJS.ProcessEnv = {
    // The benchmark measures the server, not the limiter's refusals.
    RATE_LIMIT_API_TOKEN_PER_MINUTE: "100000000",
    RATE_LIMIT_SESSION_PER_MINUTE: "100000000",
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000000",
  }
  // The API's V8 inspector (loopback): CPU profiles per row with --cpu-prof
  // (bench/profiler.ts), and row 8's live heap. No session is attached during
  // the timed rows unless profiling.
  const inspectorPort = await freePort()
  const nodeArgs = [`--inspect=127.0.0.1:${inspectorPort}`]
  const stack = await startStack({
    dataDir,
    ...(await freeStackPorts()),
    hydraDsn,
    ferretdbPostgresqlUrl,
    redisUrl: redisPrefix ? REDIS_URL : undefined,
    redisKeyPrefix: redisPrefix,
    // Long enough that no JWT of the run expires mid-measurement.
    accessTokenLifespanSeconds: 3600,
    apiEnv,
    apiNodeArgs: nodeArgs,
    log,
  }).catch((e: unknown) => {
    showLogTail(e)
    throw e
  })
  cleanups.push(async () => {
    await Promise.all(apiProcesses.map((p) => p.stop()))
    await stack.stop()
  })
  const api1 = stack.processes.find((p) => p.name === "api")
  if (!api1) throw new Error("the stack has no API process")
  apiProcesses.push(api1)

  if (ONLY_REFUSAL) {
    const m = await devSession(stack.urls.api)
    const t = await createApiToken(stack.urls.graphql, m.token, "bench-refusal")
    const refusal = await measureRefusal(stack, await accessToken(stack.urls.tokenEndpoint, t.clientId, t.clientSecret))
    const [what, ok, measured] = refusal.target
    process.stdout.write(
      `\n## npm run bench -- --only-refusal${QUICK ? " --quick" : ""} — ${new Date().toISOString()}\n\n` +
        `| # | what | result |\n| --- | --- | --- |\n| ${refusal.row.join(" | ")} |\n\n` +
        `| target | measured | verdict |\n| --- | ---: | --- |\n| ${what} | ${measured} | ${verdict(ok)} |\n\n`,
    )
    return
  }

  log("[bench] starting the bench-only verifier processes (introspection, static key)")
  const benchEntry = join(repoRoot, "bench", "bench-api.ts")
  const [introspectApi, staticApi] = await Promise.all([
    startApiProcess(stack, "bench-api-introspection", benchEntry, { BENCH_VERIFIER: "introspection" }, []),
    startApiProcess(stack, "bench-api-static-key", benchEntry, { BENCH_VERIFIER: "static-key" }, []),
  ])

  // ---- fixtures: one merchant, one read token (JWT), the same token as an opaque Hydra client and as a static key
  log("[bench] fixtures: session, API token, JWT, opaque token, static key")
  const merchant = await devSession(stack.urls.api)
  // A merchant with a history: the balance rows read a ledger with entries in it.
  await fundMerchant(stack.urls, merchant.token, FUNDING_PAYMENTS)
  const token = await createApiToken(stack.urls.graphql, merchant.token, "bench")
  const jwt = await accessToken(stack.urls.tokenEndpoint, token.clientId, token.clientSecret)

  await mongoose.connect(stack.urls.mongodb, { serverSelectionTimeoutMS: 5000 })
  cleanups.push(() => mongoose.disconnect())
  // A second Hydra client with opaque tokens, bound to the same token record
  // (as a rotation binds its new client), so the token hook allows it.
  const opaque = { id: `bench-opaque-${run}`, secret: randomBytes(32).toString("base64url") }
  const created = await fetch(`${stack.urls.hydraAdmin}/admin/clients`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_id: opaque.id,
      client_secret: opaque.secret,
      grant_types: ["client_credentials"],
      scope: "read",
      access_token_strategy: "opaque",
      token_endpoint_auth_method: "client_secret_basic",
      client_credentials_grant_access_token_lifespan: "1h",
    }),
  })
  if (created.status !== 201) throw new Error(`creating the opaque Hydra client: ${created.status} ${await created.text()}`)
  await ApiTokenClientModel.create({ _id: opaque.id, tokenId: token.id, accountId: merchant.accountId, createdAt: new Date() })
  const opaqueToken = await accessToken(stack.urls.tokenEndpoint, opaque.id, opaque.secret)

  const staticKey = `flash_key_${randomBytes(32).toString("base64url")}`
  await mongoose.connection.db!.collection<StaticKeyDoc>(STATIC_KEY_COLLECTION).insertOne({
    _id: hashStaticKey(staticKey),
    clientId: token.clientId,
    accountId: merchant.accountId,
    scopes: ["read"],
    createdAt: new Date(),
  })

  const rssAtStart = rssOf(api1.pid)

  const rows: Row[] = [
    { key: "1", label: "`globals`, no auth", spec: graphqlLoad(stack.urls.graphql, GLOBALS) },
    { key: "1b", label: "`globals`, API-token JWT (auth cost alone)", spec: graphqlLoad(stack.urls.graphql, GLOBALS, jwt) },
    { key: "2", label: "`me…wallets{id balance}`, user session JWT", spec: graphqlLoad(stack.urls.graphql, ME, merchant.token) },
    { key: "3", label: "`me…`, API-token JWT (ours)", spec: graphqlLoad(stack.urls.graphql, ME, jwt) },
    { key: "4", label: "`me…`, Hydra introspection per request (opaque)", spec: graphqlLoad(introspectApi.graphql, ME, opaqueToken) },
    { key: "5", label: "`me…`, static key: Mongo lookup + lastUsedAt write", spec: graphqlLoad(staticApi.graphql, ME, staticKey) },
  ]

  // Every row must answer correctly before it is timed.
  for (const row of rows) {
    const res = await fetch(row.spec.url, { method: "POST", headers: row.spec.headers, body: row.spec.body })
    const body = (await res.json()) as GqlBody
    const wallets = (body.data?.me as { defaultAccount?: { wallets?: Array<{ balance: number }> } } | undefined)?.defaultAccount?.wallets
    const fine =
      res.status === 200 &&
      !body.errors &&
      (row.spec.body?.includes("globals") ? body.data?.globals : wallets?.some((w) => w.balance === FUNDED_SATS))
    if (!fine) throw new Error(`row ${row.key} does not answer as expected: ${res.status} ${JSON.stringify(body)}`)
  }

  log(`[bench] warm-up: ${plan.warmupS} s per row`)
  for (const row of rows) await load(row.spec, plan.connections, plan.warmupS)

  const results = new Map<string, RowResult>(rows.map((r) => [r.key, { rps: [], p50: [], p99: [], bad: 0, latency1: [] }]))
  // Rounds interleave the rows, so a burst of load from a neighbour hits them alike.
  const profiler = CPU_PROF ? await connectProfiler(inspectorPort) : undefined
  if (profiler) cleanups.push(async () => profiler.close())
  for (let round = 1; round <= plan.rounds; round++) {
    // Each round starts at another row, so no row always runs first or always
    // after the same neighbour (in one run row 1, always first, came out below
    // row 1b, which does strictly more work).
    const shift = ((round - 1) * 2) % rows.length
    const order = [...rows.slice(shift), ...rows.slice(0, shift)]
    for (const row of order) {
      log(`[bench] round ${round}/${plan.rounds}: row ${row.key}, ${plan.connections} connections, ${plan.durationS} s`)
      // The first round of the rows served by the stack's API (1, 1b, 2, 3) is profiled.
      const profiled = profiler && round === 1 && row.spec.url === stack.urls.graphql
      if (profiled) await profiler.start()
      const r = await load(row.spec, plan.connections, plan.durationS)
      if (profiled) await profiler.stopTo(join(profDir, `row-${row.key}.cpuprofile`))
      const acc = results.get(row.key)!
      acc.rps.push(r.rps)
      acc.p50.push(r.p50)
      acc.p99.push(r.p99)
      acc.bad += r.bad
    }
    // Latency without queueing: one connection, one request at a time.
    for (const row of rows) {
      log(`[bench] round ${round}/${plan.rounds}: row ${row.key}, 1 connection, ${plan.latencyS} s`)
      const r = await load(row.spec, 1, plan.latencyS)
      const acc = results.get(row.key)!
      acc.latency1.push(...r.latencies)
      acc.bad += r.bad
    }
  }

  const refusal = await measureRefusal(stack, jwt)

  // ---- row 6: issuance at Hydra with our token hook on
  log(`[bench] row 6: client credentials at Hydra, ${plan.issuanceConnections} connections`)
  const issuance: LoadSpec = {
    url: stack.urls.tokenEndpoint,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(token.clientId, token.clientSecret) },
    body: "grant_type=client_credentials",
  }
  await load(issuance, plan.issuanceConnections, plan.warmupS)
  const scrape = async () => histogramBuckets(await (await fetch(`${stack.urls.metrics}/metrics`)).text(), HOOK_HISTOGRAM)
  const hookBefore = await scrape()
  const issuanceRuns: LoadResult[] = []
  for (let round = 1; round <= plan.rounds; round++) issuanceRuns.push(await load(issuance, plan.issuanceConnections, plan.durationS))
  const hook = bucketDelta(hookBefore, await scrape())
  const hookCount = hook.at(-1)?.[1] ?? 0

  // ---- row 7a: apiTokenCreate, sequential (10 tokens per merchant: the per-account cap is 25)
  log(`[bench] row 7: ${plan.creates} sequential apiTokenCreate`)
  const createMs: number[] = []
  let session = merchant.token
  for (let i = 0; i < plan.creates; i++) {
    if (i % 10 === 0) session = (await devSession(stack.urls.api)).token
    const t0 = performance.now()
    await createApiToken(stack.urls.graphql, session, `bench-create-${i}`)
    createMs.push(performance.now() - t0)
  }

  // ---- row 7b: revocation across two API processes
  log(`[bench] row 7: revocation propagation to a second API process, ${plan.revocations} tokens`)
  const api2 = await startApiProcess(stack, "api-replica", join(repoRoot, "src", "servers", "main.ts"), {}, [])
  // From the management call on API 1 until API 2 answers 401 to the token's
  // JWT (its record cached there first): the invalidation bus, three causes.
  const PROPAGATION_TIMEOUT_MS = 5000
  const propagation = async (what: string, change: (session: string, tokenId: string) => Promise<boolean>) => {
    const callMs: number[] = []
    const seenMs: number[] = []
    for (let i = 0; i < plan.revocations; i++) {
      if (i % 10 === 0) session = (await devSession(stack.urls.api)).token
      const t = await createApiToken(stack.urls.graphql, session, `bench-${what}-${i}`)
      const tJwt = await accessToken(stack.urls.tokenEndpoint, t.clientId, t.clientSecret)
      const before = await gql(api2.graphql, tJwt, GLOBALS) // also fills API 2's token cache
      if (before.status !== 200) throw new Error(`API 2 refused a fresh token: ${before.status}`)
      const t0 = performance.now()
      if (!(await change(session, t.id))) throw new Error(`${what} failed`)
      callMs.push(performance.now() - t0)
      let seen = NaN
      while (performance.now() - t0 < PROPAGATION_TIMEOUT_MS) {
        if ((await gql(api2.graphql, tJwt, GLOBALS)).status === 401) {
          seen = performance.now() - t0
          break
        }
        await sleep(2)
      }
      seenMs.push(Number.isNaN(seen) ? Infinity : seen)
    }
    return { callMs, seenMs }
  }
  const revocation = await propagation("revoke", async (s, id) => {
    const r = await gql(stack.urls.graphql, s, REVOKE, { input: { id } })
    return (r.body.data?.apiTokenRevoke as { apiToken?: { status?: string } } | undefined)?.apiToken?.status === "REVOKED"
  })
  const revokeMs = revocation.callMs
  const propagationMs = revocation.seenMs
  log(`[bench] row 7: rotation (grace 0) and a change of limits (ipAllowlist) to a second API process, ${plan.revocations} tokens each`)
  const rotation = await propagation("rotate", async (s, id) => {
    const r = await gql(stack.urls.graphql, s, ROTATE, { input: { id, gracePeriodSeconds: 0 } })
    return (r.body.data?.apiTokenRotate as { errors?: unknown[] } | undefined)?.errors?.length === 0
  })
  const limits = await propagation("update", async (s, id) => {
    const r = await gql(stack.urls.graphql, s, UPDATE, { input: { id, ipAllowlist: ["203.0.113.7"] } })
    return (r.body.data?.apiTokenUpdate as { errors?: unknown[] } | undefined)?.errors?.length === 0
  })

  // ---- row 8: memory of the API process after everything above
  // At once, and once the process has been idle for 15 s: V8 keeps the heap it
  // grew under load until its memory reducer runs on an idle process, so the
  // first reading says how much the load left allocated and the second what
  // the process settles at. The target is judged on the settled one.
  const rssAtEnd = rssOf(api1.pid)
  log("[bench] row 8: API idle for 15 s before the settled RSS reading")
  await sleep(15_000)
  const rss = rssOf(api1.pid)
  // What the process keeps alive: a full collection, then the heap in use.
  const inspector = await connectInspector(inspectorPort)
  const liveHeap = await liveHeapMb(inspector).finally(() => inspector.close())
  const metricsText = await (await fetch(`${stack.urls.metrics}/metrics`)).text()
  const gaugeMb = (name: string) => Number(new RegExp(`^${name} ([0-9.e+]+)`, "m").exec(metricsText)?.[1] ?? NaN) / 2 ** 20

  // ---------------------------------------------------------------- the table
  const R = (k: string) => results.get(k)!
  const rps = (k: string) => median(R(k).rps)
  const p99At1 = (k: string) => percentile(R(k).latency1, 99)
  const lines: string[] = []
  const add = (cells: Array<string | number>) => lines.push(`| ${cells.join(" | ")} |`)
  lines.push(`### Throughput and latency (${plan.rounds} × ${plan.durationS} s at ${plan.connections} connections, medians; then ${plan.rounds} × ${plan.latencyS} s at 1 connection)`)
  lines.push("")
  add(["#", "request", "req/s", "p50 ms", "p99 ms", "p50 ms @1 conn", "p99 ms @1 conn", "vs row 1", "failed"])
  add(["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---:"])
  for (const row of rows) {
    const r = R(row.key)
    add([
      row.key,
      row.label,
      fmt(rps(row.key), 0),
      fmt(median(r.p50), 1),
      fmt(median(r.p99), 1),
      fmt(percentile(r.latency1, 50), 2),
      fmt(percentile(r.latency1, 99), 2),
      `${fmt(rps(row.key) / rps("1"), 2)}×`,
      r.bad,
    ])
  }
  const issuanceRps = median(issuanceRuns.map((r) => r.rps))
  const issuanceLat = issuanceRuns.flatMap((r) => r.latencies)
  lines.push("")
  lines.push("### Issuance, management, memory")
  lines.push("")
  add(["#", "what", "result"])
  add(["---", "---", "---"])
  add([
    "6",
    `client credentials at Hydra \`/oauth2/token\`, token hook on (${plan.issuanceConnections} connections)`,
    `${fmt(issuanceRps, 0)} tokens/s; p50 ${fmt(percentile(issuanceLat, 50))} ms, p99 ${fmt(percentile(issuanceLat, 99))} ms; failed ${issuanceRuns.reduce((n, r) => n + r.bad, 0)}`,
  ])
  add([
    "6",
    `token hook as the API sees it (${hookCount} calls, from \`${HOOK_HISTOGRAM}\`)`,
    `p50 ${fmt(histogramQuantile(hook, 0.5) * 1000, 2)} ms, p99 ${fmt(histogramQuantile(hook, 0.99) * 1000, 2)} ms (interpolated in buckets)`,
  ])
  add(["7", `\`apiTokenCreate\` (${plan.creates}, sequential)`, `p50 ${fmt(median(createMs))} ms, p99 ${fmt(percentile(createMs, 99))} ms`])
  add([
    "7",
    `revocation: revoke on API 1 until API 2 answers 401 (${plan.revocations} tokens, from the revoke request)`,
    `p50 ${fmt(median(propagationMs))} ms, p99 ${fmt(percentile(propagationMs, 99))} ms (the revoke call itself: p50 ${fmt(median(revokeMs))} ms)`,
  ])
  add(refusal.row)
  add([
    "7",
    `rotation (grace 0): rotate on API 1 until API 2 answers 401 to the old JWT (${plan.revocations} tokens)`,
    `p50 ${fmt(median(rotation.seenMs))} ms, p99 ${fmt(percentile(rotation.seenMs, 99))} ms (the rotate call itself: p50 ${fmt(median(rotation.callMs))} ms)`,
  ])
  add([
    "7",
    `change of limits: \`apiTokenUpdate\` narrows ipAllowlist on API 1 until API 2 answers 401 (${plan.revocations} tokens)`,
    `p50 ${fmt(median(limits.seenMs))} ms, p99 ${fmt(percentile(limits.seenMs, 99))} ms (the update call itself: p50 ${fmt(median(limits.callMs))} ms)`,
  ])
  add([
    "8",
    "API process RSS after the run (settled: idle 15 s)",
    `${fmt(rss.rssMb, 0)} MB (${fmt(rssAtEnd.rssMb, 0)} MB right after the last row; live heap after a full collection ${fmt(liveHeap, 1)} MB; peak ${fmt(rss.hwmMb, 0)} MB; ${fmt(rssAtStart.rssMb, 0)} MB before the load rows; V8 heap used ${fmt(gaugeMb("nodejs_heap_size_used_bytes"), 0)} of ${fmt(gaugeMb("nodejs_heap_size_total_bytes"), 0)} MB, external ${fmt(gaugeMb("nodejs_external_memory_bytes"), 0)} MB)`,
  ])

  const targets: Array<[string, boolean, string]> = [
    ["row 3 throughput ≥ 0.85 × row 1", rps("3") >= 0.85 * rps("1"), `${fmt(rps("3") / rps("1"), 2)}×`],
    ["row 3 p99 added latency ≤ 2 ms (1 connection, vs row 1)", p99At1("3") - p99At1("1") <= 2, `${signed(p99At1("3") - p99At1("1"))} ms`],
    ["row 3 ≥ 5 × row 4 (introspection)", rps("3") >= 5 * rps("4"), `${fmt(rps("3") / rps("4"), 2)}×`],
    ["row 3 ≥ 2 × row 5 (static key in Mongo)", rps("3") >= 2 * rps("5"), `${fmt(rps("3") / rps("5"), 2)}×`],
    ["revocation propagation p99 ≤ 1 s", percentile(propagationMs, 99) <= 1000, `${fmt(percentile(propagationMs, 99), 0)} ms`],
    ["rotation (grace 0) propagation p99 ≤ 1 s", percentile(rotation.seenMs, 99) <= 1000, `${fmt(percentile(rotation.seenMs, 99), 0)} ms`],
    ["change of limits propagation p99 ≤ 1 s", percentile(limits.seenMs, 99) <= 1000, `${fmt(percentile(limits.seenMs, 99), 0)} ms`],
    ["apiTokenCreate p50 ≤ 100 ms", median(createMs) <= 100, `${fmt(median(createMs), 0)} ms`],
    ["API RSS ≤ 250 MB (settled)", rss.rssMb <= 250, `${fmt(rss.rssMb, 0)} MB`],
    refusal.target,
  ]
  const informational: Array<[string, boolean, string]> = [
    ["(auth alone) row 1b throughput ≥ 0.85 × row 1", rps("1b") >= 0.85 * rps("1"), `${fmt(rps("1b") / rps("1"), 2)}×`],
    ["(auth alone) row 1b p99 added latency ≤ 2 ms", p99At1("1b") - p99At1("1") <= 2, `${signed(p99At1("1b") - p99At1("1"))} ms`],
    ["(same query) row 3 throughput ≥ 0.85 × row 2", rps("3") >= 0.85 * rps("2"), `${fmt(rps("3") / rps("2"), 2)}×`],
  ]
  lines.push("")
  lines.push("### Targets")
  lines.push("")
  add(["target", "measured", "verdict"])
  add(["---", "---:", "---"])
  for (const [what, ok, measured] of targets) add([what, measured, verdict(ok)])
  for (const [what, ok, measured] of informational) add([`${what} — not an issue target`, measured, verdict(ok)])

  const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${fmt(totalmem() / 2 ** 30)} GiB RAM (${fmt(freemem() / 2 ** 30)} GiB free), Node ${process.version}, Hydra on ${hydraDsn ? "PostgreSQL" : "SQLite"}, FerretDB on ${ferretdbPostgresqlUrl ? "PostgreSQL" : "SQLite"}, Redis ${redisPrefix ? "on" : "off"}`
  process.stdout.write(`\n## npm run bench${QUICK ? " --quick" : ""} — ${new Date().toISOString()}\n\n${machine}\n\n${lines.join("\n")}\n\n`)
  if (CPU_PROF) log(`[bench] CPU profiles of the API process, one per row: ${profDir}`)
}

;(argv.has("--lookups")
  ? runLookupsBench(POSTGRES_ADMIN_URL)
  : argv.has("--growth")
    ? runGrowthBench({ postgresAdminUrl: POSTGRES_ADMIN_URL, redisUrl: REDIS_URL, quick: QUICK })
    : main())
  .then(cleanUp)
  .then(() => process.exit(0))
  .catch(async (e: unknown) => {
    log(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    await cleanUp()
    process.exit(1)
  })
