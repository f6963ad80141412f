// The query limits as the real API server applies them (createApiServer: the
// express chain and graphql-ws), on a schema whose resolvers count their
// calls: a refused operation runs none, on HTTP and on WebSocket. No stack:
// anonymous callers only, the in-process rate limiter, loopback.
import type { AddressInfo } from "node:net"
import { createClient } from "graphql-ws"
import { defaultFieldResolver, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema } from "graphql"
import WebSocket from "ws"
import type { PrincipalResolver } from "@/app/auth/resolve-principal"
import { loadConfig } from "@/config"
import { buildPublicSchema } from "@/graphql/public/schema"
import type { RemoteKeySet } from "@/services/jwks/remote-key-set"
import { createLogger } from "@/services/logger"
import { metrics } from "@/services/metrics"
import { createLocalInvalidationBus } from "@/services/invalidation"
import { createRateLimiter } from "@/services/rate-limit"
import { ApiServer, createApiServer } from "@/servers/graphql-main-server"
import { aliased, anonymousDefaultWallet, deepIntrospection, fragmentSpreads, transactionsWithBalances } from "../support/query-documents"

const LIMIT_NAMES = ["depth", "aliases", "rootFields", "cost", "tokens", "directives", "listSize"]

/** The public schema, every resolver (and subscribe) wrapped to count its calls. */
const countingSchema = () => {
  const schema: GraphQLSchema = buildPublicSchema()
  const calls = { n: 0 }
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType || type instanceof GraphQLInterfaceType) || type.name.startsWith("__")) continue
    for (const field of Object.values(type.getFields())) {
      const resolve = field.resolve ?? defaultFieldResolver
      field.resolve = (...args) => {
        calls.n += 1
        return resolve(...args)
      }
      const subscribe = field.subscribe
      if (subscribe) {
        field.subscribe = (...args) => {
          calls.n += 1
          return subscribe(...args)
        }
      }
    }
  }
  return { schema, calls }
}

const startServer = async (env: Record<string, string> = {}) => {
  const config = loadConfig({ TOKEN_HOOK_SECRET: "x".repeat(32), FLASH_DEV_MODE: "true", LOG_LEVEL: "silent", ...env })
  const { schema, calls } = countingSchema()
  const server: ApiServer = await createApiServer({
    config,
    logger: createLogger("silent"),
    schema,
    // Anonymous callers only: nothing here resolves a token.
    principals: { resolve: () => Promise.reject(new Error("no tokens in this test")) } as unknown as PrincipalResolver,
    hydraKeys: { ensureLoaded: () => Promise.resolve(true) } as unknown as RemoteKeySet,
    invalidations: createLocalInvalidationBus(),
    rateLimiter: await createRateLimiter(),
  })
  await new Promise<void>((resolve) => server.httpServer.listen(0, "127.0.0.1", resolve))
  const { port } = server.httpServer.address() as AddressInfo
  const http = `http://127.0.0.1:${port}/graphql`
  const post = async (query: string, variables?: Record<string, unknown>) => {
    const res = await fetch(http, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query, variables }) })
    return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown } }
  }
  const ws = createClient({ url: `ws://127.0.0.1:${port}/graphql`, webSocketImpl: WebSocket, retryAttempts: 0 })
  /** One operation over the WebSocket: its errors, or its first result. */
  const overWs = (query: string) =>
    new Promise<{ errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown }>((resolve, reject) => {
      const unsubscribe = ws.subscribe(
        { query },
        {
          next: (r) => {
            unsubscribe()
            resolve(r as { errors?: Array<{ message: string; extensions?: Record<string, unknown> }>; data?: unknown })
          },
          error: (e) => (Array.isArray(e) ? resolve({ errors: e as Array<{ message: string }> }) : reject(e as Error)),
          complete: () => undefined,
        },
      )
    })
  return {
    calls,
    http,
    post,
    overWs,
    stop: async () => {
      await ws.dispose()
      await server.stop()
    },
  }
}

const attacks: Array<[string, string]> = [
  ["200 aliases of me → transactions(first: 100) with balances", aliased(200, transactionsWithBalances)],
  ["300 aliases of the anonymous accountDefaultWallet", aliased(300, anonymousDefaultWallet)],
  ["2,000 aliases", aliased(2000, "globals { network }")],
  ["500 fragment spreads", fragmentSpreads(500)],
  ["a 40-level introspection", deepIntrospection(40)],
  ["6 copies of me → transactions(first: 100) (over the cost budget)", aliased(6, transactionsWithBalances)],
  ["transactions(first: 1000)", "{ me { defaultAccount { transactions(first: 1000) { edges { node { id } } } } } }"],
]

describe("query limits on the API's transports", () => {
  let s: Awaited<ReturnType<typeof startServer>>
  beforeAll(async () => {
    s = await startServer({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: "100000" })
  })
  afterAll(async () => s?.stop())

  it.each(attacks)("HTTP: refuses %s with 400 QUERY_TOO_COMPLEX, and no resolver runs", async (_name, query) => {
    const before = s.calls.n
    const r = await s.post(query)
    expect(r.status).toBe(400)
    expect(r.body.data).toBeUndefined()
    expect(r.body.errors).toHaveLength(1)
    const e = r.body.errors![0]!
    expect(e.extensions?.code).toBe("QUERY_TOO_COMPLEX")
    expect(LIMIT_NAMES).toContain(e.extensions?.limit)
    expect(e.message).toMatch(/^Query too complex: /)
    expect(e.message).not.toMatch(/Syntax Error/) // Armor's own wording does not leak
    expect(e.extensions?.stacktrace).toBeUndefined()
    expect(s.calls.n).toBe(before)
  })

  it.each(attacks)("WebSocket: refuses %s with that operation's QUERY_TOO_COMPLEX error, and no resolver runs", async (_name, query) => {
    const before = s.calls.n
    const r = await s.overWs(query)
    expect(r.data).toBeUndefined()
    expect(r.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX")
    expect(LIMIT_NAMES).toContain(r.errors?.[0]?.extensions?.limit)
    expect(s.calls.n).toBe(before)
  })

  it("answers the same limit and message on both transports", async () => {
    for (const [, query] of attacks) {
      const http = (await s.post(query)).body.errors?.[0]
      const ws = (await s.overWs(query)).errors?.[0]
      expect(http?.extensions?.code).toBe("QUERY_TOO_COMPLEX")
      expect({ message: ws?.message, limit: ws?.extensions?.limit }).toEqual({ message: http?.message, limit: http?.extensions?.limit })
    }
  })

  it("still runs a normal query's resolvers on both transports (the counter counts)", async () => {
    const before = s.calls.n
    const http = await s.post("{ me { id } }")
    expect(http.status).toBe(200)
    expect(http.body.errors?.[0]?.extensions?.code).not.toBe("QUERY_TOO_COMPLEX")
    expect(s.calls.n).toBe(before + 1) // me ran (and refused the anonymous caller)
    const ws = await s.overWs("{ me { id } }")
    expect(ws.errors?.[0]?.extensions?.code).not.toBe("QUERY_TOO_COMPLEX")
    expect(s.calls.n).toBe(before + 2)
  })

  it("counts each refusal by its limit in flashapi_graphql_queries_refused_total", async () => {
    const count = async (limit: string) =>
      (await metrics.queriesRefused.get()).values.find((v) => v.labels.limit === limit)?.value ?? 0
    const before = await count("listSize")
    await s.post("{ me { defaultAccount { transactions(first: 1000) { edges { node { id } } } } } }")
    await s.overWs("{ me { defaultAccount { transactions(last: 1000) { edges { node { id } } } } } }")
    expect(await count("listSize")).toBe(before + 2)
  })

  it("refuses a GET request's query string the same way", async () => {
    const before = s.calls.n
    const url = `${s.http}?query=${encodeURIComponent(aliased(300, anonymousDefaultWallet))}`
    const res = await fetch(url, { headers: { "apollo-require-preflight": "true" } })
    expect(res.status).toBe(400)
    const body = (await res.json()) as { errors: Array<{ extensions: Record<string, unknown> }> }
    expect(body.errors[0]?.extensions.code).toBe("QUERY_TOO_COMPLEX")
    expect(s.calls.n).toBe(before)
  })
})

describe("cost-weighted rate limits on the API's transports", () => {
  // 10 points a minute, 100 cost per point: this read costs 303 → 4 points.
  const expensive = "{ me { defaultAccount { transactions(first: 100) { edges { node { id } } } } } }"
  const cheap = "{ me { id } }"
  const env = { RATE_LIMIT_ANONYMOUS_PER_MINUTE: "10", RATE_LIMIT_COST_PER_POINT: "100" }

  it("HTTP: two expensive reads and two cheap ones spend the 10 points, once each; the next is 429 with Retry-After", async () => {
    const s = await startServer(env)
    try {
      expect((await s.post(expensive)).status).toBe(200) // 4
      expect((await s.post(expensive)).status).toBe(200) // 8
      expect((await s.post(cheap)).status).toBe(200) // 9
      expect((await s.post(cheap)).status).toBe(200) // 10
      const refused = await s.post(cheap)
      expect(refused.status).toBe(429)
      expect(refused.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS")
      expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(1)
    } finally {
      await s.stop()
    }
  })

  it("HTTP: a caller who spends its budget in few expensive reads is refused at the third, before its resolvers run", async () => {
    const s = await startServer(env)
    try {
      expect((await s.post(expensive)).status).toBe(200)
      expect((await s.post(expensive)).status).toBe(200)
      const before = s.calls.n
      const third = await s.post(expensive) // 1 point before the body is read (9), then 3 more: over 10
      expect(third.status).toBe(429)
      expect(third.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS")
      expect(s.calls.n).toBe(before)
    } finally {
      await s.stop()
    }
  })

  it("WebSocket: the same budget, spent the same way, refuses the same operation", async () => {
    const s = await startServer(env)
    try {
      expect((await s.overWs(expensive)).errors?.[0]?.extensions?.code).not.toBe("TOO_MANY_REQUESTS")
      expect((await s.overWs(expensive)).errors?.[0]?.extensions?.code).not.toBe("TOO_MANY_REQUESTS")
      expect((await s.overWs(cheap)).errors?.[0]?.extensions?.code).not.toBe("TOO_MANY_REQUESTS")
      expect((await s.overWs(cheap)).errors?.[0]?.extensions?.code).not.toBe("TOO_MANY_REQUESTS")
      const before = s.calls.n
      const refused = await s.overWs(cheap)
      expect(refused.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS")
      expect(s.calls.n).toBe(before)
    } finally {
      await s.stop()
    }
  })
})
