// The production profile for tests: the stack as operators deploy it
// (src/stack/production-stack.ts — nginx with TLS in front of two API replicas
// and Hydra, NODE_ENV=production, a separate session issuer, Redis, Hydra on
// PostgreSQL), and clients that talk to it the way outside callers do: over
// TLS through nginx, from a loopback address of the test's choosing.
import { randomBytes, randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { request as httpRequest } from "node:http"
import { request as httpsRequest } from "node:https"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { createClient, Client } from "graphql-ws"
import mongoose from "mongoose"
import WebSocket from "ws"
import type { WalletId } from "@/domain/accounts"
import { off } from "@/services/ledger-heads"
import { AccountsRepository } from "@/services/mongoose/accounts"
import { connectMongo } from "@/services/mongoose/connection"
import { LedgerRepository } from "@/services/mongoose/ledger"
import { ProductionStackOptions, RunningProductionStack, startProductionStack } from "@/stack/production-stack"
import { createScratchPostgres, deleteRedisKeys, dropScratchPostgres } from "@/stack/scratch-services"
import { randomPhone } from "./phone"

const POSTGRES_ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"
const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** Loopback addresses callers connect from (none is nginx's PROXY_ADDRESS, 127.0.0.3). */
export const CALLER = { allowed: "127.0.0.5", other: "127.0.0.6", anonymous: "127.0.0.7", plain: "127.0.0.1" } as const

export type ProductionRun = {
  stack: RunningProductionStack
  stop: () => Promise<void>
}

/**
 * Starts the production stack for one test file, with its own FerretDB (in its
 * data dir), a fresh PostgreSQL database for Hydra and a Redis key prefix, and
 * removes all of them afterwards. `shape`: replicas, Hydra processes, the compiled entry.
 */
export const startProductionRun = async (
  apiEnv: NodeJS.ProcessEnv = {},
  shape: Pick<ProductionStackOptions, "replicas" | "hydras" | "apiEntry" | "accessTokenLifespanSeconds"> = {},
): Promise<ProductionRun> => {
  const run = randomBytes(4).toString("hex")
  const dataDir = mkdtempSync(join(tmpdir(), `flash-production-${run}-`))
  const postgresDatabase = `flash_production_hydra_${run}`
  const redisKeyPrefix = `flash-production-${run}:`
  const hydraDsn = await createScratchPostgres(POSTGRES_ADMIN_URL, postgresDatabase)
  if (!hydraDsn) throw new Error("the production profile needs PostgreSQL at 127.0.0.1:5432 (Hydra's database)")
  const cleanUp = async () => {
    await mongoose.disconnect().catch(() => undefined)
    await dropScratchPostgres(POSTGRES_ADMIN_URL, postgresDatabase).catch(() => undefined)
    await deleteRedisKeys(REDIS_URL, redisKeyPrefix).catch(() => undefined)
    if (!process.env.FLASH_TEST_KEEP_DATA) rmSync(dataDir, { recursive: true, force: true })
  }
  let stack: RunningProductionStack | undefined
  try {
    stack = await startProductionStack({
      ...shape,
      dataDir,
      hydraDsn,
      redisUrl: REDIS_URL,
      redisKeyPrefix,
      apiEnv: { LOG_LEVEL: "info", ...apiEnv },
      log: (line) => process.stderr.write(`${line}\n`),
    })
    // The test process writes accounts and deposits where the replicas read them.
    await connectMongo(stack.urls.mongodb)
  } catch (e) {
    await stack?.stop()
    await cleanUp()
    throw e
  }
  const started = stack
  return {
    stack: started,
    stop: async () => {
      await mongoose.disconnect().catch(() => undefined)
      await started.stop()
      await cleanUp()
    },
  }
}

export type Reply = { status: number; headers: Record<string, string | string[] | undefined>; text: string; json: () => any } // eslint-disable-line @typescript-eslint/no-explicit-any

/** One HTTP(S) request from a chosen local address, trusting the run's CA. */
export const call = (
  stack: RunningProductionStack,
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {},
) =>
  new Promise<Reply>((resolve, reject) => {
    const u = new URL(url)
    const send = u.protocol === "https:" ? httpsRequest : httpRequest
    const req = send(
      u,
      {
        method: o.method ?? "GET",
        headers: { ...(o.body ? { "content-length": String(Buffer.byteLength(o.body)) } : {}), ...o.headers },
        localAddress: o.from ?? CALLER.plain,
        ca: stack.tls.ca,
        agent: false,
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (text += c))
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) as unknown }),
        )
      },
    )
    req.on("error", reject)
    req.end(o.body)
  })

export type GraphqlReply = {
  status: number
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  data?: any
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>
  text: string
}

export const graphqlAt = async (
  stack: RunningProductionStack,
  url: string,
  bearer: string | undefined,
  query: string,
  variables?: Record<string, unknown>,
  o: { from?: string; headers?: Record<string, string> } = {},
): Promise<GraphqlReply> => {
  const r = await call(stack, url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...o.headers },
    body: JSON.stringify({ query, variables }),
    from: o.from,
  })
  let body: { data?: unknown; errors?: GraphqlReply["errors"] } = {}
  try {
    body = JSON.parse(r.text) as typeof body
  } catch {
    // not JSON (e.g. a 401 from the auth step or nginx): the status says it
  }
  return { status: r.status, data: body.data, errors: body.errors, text: r.text }
}

/** A graphql-ws client over TLS through nginx, from a chosen local address. */
export const wsClient = (
  stack: RunningProductionStack,
  bearer: string | undefined,
  o: { url?: string; from?: string; headers?: Record<string, string> } = {},
) => {
  const { ca } = stack.tls
  const headers = o.headers
  const from = o.from ?? CALLER.plain
  class CallerWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { ca, localAddress: from, headers })
    }
  }
  let resolveClosed: (e: { code: number; reason: string }) => void = () => undefined
  const closed = new Promise<{ code: number; reason: string }>((r) => (resolveClosed = r))
  let resolveConnected: () => void = () => undefined
  const connected = new Promise<void>((r) => (resolveConnected = r))
  const client: Client = createClient({
    url: o.url ?? stack.urls.graphqlWs,
    webSocketImpl: CallerWebSocket,
    lazy: false,
    retryAttempts: 0,
    onNonLazyError: () => undefined, // the close event is what tests wait for
    connectionParams: bearer ? { Authorization: `Bearer ${bearer}` } : {},
    on: {
      connected: () => resolveConnected(),
      closed: (e) => resolveClosed({ code: (e as WebSocket.CloseEvent).code, reason: (e as WebSocket.CloseEvent).reason }),
    },
  })
  /** One operation's first result (or error) over this socket. */
  const once = (query: string, variables?: Record<string, unknown>) =>
    new Promise<{ data?: any; errors?: GraphqlReply["errors"] }>((resolve) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const stop = client.subscribe(
        { query, variables },
        {
          next: (v) => {
            resolve(v as { data?: unknown; errors?: GraphqlReply["errors"] })
            stop()
          },
          error: (e) => resolve({ errors: Array.isArray(e) ? (e as GraphqlReply["errors"]) : [{ message: String((e as { reason?: string }).reason ?? e) }] }),
          complete: () => undefined,
        },
      )
    })
  return { client, closed, connected, once, dispose: () => client.dispose() }
}

/**
 * A user with an account and its BTC and USD wallets, and a session from the
 * gateway's stand-in. The API has no production route that creates accounts
 * (in Flash the account is created when the user registers): the suite uses
 * the repository function /dev/session uses, against the stack's Mongo.
 */
export const createUser = async (stack: RunningProductionStack) => {
  const phone = randomPhone()
  const created = await AccountsRepository().findOrCreateByPhone(phone)
  if (created instanceof Error) throw created
  const session = await stack.sessions.issue(created.user.id)
  return { userId: created.user.id, accountId: created.account.id, btcWalletId: created.account.defaultWalletId as string, session }
}

/** A deposit into a wallet, as the Lightning adapter would credit one. */
export const deposit = async (walletId: string, sats: number) => {
  const transferId = `deposit-${randomUUID()}`
  const r = await LedgerRepository({ heads: off }).append({
    walletId: walletId as WalletId,
    amount: sats,
    entryKey: `credit:${transferId}`,
    transferId,
    kind: "external",
    currency: "BTC",
  })
  if (r instanceof Error) throw r
}

/** client_credentials at Hydra, through nginx (TLS), with HTTP Basic. */
export const exchange = async (stack: RunningProductionStack, t: { clientId: string; clientSecret: string }, scope?: string) => {
  const r = await call(stack, stack.urls.tokenEndpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(t.clientId)}:${encodeURIComponent(t.clientSecret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", ...(scope ? { scope } : {}) }).toString(),
  })
  const body = r.json() as { access_token?: string; error?: string }
  if (!body.access_token) throw new Error(`token request failed: ${r.status} ${r.text}`)
  return body.access_token
}

/** Polls until `probe` holds, with a generous deadline; the event, not a sleep. */
export const eventually = async (what: string, probe: () => Promise<boolean>, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}
