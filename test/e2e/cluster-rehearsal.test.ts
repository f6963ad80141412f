// The cluster, rehearsed on this machine (issue 19, item 5). Three API replicas
// running the compiled build (`npm run build`, plain node: what ships) and two
// Hydra processes on one PostgreSQL database, behind nginx with TLS; Redis and
// the store. BTCPay-like stores (test/support/cluster-load.ts, the reference
// client in a program of its own) issue and refresh tokens, create invoices
// that other stores pay, keep subscriptions open and send payments, while this
// test SIGKILLs one replica and one Hydra, brings them back, then restarts
// every replica one at a time, as a rolling deploy does. Throughout, a probe
// revokes a fresh token and times until every replica refuses it.
//
// It shows: no payment lost or doubled (the ledger against the payments the
// clients saw succeed), no cross-account answer, no 5xx but on requests in
// flight on a killed process (and the client's retry made each a success),
// revocation within 1 s every time, subscriptions resumed. The short report
// goes to stderr; its figures are in the README and docs/operations.md.
import { ChildProcess, fork } from "node:child_process"
import { randomUUID } from "node:crypto"
import { join } from "node:path"
import { LedgerEntryModel } from "@/services/mongoose/ledger-schema"
import type { RunningProductionStack } from "@/stack/production-stack"
import type { LoadMerchant, LoadResult } from "../support/cluster-load"
import { buildCompiled, CompiledBuild } from "@/stack/compiled-build"
import { createUser, deposit, exchange, graphqlAt, ProductionRun, startProductionRun } from "../support/production"

const MERCHANTS = 6
const FUNDS = 1_000_000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const now = () => Date.now()

// The compiled build, in the repository's (git-ignored) dist/ as in the image.
let build: CompiledBuild | undefined

let run: ProductionRun | undefined
let s: RunningProductionStack
let load: ChildProcess | undefined
// Set when the load stops, or at teardown if the test failed before: ends the revocation probe's loop.
let over = false

beforeAll(async () => {
  build = await buildCompiled("cluster")
  run = await startProductionRun(
    // The stores' load is the server's to carry, not a rate limit's to refuse.
    { RATE_LIMIT_API_TOKEN_PER_MINUTE: "100000", LOG_LEVEL: process.env.CLUSTER_LOG_LEVEL ?? "warn" },
    { replicas: 3, hydras: 2, apiEntry: build.main },
  )
  s = run.stack
}, 240_000)

afterAll(async () => {
  over = true
  if (load && load.exitCode === null && load.signalCode === null) load.kill("SIGKILL")
  await run?.stop()
  build?.remove()
}, 120_000)

const gql = (bearer: string, query: string, variables?: Record<string, unknown>) => graphqlAt(s, s.urls.graphql, bearer, query, variables)

type Token = { id: string; clientId: string; clientSecret: string; connectionString: string }
const createToken = async (session: string, scopes: string[]): Promise<Token> => {
  const r = await gql(
    session,
    `mutation ($input: ApiTokenCreateInput!) { apiTokenCreate(input: $input) { errors { code } apiToken { id clientId clientSecret connectionString } } }`,
    { input: { name: `cluster-${randomUUID().slice(0, 8)}`, scopes } },
  )
  const token = r.data?.apiTokenCreate?.apiToken as Token | undefined
  if (!token) throw new Error(`apiTokenCreate: HTTP ${r.status} ${JSON.stringify(r.data?.apiTokenCreate?.errors ?? r.errors)}`)
  return token
}

const merchant = async (): Promise<LoadMerchant> => {
  const user = await createUser(s)
  await deposit(user.btcWalletId, FUNDS)
  const wallets = await gql(user.session, "{ me { defaultAccount { wallets { id } } } }")
  const token = await createToken(user.session, ["read", "write"])
  return {
    accountId: user.accountId,
    btcWalletId: user.btcWalletId,
    walletIds: (wallets.data.me.defaultAccount.wallets as Array<{ id: string }>).map((w) => w.id),
    connectionString: token.connectionString,
  }
}

/** The status a replica answers a JWT with, asked directly; undefined when it does not answer (stopped). */
const statusAt = async (graphqlUrl: string, jwt: string) => {
  try {
    const res = await fetch(graphqlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ query: "{ me { defaultAccount { id } } }" }),
      signal: AbortSignal.timeout(3_000),
    })
    await res.arrayBuffer()
    return res.status
  } catch {
    return undefined
  }
}

/**
 * Revokes a fresh token, in a loop: the token's record is cached on every
 * replica that answers (a 200 first), then apiTokenRevoke goes through nginx,
 * and each of those replicas is asked directly, request after request, until
 * it refuses (401). A round's delay is the longest, over the replicas, from the
 * revoke's answer to the sending of the first request refused: after that, no
 * request is accepted (`answered`: to that refusal's arrival, which adds the
 * poll's own time on a busy machine). A replica that stops answering meanwhile
 * (restarted) is left out of that round.
 */
const revocationProbe = (session: string, stopped: () => boolean) => {
  const rounds: Array<{ sent: number; answered: number }> = []
  let interrupted = 0
  const done = (async () => {
    while (!stopped()) {
      try {
        const token = await createToken(session, ["read"])
        const jwt = await exchange(s, token)
        const warm = await Promise.all(s.replicas.map(async (r) => ((await statusAt(r.graphql, jwt)) === 200 ? r.graphql : undefined)))
        const cached = warm.filter((u): u is string => u !== undefined)
        const revoked = await gql(session, `mutation ($input: ApiTokenRevokeInput!) { apiTokenRevoke(input: $input) { errors { code } } }`, {
          input: { id: token.id },
        })
        if (revoked.data?.apiTokenRevoke?.errors?.length !== 0) throw new Error(`revoke: HTTP ${revoked.status}`)
        const at = now()
        const refused = await Promise.all(
          cached.map(async (url) => {
            for (;;) {
              const sent = now()
              const status = await statusAt(url, jwt)
              if (status === undefined) return undefined
              if (status === 401 || sent - at > 5_000) return { sent: sent - at, answered: now() - at }
              await sleep(5)
            }
          }),
        )
        const answered = refused.filter((d): d is { sent: number; answered: number } => d !== undefined)
        if (answered.length > 0) {
          rounds.push({ sent: Math.max(...answered.map((d) => d.sent)), answered: Math.max(...answered.map((d) => d.answered)) })
        }
      } catch {
        // A step cut by a kill (the probe's own request in flight on it): the next round starts afresh.
        interrupted++
        await sleep(200)
      }
      await sleep(100)
    }
  })()
  return { rounds, interrupted: () => interrupted, done }
}

const quantile = (xs: number[], q: number) => {
  if (xs.length === 0) return NaN
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
}

describe("the cluster rehearsal: 3 compiled API replicas and 2 Hydra behind nginx, under a BTCPay-like load", () => {
  it(
    "loses and doubles no payment, answers no one for another account, shows 5xx only on requests in flight on a killed process (retried to success), revokes within 1 s throughout, and resumes subscriptions",
    async () => {
      const merchants = await Promise.all(Array.from({ length: MERCHANTS }, merchant))
      const prober = await createUser(s)

      // The stores: a program of their own that trusts the stack's CA as a third party would.
      load = fork(join(__dirname, "..", "support", "cluster-load.ts"), [], {
        execArgv: ["--import", "tsx"],
        env: { ...process.env, NODE_EXTRA_CA_CERTS: s.tls.caFile },
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      })
      const child = load
      const message = (type: string) =>
        new Promise<{ type: string; result?: LoadResult; error?: string }>((resolve, reject) => {
          const on = (m: { type: string; result?: LoadResult; error?: string }) => {
            if (m.type === type || m.type === "failed") {
              child.off("message", on)
              if (m.type === "failed") reject(new Error(`the load failed: ${m.error}`))
              else resolve(m)
            }
          }
          child.on("message", on)
          child.once("exit", (code) => reject(new Error(`the load exited (${code}) before "${type}"`)))
        })
      const ready = message("ready")
      child.send({ type: "start", plan: { merchants, thinkMs: [40, 120], watchTimeoutMs: 45_000 } })
      await ready
      const startedAt = now()

      const probe = revocationProbe(prober.session, () => over)
      const at = (t: number) => sleep(Math.max(0, startedAt + t * 1000 - now()))
      // What was done to the cluster, when: SIGKILLs (an instant) and graceful stops (from SIGTERM to exit).
      const disruptions: Array<{ what: string; from: number; to: number; kind: "SIGKILL" | "SIGTERM" }> = []
      const starts: Array<{ what: string; ms: number }> = []
      const disrupt = async (what: string, kind: "SIGKILL" | "SIGTERM", f: () => Promise<void>) => {
        const from = now()
        await f()
        disruptions.push({ what, from, to: now(), kind })
      }
      const start = async (what: string, f: () => Promise<unknown>) => {
        const from = now()
        await f()
        starts.push({ what, ms: now() - from })
      }

      await at(4)
      await disrupt("api-2", "SIGKILL", () => s.control.killReplica(1))
      await at(7)
      await disrupt("hydra-1", "SIGKILL", () => s.control.killHydra(0))
      await at(10)
      await Promise.all([start("api-2", () => s.control.startReplica(1)), start("hydra-1", () => s.control.startHydra(0))])
      // The rolling restart: each replica stopped gracefully and back (ready) before the next.
      for (let i = 0; i < s.replicas.length; i++) {
        await disrupt(`api-${i + 1}`, "SIGTERM", () => s.control.stopReplica(i))
        await start(`api-${i + 1}`, () => s.control.startReplica(i))
      }
      const rolledAt = now()
      // Long enough after the last restart for every store to pay and be paid again.
      await sleep(6_000)

      over = true
      const resultMessage = message("result")
      child.send({ type: "stop" })
      const result = (await resultMessage).result!
      await probe.done

      // The ledger, read from the store, against what the clients saw succeed.
      const expected = new Map<string, { balance: number; debits: number; credits: number }>()
      for (const m of merchants) expected.set(m.btcWalletId, { balance: FUNDS, debits: 0, credits: 1 })
      for (const p of result.payments) {
        expected.get(p.from)!.balance -= p.amount
        expected.get(p.from)!.debits++
        expected.get(p.to)!.balance += p.amount
        expected.get(p.to)!.credits++
      }
      const ledger = new Map<string, { balance: number; head: number; debits: number; credits: number; unmatched: number }>()
      for (const m of merchants) {
        const entries = await LedgerEntryModel.find({ walletId: m.btcWalletId })
          .lean<Array<{ amount: number; balance: number; version: number; entryKey: string; transferId: string }>>()
        const debits = entries.filter((e) => e.entryKey.startsWith("debit:"))
        const creditKeys = new Set(
          (await LedgerEntryModel.find({ transferId: { $in: debits.map((d) => d.transferId) }, entryKey: /^credit:/ }).lean<Array<{ entryKey: string }>>()).map(
            (e) => e.entryKey,
          ),
        )
        ledger.set(m.btcWalletId, {
          balance: entries.reduce((sum, e) => sum + e.amount, 0),
          head: entries.sort((a, b) => b.version - a.version)[0]!.balance,
          debits: debits.length,
          credits: entries.length - debits.length,
          unmatched: debits.filter((d) => !creditKeys.has(`credit:${d.transferId}`)).length,
        })
      }

      const failed = result.ops.filter((o) => !o.ok)
      // A request in flight on a killed process fails at the kill; one cut by a graceful stop
      // (still running after the API's 5 s drain) fails before the process exits. Both are
      // seen by the client a moment later (on a busy machine, up to a second or two).
      const cause = (t: number) => disruptions.find((d) => t >= d.from && t <= d.to + 2_000)
      const failures = result.retries
      const unexplained = failures.filter((f) => !cause(f.at))
      const fivexx = failures.filter((f) => f.status !== undefined && f.status >= 500)
      const byCause = new Map<string, number>()
      for (const f of failures) {
        const c = cause(f.at)
        const key = c ? `${c.kind} ${c.what}` : "none"
        byCause.set(key, (byCause.get(key) ?? 0) + 1)
      }
      const updatesAfterRestarts = (m: number) => result.updates[m]!.filter((t) => t > rolledAt).length
      const byKind = (kind: string) => result.ops.filter((o) => o.kind === kind && o.ok).map((o) => o.end - o.start)
      const kinds = ["read", "invoice", "invoicePay", "intraledger", "refresh"]
      const sentDelays = probe.rounds.map((r) => r.sent)
      const answeredDelays = probe.rounds.map((r) => r.answered)
      const seconds = (now() - startedAt) / 1000
      const report = [
        `[cluster] ${seconds.toFixed(0)} s of load, ${MERCHANTS} stores, 3 replicas (compiled) + 2 Hydra behind nginx`,
        `[cluster] operations: ${result.ops.length} (${(result.ops.length / seconds).toFixed(1)}/s), ${failed.length} failed; ` +
          kinds.map((k) => `${k} ${byKind(k).length} p50/p99 ${quantile(byKind(k), 0.5)}/${quantile(byKind(k), 0.99)} ms`).join("; "),
        `[cluster] payments the clients saw succeed: ${result.payments.length} (${result.payments.reduce((n, p) => n + p.amount, 0)} sats); ` +
          `ledger matches: ${merchants.every((m) => ledger.get(m.btcWalletId)!.balance === expected.get(m.btcWalletId)!.balance)}; cross-account answers: ${result.crossAccount.length}`,
        `[cluster] failed attempts, retried: ${failures.length} (5xx ${fivexx.length}, no answer ${failures.length - fivexx.length}; token requests ${failures.filter((f) => f.kind === "token").length}) ` +
          `by cause: ${[...byCause].map(([k, n]) => `${k} ${n}`).join(", ") || "none"}; tokens fetched ${result.tokensFetched}`,
        `[cluster] revocation: ${probe.rounds.length} rounds (${probe.interrupted()} cut by a kill), refused for requests sent from p50 ${quantile(sentDelays, 0.5)} / max ${Math.max(...sentDelays)} ms ` +
          `after the revoke answered (refusal received p50 ${quantile(answeredDelays, 0.5)} / max ${Math.max(...answeredDelays)} ms)`,
        `[cluster] invoice watchers: ${result.watchers.opened} opened, ${result.watchers.paid} saw PAID; myUpdates events after the rolling restart: ${result.updates.map((_, i) => updatesAfterRestarts(i)).join(", ")}`,
        `[cluster] stops: ${disruptions.map((d) => `${d.kind} ${d.what} ${d.to - d.from} ms`).join(", ")}; starts: ${starts.map((d) => `${d.what} ${(d.ms / 1000).toFixed(1)} s`).join(", ")}`,
      ]
      process.stderr.write(`${report.join("\n")}\n`)

      // No operation failed in the end, and none answered for another account.
      expect(failed.map((o) => `${o.kind}: ${o.error}`)).toEqual([])
      expect(result.crossAccount).toEqual([])
      // No payment lost or doubled: each wallet's ledger is its funds plus what the clients saw
      // it receive, minus what they saw it send, one debit per payment seen, each with its credit.
      for (const m of merchants) {
        const l = ledger.get(m.btcWalletId)!
        const e = expected.get(m.btcWalletId)!
        expect({ wallet: m.btcWalletId, balance: l.balance, head: l.head, debits: l.debits, credits: l.credits, unmatched: l.unmatched }).toEqual({
          wallet: m.btcWalletId,
          balance: e.balance,
          head: e.balance,
          debits: e.debits,
          credits: e.credits,
          unmatched: 0,
        })
      }
      expect(result.payments.length).toBeGreaterThan(50)
      // Failures the client saw (before its retry) happened only on requests in flight on a process killed or stopping.
      expect(unexplained).toEqual([])
      // Revocation within 1 s, every round, also around the kills and restarts.
      expect(probe.rounds.length).toBeGreaterThanOrEqual(8)
      expect(Math.max(...sentDelays)).toBeLessThan(1_000)
      // Every invoice watched went PAID; every store's myUpdates delivered again after the last restart.
      expect(result.watchers.errors).toEqual([])
      expect(result.watchers.paid).toBe(result.watchers.opened)
      for (let i = 0; i < MERCHANTS; i++) expect(updatesAfterRestarts(i)).toBeGreaterThan(0)
    },
    180_000,
  )
})
