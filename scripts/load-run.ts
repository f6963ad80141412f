// A bounded load run on loopback (`npm run load`: two phases of 30 s of load,
// each followed by 12 s of rest): starts a stack of its own (temp data dir,
// free ports), gives 100 accounts an API token each, then keeps CONCURRENCY
// requests in flight for DURATION_S seconds per phase,
// each `me { defaultAccount { id wallets { id walletCurrency balance } } }` with
// one of the 100 JWTs, and checks every answer: status (any 5xx fails the run)
// and that the account and wallets in it are the token's own (anything else is
// cross-account data and fails the run). Prints
// throughput, latency percentiles, the API's RSS before, during and after each
// phase, and its live heap after each phase (a full collection through the V8
// inspector first): more than 10 MB of growth from the first phase to the last
// also fails the run.
// The per-token rate limit is raised for the run so it measures the server,
// not the limiter. Plain fetch, no load-testing library: one process, on the
// same two cores as the stack, so the figures are a floor.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { connectInspector, liveHeapMb } from "../bench/inspector"
import { startStack } from "../src/stack/stack"
import { freePort, freeStackPorts } from "../src/stack/wait"

const ACCOUNTS = Number(process.env.LOAD_ACCOUNTS ?? 100)
const DURATION_S = Math.min(Number(process.env.LOAD_DURATION_S ?? 30), 30)
const CONCURRENCY = Number(process.env.LOAD_CONCURRENCY ?? 32)
/** Load phases of DURATION_S each, with 12 s of rest after each (memory is read then). */
const PHASES = Math.max(1, Math.min(Number(process.env.LOAD_PHASES ?? 2), 4))
const MAX_LIVE_HEAP_GROWTH_MB = 10

const rssMb = (pid: number) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return m ? Math.round(Number(m[1]) / 1024) : NaN
}

const apiLogLinesFor = (logFile: string, requestId: string): string[] =>
  readFileSync(logFile, "utf8")
    .split("\n")
    .filter((l) => l.includes(`"requestId":"${requestId}"`))
    .map((l) => {
      const e = JSON.parse(l) as { msg?: string; ms?: number; status?: number }
      return `${e.msg ?? "?"} after ${e.ms ?? "?"} ms${e.status ? ` (status ${e.status})` : ""}`
    })

// The account, its wallets and their balances (a ledger read per wallet).
const QUERY = "{ me { defaultAccount { id wallets { id walletCurrency balance } } } }"

/** The answer names the token's own account and exactly that account's wallets, each with a balance. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const isOwnAnswer = (body: any, t: { accountId: string; walletIds: string[] }) => {
  const account = body?.data?.me?.defaultAccount
  if (account?.id !== t.accountId || !Array.isArray(account.wallets)) return false
  const ids = (account.wallets as Array<{ id: string; balance: unknown }>).map((w) => w.id).sort()
  return (
    ids.length === t.walletIds.length &&
    ids.every((id, i) => id === t.walletIds[i]) &&
    (account.wallets as Array<{ balance: unknown }>).every((w) => typeof w.balance === "number")
  )
}

const main = async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "flash-load-"))
  // The API's inspector, on loopback, for the live heap after a full collection.
  const inspectorPort = await freePort()
  const stack = await startStack({
    apiNodeArgs: [`--inspect=127.0.0.1:${inspectorPort}`],
    dataDir,
    ...(await freeStackPorts()),
    apiEnv: { LOG_LEVEL: "warn", NODE_ENV: "test", RATE_LIMIT_API_TOKEN_PER_MINUTE: "1000000", RATE_LIMIT_SESSION_PER_MINUTE: "1000000", ...(process.env.LOAD_CACHE_TTL_SECONDS ? { API_TOKEN_CACHE_TTL_SECONDS: process.env.LOAD_CACHE_TTL_SECONDS } : {}) },
    log: (l) => console.error(l),
  })
  let failed = false
  try {
    const api = stack.processes.find((p) => p.name === "api")!
    const post = async (bearer: string, query: string, variables?: unknown, requestId?: string) => {
      const res = await fetch(stack.urls.graphql, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${bearer}`,
          ...(requestId ? { "x-request-id": requestId } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(15_000),
      })
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return { status: res.status, body: (await res.json().catch(() => undefined)) as any }
    }
    console.error(`[load] creating ${ACCOUNTS} accounts with one API token each`)
    const tokens: Array<{ accountId: string; walletIds: string[]; jwt: string }> = []
    for (let i = 0; i < ACCOUNTS; i++) {
      const s = (await (
        await fetch(`${stack.urls.api}/dev/session`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ phone: `+1553${String(1_000_000 + i)}` }),
        })
      ).json()) as { token: string; accountId: string }
      const own = await post(s.token, "{ me { defaultAccount { wallets { id } } } }")
      const walletIds = (own.body.data.me.defaultAccount.wallets as Array<{ id: string }>).map((w) => w.id).sort()
      const created = await post(s.token, `mutation($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { apiToken { clientId clientSecret } } }`, {
        input: { name: `load-${i}`, scopes: ["read"] },
      })
      const t = created.body.data.apiTokenCreate.apiToken as { clientId: string; clientSecret: string }
      const ex = await fetch(stack.urls.tokenEndpoint, {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64")}`,
        },
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      })
      tokens.push({ accountId: s.accountId, walletIds, jwt: ((await ex.json()) as { access_token: string }).access_token })
      if ((i + 1) % 20 === 0) console.error(`[load] ${i + 1} tokens`)
    }

    // Warm-up, then measure.
    for (const t of tokens.slice(0, 10)) await post(t.jwt, QUERY)
    // A session is attached only while measuring, so the load runs without one.
    const liveHeap = async () => {
      const inspector = await connectInspector(inspectorPort)
      try {
        return await liveHeapMb(inspector)
      } finally {
        inspector.close()
      }
    }
    const liveHeapBefore = await liveHeap()
    const rssBefore = rssMb(api.pid)
    const statuses = new Map<number, number>()
    const latencies: number[] = []
    let crossAccount = 0
    let errors = 0
    const errorKinds = new Map<string, number>()
    let next = 0
    const unanswered: string[] = []
    const worker = (until: number) => async () => {
      while (Date.now() < until) {
        const n = next++
        const t = tokens[n % tokens.length]!
        const requestId = `load-${n}`
        const start = performance.now()
        try {
          const r = await post(t.jwt, QUERY, undefined, requestId)
          latencies.push(performance.now() - start)
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (r.status === 200 && !isOwnAnswer(r.body, t)) crossAccount++
        } catch (e) {
          errors++
          unanswered.push(requestId)
          const kind = e instanceof Error ? `${e.name}: ${(e.cause as Error | undefined)?.message ?? e.message}` : String(e)
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1)
        }
      }
    }
    // Memory: RSS every 3 s during each phase of load and for 12 s after it.
    // RSS saws with the collector under load, so what tells a leak is the
    // settled reading after each phase: with the same load again, a leak
    // shows as a higher settled RSS after the second phase than the first.
    const phases: Array<{ seconds: number; rssEvery3sDuring: number[]; rssEvery3sAfter: number[]; liveHeapMb: number }> = []
    for (let phase = 1; phase <= PHASES; phase++) {
      console.error(`[load] phase ${phase}/${PHASES}: ${CONCURRENCY} in flight for ${DURATION_S} s`)
      const during: number[] = []
      const sampler = setInterval(() => during.push(rssMb(api.pid)), 3000)
      const t0 = Date.now()
      await Promise.all(Array.from({ length: CONCURRENCY }, worker(t0 + DURATION_S * 1000)))
      const seconds = (Date.now() - t0) / 1000
      clearInterval(sampler)
      const after: number[] = []
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 3000))
        after.push(rssMb(api.pid))
      }
      phases.push({ seconds: Math.round(seconds * 10) / 10, rssEvery3sDuring: during, rssEvery3sAfter: after, liveHeapMb: await liveHeap() })
    }
    const seconds = phases.reduce((sum, p) => sum + p.seconds, 0)
    const settled = phases.map((p) => p.rssEvery3sAfter.at(-1)!)
    const peak = Math.max(rssBefore, ...phases.flatMap((p) => [...p.rssEvery3sDuring, ...p.rssEvery3sAfter]))
    latencies.sort((a, b) => a - b)
    const pct = (p: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]! * 10) / 10
    const total = latencies.length
    const fiveXx = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0)
    const report = {
      accounts: ACCOUNTS,
      concurrency: CONCURRENCY,
      phases: PHASES,
      secondsOfLoad: Math.round(seconds * 10) / 10,
      requests: total,
      requestsPerSecond: Math.round(total / seconds),
      statuses: Object.fromEntries(statuses),
      fiveXx,
      transportErrors: errors,
      transportErrorKinds: Object.fromEntries(errorKinds),
      crossAccount,
      latencyMs: { p50: pct(50), p90: pct(90), p99: pct(99), max: pct(100) },
      apiRssMb: {
        before: rssBefore,
        liveHeapBefore,
        phases: phases.map((p) => ({ during: p.rssEvery3sDuring, after: p.rssEvery3sAfter })),
        peak,
        settledAfterEachPhase: settled,
        settledGrowthFromFirstPhase: settled.at(-1)! - settled[0]!,
        // V8 heap still in use after a full collection (through the inspector): what the process keeps alive
        liveHeapAfterEachPhase: phases.map((p) => p.liveHeapMb),
      },
      // What the API logged about each request the client got no answer to
      // (slow or abandoned); none means the request never reached the API.
      unansweredSeenByApi: Object.fromEntries(unanswered.slice(0, 20).map((id) => [id, apiLogLinesFor(api.logFile, id)])),
    }
    console.log(JSON.stringify(report, null, 2))
    // Memory is flat when a whole further phase of the same load leaves no more
    // than a few MB more live heap behind (the token and wallet caches fill in
    // the first phase); a leak grows it phase after phase.
    const live = phases.map((p) => p.liveHeapMb)
    const heapGrowth = live.length > 1 ? live.at(-1)! - live[0]! : 0
    if (heapGrowth > MAX_LIVE_HEAP_GROWTH_MB) console.error(`[load] live heap grew by ${heapGrowth} MB from the first phase to the last`)
    failed = fiveXx > 0 || crossAccount > 0 || errors > 0 || heapGrowth > MAX_LIVE_HEAP_GROWTH_MB
  } finally {
    await stack.stop()
    if (process.env.LOAD_KEEP_DATA) console.error(`[load] kept ${dataDir}`)
    else rmSync(dataDir, { recursive: true, force: true })
  }
  process.exit(failed ? 1 : 0)
}

main().catch((e: unknown) => {
  console.error("[load] failed:", e)
  process.exit(1)
})
