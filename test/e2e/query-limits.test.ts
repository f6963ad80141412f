// Query cost limits and rate limits on the running stack: the attack's
// documents are refused on HTTP and WebSocket (test/unit/query-limits-transports
// proves no resolver runs), what real clients send is not, and the session,
// anonymous and cost-weighted API-token limits refuse once spent (a second API
// process with small limits, on the same Mongo, Hydra and Redis).
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { merchantWithToken } from "../support/api-tokens"
import { btcpayPluginDocuments } from "../support/btcpay-plugin-documents"
import {
  aliased,
  anonymousDefaultWallet,
  deepIntrospection,
  fragmentSpreads,
  introspectionDocuments,
  postmanDocuments,
  tokenPageDocuments,
  transactionsWithBalances,
} from "../support/query-documents"
import { startSecondApi } from "../support/second-api"
import { devSession } from "../support/tokens"

const stack = testStack()
type GqlError = { message: string; extensions?: Record<string, unknown> }
type GqlBody = { data?: Record<string, unknown> | null; errors?: GqlError[] }

const post = async (url: string, query: string, bearer?: string, variables?: Record<string, unknown>) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
    body: JSON.stringify({ query, variables }),
  })
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: (await res.json()) as GqlBody }
}

/** Runs operations over one graphql-ws connection; each answers its first result or its errors. */
const wsClient = (url: string, bearer?: string) => {
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams: bearer ? { Authorization: `Bearer ${bearer}` } : {},
    retryAttempts: 0,
  })
  const run = (query: string) =>
    new Promise<GqlBody>((resolve, reject) => {
      const stop = client.subscribe(
        { query },
        {
          next: (r) => {
            stop()
            resolve(r as GqlBody)
          },
          error: (e) => (Array.isArray(e) ? resolve({ errors: e as GqlError[] }) : reject(e instanceof Error ? e : new Error(String(e)))),
          complete: () => undefined,
        },
      )
    })
  return { run, dispose: () => client.dispose() }
}

const attacks: Array<[string, string]> = [
  ["200 aliases of me → transactions(first: 100) with balances", aliased(200, transactionsWithBalances)],
  ["300 aliases of the anonymous accountDefaultWallet", aliased(300, anonymousDefaultWallet)],
  ["2,000 aliases", aliased(2000, "globals { network }")],
  ["500 fragment spreads", fragmentSpreads(500)],
  ["a 40-level introspection", deepIntrospection(40)],
  ["6 copies of me → transactions(first: 100) (the cost budget)", aliased(6, transactionsWithBalances)],
  ["transactions(first: 101) (the list-size cap)", "{ me { defaultAccount { transactions(first: 101) { edges { node { id } } } } } }"],
]

describe("query limits on the running stack", () => {
  let jwt: string
  let sessionToken: string
  beforeAll(async () => {
    const m = await merchantWithToken(["read", "receive"])
    jwt = m.jwt
    sessionToken = m.session.token
  })

  it.each(attacks)("refuses %s over HTTP, to an API token and to an anonymous caller alike", async (_name, query) => {
    for (const bearer of [jwt, undefined]) {
      const r = await post(stack.urls.graphql, query, bearer)
      expect(r.status).toBe(400)
      expect(r.body.data).toBeUndefined()
      expect(r.body.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX")
      expect(r.body.errors?.[0]?.extensions?.limit).toEqual(expect.any(String))
    }
  })

  it("refuses every one of them over WebSocket, operation by operation, on one connection that stays usable", async () => {
    const ws = wsClient(stack.urls.graphqlWs, jwt)
    try {
      for (const [, query] of attacks) {
        const r = await ws.run(query)
        expect(r.data).toBeUndefined()
        expect(r.errors?.[0]?.extensions?.code).toBe("QUERY_TOO_COMPLEX")
      }
      const ok = await ws.run("{ me { defaultAccount { id } } }")
      expect(ok.errors).toBeUndefined()
      expect((ok.data?.me as { defaultAccount: { id: string } }).defaultAccount.id).toEqual(expect.any(String))
    } finally {
      await ws.dispose()
    }
  })

  it("lets every document of the BTCPay plugin through with its API token (Flash's missing fields fail as before)", async () => {
    for (const d of btcpayPluginDocuments) {
      const r = await post(stack.urls.graphql, d.query, jwt)
      expect({ source: d.source, code: r.body.errors?.[0]?.extensions?.code }).not.toEqual({ source: d.source, code: "QUERY_TOO_COMPLEX" })
    }
    const history = btcpayPluginDocuments.find((d) => d.source.endsWith("(limit 100)"))!
    const r = await post(stack.urls.graphql, history.query, jwt)
    expect(r.status).toBe(200)
    expect(r.body.errors).toBeUndefined()
  })

  it("lets the token page's, Postman's and the introspection documents through with a user session", async () => {
    for (const d of [...tokenPageDocuments(), ...postmanDocuments(), ...introspectionDocuments()]) {
      const r = await post(stack.urls.graphql, d.query, sessionToken)
      expect({ source: d.source, code: r.body.errors?.[0]?.extensions?.code }).not.toEqual({ source: d.source, code: "QUERY_TOO_COMPLEX" })
    }
    const usage = tokenPageDocuments().find((d) => d.source.endsWith("Q.usage"))!
    const r = await post(stack.urls.graphql, usage.query, sessionToken, { tokenId: null })
    expect(r.status).toBe(200)
    expect(r.body.errors).toBeUndefined()
  })
})

describe("rate limits once spent (a second API with small limits)", () => {
  const LIMITS = {
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: "5",
    RATE_LIMIT_SESSION_PER_MINUTE: "5",
    RATE_LIMIT_API_TOKEN_PER_MINUTE: "20",
    RATE_LIMIT_COST_PER_POINT: "100",
  }
  let api: Awaited<ReturnType<typeof startSecondApi>>
  beforeAll(async () => {
    api = await startSecondApi(LIMITS)
  }, 180_000)
  afterAll(async () => api?.stop())

  const expectRefused = (r: Awaited<ReturnType<typeof post>>) => {
    expect(r.status).toBe(429)
    expect(r.body.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS")
    expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1)
  }

  it("refuses an anonymous caller after RATE_LIMIT_ANONYMOUS_PER_MINUTE requests, on HTTP and then on WebSocket", async () => {
    for (let i = 0; i < 5; i++) expect((await post(api.graphql, "{ globals { network } }")).status).toBe(200)
    expectRefused(await post(api.graphql, "{ globals { network } }"))
    const ws = wsClient(api.graphqlWs)
    try {
      const r = await ws.run("{ globals { network } }")
      expect(r.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS")
    } finally {
      await ws.dispose()
    }
  })

  it("refuses a user session after RATE_LIMIT_SESSION_PER_MINUTE requests, and only that user", async () => {
    const alice = await devSession()
    const bob = await devSession()
    for (let i = 0; i < 5; i++) expect((await post(api.graphql, "{ me { id } }", alice.token)).status).toBe(200)
    expectRefused(await post(api.graphql, "{ me { id } }", alice.token))
    const other = await post(api.graphql, "{ me { id } }", bob.token)
    expect(other.status).toBe(200)
    expect(other.body.errors).toBeUndefined()
  })

  it("weights an API token's requests by cost: 5 reads of 100 transactions (4 points each) spend what 20 cheap reads do", async () => {
    const expensive = "{ me { defaultAccount { transactions(first: 100) { edges { node { id } } } } } }" // cost 303
    const cheap = "{ me { defaultAccount { id } } }"
    const big = await merchantWithToken(["read"])
    for (let i = 0; i < 5; i++) {
      const r = await post(api.graphql, expensive, big.jwt)
      expect(r.status).toBe(200)
      expect(r.body.errors).toBeUndefined()
    }
    expectRefused(await post(api.graphql, cheap, big.jwt))

    const small = await merchantWithToken(["read"])
    for (let i = 0; i < 20; i++) expect((await post(api.graphql, cheap, small.jwt)).status).toBe(200)
    expectRefused(await post(api.graphql, cheap, small.jwt))
  })

  it("charges the weighted cost over WebSocket too", async () => {
    const expensive = "{ me { defaultAccount { transactions(first: 100) { edges { node { id } } } } } }"
    const m = await merchantWithToken(["read"])
    const ws = wsClient(api.graphqlWs, m.jwt)
    try {
      for (let i = 0; i < 5; i++) expect((await ws.run(expensive)).errors).toBeUndefined()
      const r = await ws.run("{ me { defaultAccount { id } } }")
      expect(r.errors?.[0]?.extensions?.code).toBe("TOO_MANY_REQUESTS")
    } finally {
      await ws.dispose()
    }
  })
})
