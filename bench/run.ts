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
// Flags: --growth (bench/growth.ts: cost as accounts, tokens and the ledger grow), --lookups (only
// FerretDB's findOne cost as a collection grows, with and without the GIN indexes: bench/lookups.ts),
// --quick (a short run), --source (the API processes through tsx instead of the compiled build), --only-refusal (only the query-limit refusal row), --only-issuance (only
// rows 6 and 6b: issuance with and without the token hook), --cpu-prof (a V8 CPU profile of the API
// process per row, for finding a hot path), --keep-data (keep the data dir and logs), --runs N (N
// whole runs one after another, each on a stack of its own; then every number's median, and the
// targets judged on the medians).
// Exit code: non-zero only on a crash; a missed target prints MISSED.
import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { EventEmitter } from "node:events"
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { cpus, freemem, tmpdir, totalmem } from "node:os"
import { join } from "node:path"
import { performance } from "node:perf_hooks"
import autocannon from "autocannon"
import { decodeJwt } from "jose"
import mongoose from "mongoose"
import { ApiTokenClientModel } from "@/services/mongoose/api-tokens-schema"
import { startApiReplica } from "@/stack/api-replica"
import { buildCompiled } from "@/stack/compiled-build"
import type { ManagedProcess } from "@/stack/child-process"
import { startHydra } from "@/stack/hydra"
import { repoRoot } from "@/stack/paths"
import { loadOrCreateSecrets } from "@/stack/secrets"
import { createScratchPostgres, deleteRedisKeys, dropScratchPostgres, ensurePostgresDatabase, redisAnswers } from "@/stack/scratch-services"
import { RunningStack, startStack } from "@/stack/stack"
import { freePort, freeStackPorts } from "@/stack/wait"
import { growthMain } from "./growth"
import { connectInspector, liveHeapMb } from "./inspector"
import { runLookupsBench } from "./lookups"
import { connectProfiler, Profiler } from "./profiler"
import { bucketDelta, histogramBuckets, histogramQuantile, median, percentile } from "./stats"
import { httpRefusalTimes, wsRefusalTimes } from "./refusal"
import { hashStaticKey, STATIC_KEY_COLLECTION, StaticKeyDoc } from "./verifiers"

const args = process.argv.slice(2)
const argv = new Set(args)
const QUICK = argv.has("--quick")
const CPU_PROF = argv.has("--cpu-prof")
const KEEP_DATA = argv.has("--keep-data")
const ONLY_REFUSAL = argv.has("--only-refusal")
const ONLY_ISSUANCE = argv.has("--only-issuance")
/** Run the API processes from source through tsx instead of the compiled build that the image runs. */
const FROM_SOURCE = argv.has("--source")
const valueOf = (flag: string) => {
  const i = args.indexOf(flag)
  return i >= 0 ? args[i + 1] : undefined
}
const RUNS = Number(valueOf("--runs") ?? 1)
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write("[bench] --runs takes a whole number of runs, 1 or more\n")
  process.exit(2)
}
/** Set by --runs for each of its runs: where that run writes its numbers and targets (JSON). */
const SUMMARY_FILE = valueOf("--summary-file")

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
const createApiToken = async (graphql: string, session: string, name: string, extra: Record<string, unknown> = {}): Promise<CreatedToken> => {
  const { body } = await gql(graphql, session, CREATE, { input: { name, scopes: ["read"], ...extra } })
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
type RowResult = {
  rps: number[]
  p50: number[]
  p99: number[]
  bad: number
  latency1: number[]
  /** CPU seconds over the 32-connection rounds. */
  cpu: CpuReading
  /** The requests answered in those rounds. */
  requests: number
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "n/a")
const signed = (n: number, digits = 2) => `${n >= 0 ? "+" : ""}${fmt(n, digits)}`
const verdict = (ok: boolean) => (ok ? "PASS" : "MISSED")

/**
 * A target as data, so that --runs can judge it again on the median of the runs:
 * `value op limit`, shown with `unit` (a leading + when `signed`).
 */
type Target = {
  what: string
  value: number
  op: ">=" | "<=" | "<"
  limit: number
  unit: string
  digits: number
  signed?: boolean
  /** Shown, but not an issue target. */
  informational?: boolean
}
const met = (t: Pick<Target, "op" | "limit">, value: number) =>
  t.op === ">=" ? value >= t.limit : t.op === "<=" ? value <= t.limit : value < t.limit
const shown = (t: Pick<Target, "unit" | "digits" | "signed">, value: number) => `${t.signed ? signed(value, t.digits) : fmt(value, t.digits)}${t.unit}`
const targetRow = (t: Target) => [t.informational ? `${t.what} — not an issue target` : t.what, shown(t, t.value), verdict(met(t, t.value))]

/** What one run hands to --runs: every number it printed that a row or target rests on, and its targets. */
type RunSummary = { numbers: Array<[string, number]>; targets: Target[] }

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
    target: { what: "query-limit refusal p99 < 50 ms (row 9, HTTP and WebSocket)", value: p99, op: "<", limit: 50, unit: " ms", digits: 1 } as Target,
    numbers: [
      ["row 9: HTTP p99 ms", percentile(http, 99)],
      ["row 9: WebSocket p99 ms", percentile(ws, 99)],
    ] as Array<[string, number]>,
  }
}

const machineLine = (hydraDsn: string | undefined, redisPrefix: string | undefined, ferretdbPostgresqlUrl: string | undefined) =>
  `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${fmt(totalmem() / 2 ** 30)} GiB RAM (${fmt(freemem() / 2 ** 30)} GiB free), Node ${process.version}, Hydra on ${hydraDsn ? "PostgreSQL" : "SQLite"}, FerretDB on ${ferretdbPostgresqlUrl ? "PostgreSQL" : "SQLite"}, Redis ${redisPrefix ? "on" : "off"}, API processes ${FROM_SOURCE ? "from source (tsx)" : "from the compiled build"}`

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat (Linux; clock ticks of 1/100 s). */
const cpuSecondsOf = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** CPU seconds the whole machine has been busy (all cores, /proc/stat: everything but idle and iowait). */
const machineBusySeconds = () => {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0)
  return (total - f[3]! - f[4]!) / 100
}

/** CPU seconds of every process whose command name is `comm` (PostgreSQL's backends, Redis). */
const cpuSecondsOfCommand = (comm: string) => {
  let sum = 0
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue
    try {
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm) sum += cpuSecondsOf(Number(pid))
    } catch {
      // the process ended meanwhile
    }
  }
  return sum
}

type CpuReading = { machine: number; bench: number; postgres: number; redis: number; server: number; hydra: number }
const NO_CPU: CpuReading = { machine: 0, bench: 0, postgres: 0, redis: 0, server: 0, hydra: 0 }

/**
 * CPU seconds used so far: the whole machine, the bench process (the load), PostgreSQL,
 * Redis, and the API process (`server`) and Hydra a row is answered by (0 without one).
 */
const cpuNow = (pids: { server?: number; hydra?: number }): CpuReading => {
  const own = process.cpuUsage()
  return {
    machine: machineBusySeconds(),
    bench: (own.user + own.system) / 1e6,
    postgres: cpuSecondsOfCommand("postgres"),
    redis: cpuSecondsOfCommand("redis-server"),
    server: pids.server ? cpuSecondsOf(pids.server) : 0,
    hydra: pids.hydra ? cpuSecondsOf(pids.hydra) : 0,
  }
}
const plusCpu = (acc: CpuReading, before: CpuReading, after: CpuReading): CpuReading => ({
  machine: acc.machine + after.machine - before.machine,
  bench: acc.bench + after.bench - before.bench,
  postgres: acc.postgres + after.postgres - before.postgres,
  redis: acc.redis + after.redis - before.redis,
  server: acc.server + after.server - before.server,
  hydra: acc.hydra + after.hydra - before.hydra,
})
/** A reading in ms per request (or token). */
const perUnit = (c: CpuReading, n: number): CpuReading => ({
  machine: (c.machine * 1000) / n,
  bench: (c.bench * 1000) / n,
  postgres: (c.postgres * 1000) / n,
  redis: (c.redis * 1000) / n,
  server: (c.server * 1000) / n,
  hydra: (c.hydra * 1000) / n,
})

/**
 * Row 6b's Hydra: the same binary, database (so the same clients and ES256 key
 * set), system secret and hashing as the stack's, from hydra.yml without its
 * token hook, on ports of its own.
 */
const startHydraWithoutHook = async (stack: RunningStack, hydraDsn: string | undefined) => {
  const [publicPort, adminPort] = [await freePort(), await freePort()]
  const proc = await startHydra({
    dsn: hydraDsn ?? `sqlite://${join(stack.dataDir, "hydra.sqlite")}?_fk=true&mode=rwc`,
    publicHost: "127.0.0.1",
    publicPort,
    adminPort,
    issuer: `http://127.0.0.1:${publicPort}`,
    tokenHookUrl: "",
    tokenHookSecret: "",
    withoutTokenHook: true,
    systemSecret: loadOrCreateSecrets(stack.dataDir).hydraSystemSecret,
    accessTokenLifespanSeconds: 3600,
    logDir: join(stack.dataDir, "logs"),
  }).catch((e: unknown) => {
    showLogTail(e)
    throw e
  })
  cleanups.push(() => proc.stop())
  return { tokenEndpoint: `http://127.0.0.1:${publicPort}/oauth2/token`, proc }
}

/**
 * Rows 6 and 6b: client credentials at the stack's Hydra (token hook on) and at
 * the same Hydra without the hook, rounds interleaved (each round starts with
 * the other one), so a neighbour's burst of load hits both alike. The hook's own
 * latency comes from the API's histogram over the hooked rounds.
 */
const measureIssuance = async (
  stack: RunningStack,
  token: CreatedToken,
  hydraDsn: string | undefined,
  /** --cpu-prof: the API's profile of the first round of row 6 goes there. */
  profile?: { profiler: Profiler; file: string },
) => {
  log("[bench] row 6b: a second Hydra on the same database, key set and hashing, without the token hook")
  const bare = await startHydraWithoutHook(stack, hydraDsn)
  const spec = (url: string): LoadSpec => ({
    url,
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(token.clientId, token.clientSecret) },
    body: "grant_type=client_credentials",
  })
  const hooked = spec(stack.urls.tokenEndpoint)
  const unhooked = spec(bare.tokenEndpoint)
  // The hook's claims are in one JWT and not in the other: each row measures what it says.
  const hookedClaims = decodeJwt(await accessToken(hooked.url, token.clientId, token.clientSecret))
  const unhookedClaims = decodeJwt(await accessToken(unhooked.url, token.clientId, token.clientSecret))
  if (hookedClaims.token_id !== token.id) throw new Error(`row 6: the JWT lacks the hook's token_id: ${JSON.stringify(hookedClaims)}`)
  if (unhookedClaims.token_id !== undefined) throw new Error("row 6b: the Hydra without the hook called it anyway")

  log(`[bench] rows 6 and 6b: client credentials at Hydra with and without the hook, ${plan.issuanceConnections} connections`)
  await load(hooked, plan.issuanceConnections, plan.warmupS)
  await load(unhooked, plan.issuanceConnections, plan.warmupS)
  const scrape = async () => histogramBuckets(await (await fetch(`${stack.urls.metrics}/metrics`)).text(), HOOK_HISTOGRAM)
  const hookBefore = await scrape()
  const runs = { hooked: [] as LoadResult[], unhooked: [] as LoadResult[] }
  // CPU time per issued token, of each process: a cost that a loaded machine does not inflate the way it inflates wall time.
  // Row 6: the stack's Hydra and the API's hook; row 6b: the Hydra without the hook.
  const pids = {
    hooked: { hydra: stack.processes.find((p) => p.name === "hydra")?.pid, server: stack.processes.find((p) => p.name === "api")?.pid },
    unhooked: { hydra: bare.proc.pid },
  }
  const cpu = { hooked: NO_CPU, unhooked: NO_CPU }
  for (let round = 1; round <= plan.rounds; round++) {
    const order = round % 2 === 1 ? (["hooked", "unhooked"] as const) : (["unhooked", "hooked"] as const)
    for (const which of order) {
      log(`[bench] round ${round}/${plan.rounds}: row ${which === "hooked" ? "6" : "6b"}, ${plan.durationS} s`)
      const profiled = profile && round === 1 && which === "hooked"
      if (profiled) await profile.profiler.start()
      const before = cpuNow(pids[which])
      runs[which].push(await load(which === "hooked" ? hooked : unhooked, plan.issuanceConnections, plan.durationS))
      cpu[which] = plusCpu(cpu[which], before, cpuNow(pids[which]))
      if (profiled) await profile.profiler.stopTo(profile.file)
    }
  }
  // Row 6b's Hydra calls no hook, so the delta counts the hooked rounds' calls only.
  const hook = bucketDelta(hookBefore, await scrape())
  const hookCount = hook.at(-1)?.[1] ?? 0
  await bare.proc.stop()

  const summary = (rs: LoadResult[]) => {
    const lat = rs.flatMap((r) => r.latencies)
    return { rps: median(rs.map((r) => r.rps)), p50: percentile(lat, 50), p99: percentile(lat, 99), bad: rs.reduce((n, r) => n + r.bad, 0) }
  }
  const withHook = summary(runs.hooked)
  const without = summary(runs.unhooked)
  const hookP50 = histogramQuantile(hook, 0.5) * 1000
  const hookP99 = histogramQuantile(hook, 0.99) * 1000
  const issued = (rs: LoadResult[]) => rs.reduce((n, r) => n + r.ok, 0)
  const whole = { hooked: perUnit(cpu.hooked, issued(runs.hooked)), unhooked: perUnit(cpu.unhooked, issued(runs.unhooked)) }
  const perToken = { hydra: whole.hooked.hydra, api: whole.hooked.server, bare: whole.unhooked.hydra }
  const result = (x: ReturnType<typeof summary>) =>
    `${fmt(x.rps, 0)} tokens/s; p50 ${fmt(x.p50)} ms, p99 ${fmt(x.p99)} ms; failed ${x.bad}`
  const c = plan.issuanceConnections
  return {
    rows: [
      ["6", `client credentials at Hydra \`/oauth2/token\`, token hook on (${c} connections, ${plan.rounds} × ${plan.durationS} s, median)`, result(withHook)],
      ["6b", `the same Hydra (database, ES256 key set, PBKDF2) without the token hook (${c} connections, rounds interleaved with row 6)`, result(without)],
      [
        "6",
        `token hook as the API sees it (${hookCount} calls, from \`${HOOK_HISTOGRAM}\`)`,
        `p50 ${fmt(hookP50, 2)} ms, p99 ${fmt(hookP99, 2)} ms (interpolated in buckets)`,
      ],
      [
        "6",
        "CPU time per issued token (user + system, from /proc)",
        `row 6: Hydra ${fmt(perToken.hydra, 2)} ms + API (the hook) ${fmt(perToken.api, 2)} ms; row 6b: Hydra ${fmt(perToken.bare, 2)} ms`,
      ],
      [
        "6",
        "the whole machine's CPU per issued token (/proc/stat), and of the load generator, PostgreSQL, Redis",
        (["hooked", "unhooked"] as const)
          .map(
            (w) =>
              `row ${w === "hooked" ? "6" : "6b"}: machine ${fmt(whole[w].machine, 2)} ms (load ${fmt(whole[w].bench, 2)}, PostgreSQL ${fmt(whole[w].postgres, 2)}, Redis ${fmt(whole[w].redis, 2)})`,
          )
          .join("; "),
      ],
    ],
    numbers: [
      ["row 6: tokens/s", withHook.rps],
      ["row 6: p50 ms", withHook.p50],
      ["row 6: p99 ms", withHook.p99],
      ["row 6b: tokens/s", without.rps],
      ["row 6b: p50 ms", without.p50],
      ["row 6b: p99 ms", without.p99],
      ["row 6: hook p50 ms", hookP50],
      ["row 6: hook p99 ms", hookP99],
      ["row 6: Hydra CPU ms per token", perToken.hydra],
      ["row 6: API CPU ms per token (the hook)", perToken.api],
      ["row 6b: Hydra CPU ms per token", perToken.bare],
      ["row 6: machine CPU ms per token", whole.hooked.machine],
      ["row 6b: machine CPU ms per token", whole.unhooked.machine],
      ["row 6: PostgreSQL CPU ms per token", whole.hooked.postgres],
      ["row 6b: PostgreSQL CPU ms per token", whole.unhooked.postgres],
      ["row 6: load generator CPU ms per token", whole.hooked.bench],
      ["row 6b: load generator CPU ms per token", whole.unhooked.bench],
    ] as Array<[string, number]>,
    targets: [
      { what: "row 6 (hook on) ≥ 0.8 × row 6b (no hook)", value: withHook.rps / without.rps, op: ">=", limit: 0.8, unit: "×", digits: 2 },
      { what: "row 6 ≥ 500 tokens/s", value: withHook.rps, op: ">=", limit: 500, unit: " tokens/s", digits: 0 },
      { what: "token hook p50 ≤ 3 ms (row 6)", value: hookP50, op: "<=", limit: 3, unit: " ms", digits: 2 },
    ] as Target[],
  }
}

const main = async (): Promise<RunSummary> => {
  const run = randomBytes(4).toString("hex")
  const dataDir = mkdtempSync(join(tmpdir(), `flash-bench-${run}-`))
  cleanups.push(async () => {
    if (KEEP_DATA) log(`[bench] data and logs kept in ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
  })
  log(`[bench] run ${run}${QUICK ? " (quick)" : ""}, data in ${dataDir}`)

  // Every API process of the bench runs the compiled build, as the image runs it
  // (node --enable-source-maps main.js), the verifier API of rows 4 and 5 included;
  // --source runs them all through tsx instead.
  const build = FROM_SOURCE ? undefined : await buildCompiled(`bench-${run}`, { withBench: true })
  if (build) cleanups.push(async () => build.remove())

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
    apiEntry: build?.main,
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
    process.stdout.write(
      `\n## npm run bench -- --only-refusal${QUICK ? " --quick" : ""} — ${new Date().toISOString()}\n\n` +
        `| # | what | result |\n| --- | --- | --- |\n| ${refusal.row.join(" | ")} |\n\n` +
        `| target | measured | verdict |\n| --- | ---: | --- |\n| ${targetRow(refusal.target).join(" | ")} |\n\n`,
    )
    return { numbers: refusal.numbers, targets: [refusal.target] }
  }

  if (ONLY_ISSUANCE) {
    const m = await devSession(stack.urls.api)
    const t = await createApiToken(stack.urls.graphql, m.token, "bench-issuance")
    const profiler = CPU_PROF ? await connectProfiler(inspectorPort) : undefined
    if (profiler) cleanups.push(async () => profiler.close())
    const issuance = await measureIssuance(stack, t, hydraDsn, profiler && { profiler, file: join(profDir, "row-6.cpuprofile") })
    if (CPU_PROF) log(`[bench] CPU profile of the API process during row 6: ${profDir}/row-6.cpuprofile`)
    const lines: string[] = ["| # | what | result |", "| --- | --- | --- |", ...issuance.rows.map((r) => `| ${r.join(" | ")} |`)]
    lines.push("", "| target | measured | verdict |", "| --- | ---: | --- |", ...issuance.targets.map((x) => `| ${targetRow(x).join(" | ")} |`))
    process.stdout.write(`\n## npm run bench -- --only-issuance${QUICK ? " --quick" : ""} — ${new Date().toISOString()}\n\n${machineLine(hydraDsn, redisPrefix, ferretdbPostgresqlUrl)}\n\n${lines.join("\n")}\n\n`)
    return { numbers: issuance.numbers, targets: issuance.targets }
  }

  log("[bench] starting the bench-only verifier processes (introspection, static key)")
  const benchEntry = build?.benchApi ?? join(repoRoot, "bench", "bench-api.ts")
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
  // Our static-key mode (issue 16): a token created with staticKey, its secret sent as the Bearer.
  const ourStaticKey = (await createApiToken(stack.urls.graphql, merchant.token, "bench-static", { staticKey: true })).clientSecret

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
    { key: "3s", label: "`me…`, static key (ours: one cached `_id` lookup, no write)", spec: graphqlLoad(stack.urls.graphql, ME, ourStaticKey) },
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

  const results = new Map<string, RowResult>(
    rows.map((r) => [
      r.key,
      { rps: [], p50: [], p99: [], bad: 0, latency1: [], cpu: NO_CPU, requests: 0 },
    ]),
  )
  // The API process that answers each row, and Hydra (row 4 asks it at every request).
  const serverPid = (row: Row) =>
    row.spec.url === introspectApi.graphql ? introspectApi.proc.pid : row.spec.url === staticApi.graphql ? staticApi.proc.pid : api1.pid
  const hydraPid = stack.processes.find((p) => p.name === "hydra")?.pid
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
      // The first round of the rows served by the stack's API (1, 1b, 2, 3, 3s) is profiled.
      const profiled = profiler && round === 1 && row.spec.url === stack.urls.graphql
      if (profiled) await profiler.start()
      const answeredBy = { server: serverPid(row), hydra: hydraPid }
      const cpuBefore = cpuNow(answeredBy)
      const r = await load(row.spec, plan.connections, plan.durationS)
      const cpuAfter = cpuNow(answeredBy)
      if (profiled) await profiler.stopTo(join(profDir, `row-${row.key}.cpuprofile`))
      const acc = results.get(row.key)!
      acc.requests += r.ok
      acc.cpu = plusCpu(acc.cpu, cpuBefore, cpuAfter)
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

  // ---- rows 6 and 6b: issuance at Hydra with our token hook on, and the same Hydra without it
  const issuance = await measureIssuance(stack, token, hydraDsn, profiler && { profiler, file: join(profDir, "row-6.cpuprofile") })

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
  const api2 = await startApiProcess(stack, "api-replica", build?.main ?? join(repoRoot, "src", "servers", "main.ts"), {}, [])
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
  lines.push("")
  lines.push(
    "CPU per request over the 32-connection rounds (ms, from /proc): the whole machine, the API process that answers the row, the load generator (this process), Redis, PostgreSQL (FerretDB's and Hydra's databases), Hydra",
  )
  lines.push("")
  add(["#", "machine", "API", "load generator", "Redis", "PostgreSQL", "Hydra"])
  add(["---", "---:", "---:", "---:", "---:", "---:", "---:"])
  for (const row of rows) {
    const c = perUnit(R(row.key).cpu, R(row.key).requests)
    add([row.key, ...[c.machine, c.server, c.bench, c.redis, c.postgres, c.hydra].map((x) => fmt(x, 3))])
  }
  lines.push("")
  lines.push("### Issuance, management, memory")
  lines.push("")
  add(["#", "what", "result"])
  add(["---", "---", "---"])
  for (const row of issuance.rows) add(row)
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

  const ms = { unit: " ms", digits: 0 }
  const ratio = { unit: "×", digits: 2 }
  const targets: Target[] = [
    { what: "row 3 throughput ≥ 0.85 × row 1", value: rps("3") / rps("1"), op: ">=", limit: 0.85, ...ratio },
    { what: "row 3 p99 added latency ≤ 2 ms (1 connection, vs row 1)", value: p99At1("3") - p99At1("1"), op: "<=", limit: 2, unit: " ms", digits: 2, signed: true },
    { what: "row 3 ≥ 5 × row 4 (introspection)", value: rps("3") / rps("4"), op: ">=", limit: 5, ...ratio },
    { what: "row 3 ≥ 2 × row 5 (static key in Mongo)", value: rps("3") / rps("5"), op: ">=", limit: 2, ...ratio },
    { what: "row 3s (our static key) throughput ≥ 0.9 × row 3", value: rps("3s") / rps("3"), op: ">=", limit: 0.9, ...ratio },
    ...issuance.targets,
    { what: "revocation propagation p99 ≤ 1 s", value: percentile(propagationMs, 99), op: "<=", limit: 1000, ...ms },
    { what: "rotation (grace 0) propagation p99 ≤ 1 s", value: percentile(rotation.seenMs, 99), op: "<=", limit: 1000, ...ms },
    { what: "change of limits propagation p99 ≤ 1 s", value: percentile(limits.seenMs, 99), op: "<=", limit: 1000, ...ms },
    { what: "apiTokenCreate p50 ≤ 100 ms", value: median(createMs), op: "<=", limit: 100, ...ms },
    { what: "API RSS ≤ 250 MB (settled)", value: rss.rssMb, op: "<=", limit: 250, unit: " MB", digits: 0 },
    refusal.target,
    { what: "(auth alone) row 1b throughput ≥ 0.85 × row 1", value: rps("1b") / rps("1"), op: ">=", limit: 0.85, ...ratio, informational: true },
    { what: "(auth alone) row 1b p99 added latency ≤ 2 ms", value: p99At1("1b") - p99At1("1"), op: "<=", limit: 2, unit: " ms", digits: 2, signed: true, informational: true },
    { what: "(same query) row 3 throughput ≥ 0.85 × row 2", value: rps("3") / rps("2"), op: ">=", limit: 0.85, ...ratio, informational: true },
  ]
  lines.push("")
  lines.push("### Targets")
  lines.push("")
  add(["target", "measured", "verdict"])
  add(["---", "---:", "---"])
  for (const t of targets) add(targetRow(t))

  process.stdout.write(`\n## npm run bench${QUICK ? " --quick" : ""} — ${new Date().toISOString()}\n\n${machineLine(hydraDsn, redisPrefix, ferretdbPostgresqlUrl)}\n\n${lines.join("\n")}\n\n`)
  if (CPU_PROF) log(`[bench] CPU profiles of the API process, one per row: ${profDir}`)

  const numbers: Array<[string, number]> = []
  for (const row of rows) {
    const r = R(row.key)
    numbers.push(
      [`row ${row.key}: req/s`, rps(row.key)],
      [`row ${row.key}: p50 ms`, median(r.p50)],
      [`row ${row.key}: p99 ms`, median(r.p99)],
      [`row ${row.key}: p99 ms @1 conn`, p99At1(row.key)],
      [`row ${row.key}: machine CPU ms per request`, perUnit(r.cpu, r.requests).machine],
      [`row ${row.key}: API CPU ms per request`, perUnit(r.cpu, r.requests).server],
      [`row ${row.key}: load generator CPU ms per request`, perUnit(r.cpu, r.requests).bench],
    )
  }
  numbers.push(
    ...issuance.numbers,
    ["row 7: apiTokenCreate p50 ms", median(createMs)],
    ["row 7: revocation p99 ms", percentile(propagationMs, 99)],
    ["row 7: rotation p99 ms", percentile(rotation.seenMs, 99)],
    ["row 7: change of limits p99 ms", percentile(limits.seenMs, 99)],
    ["row 8: RSS MB (settled)", rss.rssMb],
    ...refusal.numbers,
  )
  return { numbers, targets }
}

/**
 * --runs N: N whole runs, one after another, each a child process of this
 * script on a stack of its own (its tables print as they come); then the
 * median of every number across the runs, and every target judged again on
 * the median of its measured values.
 */
const medianOfRuns = async (n: number) => {
  const dir = mkdtempSync(join(tmpdir(), "flash-bench-runs-"))
  const rest: string[] = []
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--runs" || args[i] === "--summary-file") i++
    else rest.push(args[i]!)
  }
  const summaries: RunSummary[] = []
  try {
    for (let i = 1; i <= n; i++) {
      log(`[bench] run ${i} of ${n}`)
      const file = join(dir, `run-${i}.json`)
      const code = await new Promise<number | null>((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, ...rest, "--summary-file", file], { stdio: "inherit" })
        child.once("error", reject)
        child.once("exit", resolve)
      })
      if (code !== 0) throw new Error(`run ${i} of ${n} failed (exit ${code})`)
      summaries.push(JSON.parse(readFileSync(file, "utf8")) as RunSummary)
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  // Two decimals below 10 (CPU ms per token, hook latency), one above.
  const digitsFor = (values: number[]) => (Math.abs(median(values)) < 10 ? 2 : 1)
  const lines: string[] = [`## npm run bench -- ${[`--runs ${n}`, ...rest].join(" ")} — medians of ${n} runs, ${new Date().toISOString()}`, ""]
  lines.push("| number | each run | median |", "| --- | ---: | ---: |")
  for (const [name] of summaries[0]!.numbers) {
    const values = summaries.map((s) => s.numbers.find(([k]) => k === name)?.[1] ?? NaN)
    const d = digitsFor(values)
    lines.push(`| ${name} | ${values.map((v) => fmt(v, d)).join(" / ")} | ${fmt(median(values), d)} |`)
  }
  lines.push("", "| target (judged on the median) | each run | median | verdict |", "| --- | ---: | ---: | --- |")
  for (const t of summaries[0]!.targets) {
    const values = summaries.map((s) => s.targets.find((x) => x.what === t.what)?.value ?? NaN)
    const m = median(values)
    const name = t.informational ? `${t.what} — not an issue target` : t.what
    lines.push(`| ${name} | ${values.map((v) => shown(t, v)).join(" / ")} | ${shown(t, m)} | ${verdict(met(t, m))} |`)
  }
  process.stdout.write(`\n${lines.join("\n")}\n\n`)
}

// `--growth` is its own benchmark (bench/growth.ts): the same stack, grown to many accounts.
const runOnce = () =>
  main().then((summary) => {
    if (SUMMARY_FILE) writeFileSync(SUMMARY_FILE, JSON.stringify(summary))
  })
const entry = argv.has("--growth")
  ? growthMain(process.argv.slice(2), cleanups)
  : argv.has("--lookups")
    ? runLookupsBench(POSTGRES_ADMIN_URL)
    : RUNS > 1
      ? medianOfRuns(RUNS)
      : runOnce()
entry
  .then(cleanUp)
  .then(() => process.exit(0))
  .catch(async (e: unknown) => {
    log(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    await cleanUp()
    process.exit(1)
  })
