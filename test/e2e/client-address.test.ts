// One client address for HTTP and WebSocket (src/servers/client-address.ts):
// the token IP allowlist, the anonymous rate-limit key and the audit IP all
// take the address from it. X-Forwarded-For counts only when the socket's peer
// is a proxy listed in TRUST_PROXY; by default nobody is, and a loopback caller
// that sends the header is still just a loopback caller.
//
// Three APIs: the shared stack's (TRUST_PROXY unset), one more with TRUST_PROXY
// unset and a tiny anonymous limit, and one trusting 127.0.0.2 as its proxy.
// Linux routes all of 127/8 to loopback, so a request bound to local address
// 127.0.0.2 comes "from the proxy" and one from 127.0.0.1 from "anyone else".
import { request } from "node:http"
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { accessTokenFor, createApiToken } from "../support/api-tokens"
import { startSecondApi } from "../support/second-api"
import { devSession } from "../support/tokens"

const stack = testStack()
const ALLOWED = "203.0.113.7"
const QUERY = "{ me { defaultAccount { id } } }"
// Odd limits: the limiter's Redis keys carry the limit, so no other API shares these buckets.
const DEFAULT_API_ANON_LIMIT = 4
const PROXIED_API_ANON_LIMIT = 5
const DEFAULT_API_REFUSED_LIMIT = 3

type Answer = { status: number; body: { data?: unknown; errors?: Array<{ extensions?: { code?: string } }> } }

/** POST /graphql from a chosen local address, with chosen headers (fetch cannot bind a local address). */
const post = (url: string, body: unknown, o: { headers?: Record<string, string>; from?: string } = {}) =>
  new Promise<Answer>((resolve, reject) => {
    const payload = JSON.stringify(body)
    const req = request(
      url,
      {
        method: "POST",
        localAddress: o.from ?? "127.0.0.1",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...o.headers },
      },
      (res) => {
        let text = ""
        res.setEncoding("utf8")
        res.on("data", (c: string) => (text += c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] }))
      },
    )
    req.on("error", reject)
    req.end(payload)
  })

/**
 * A graphql-ws connection whose upgrade request comes from `from` with
 * `headers`; resolves with the query's result, or with the close code when the
 * server refuses the connection.
 */
const queryOverWs = (wsUrl: string, jwt: string, o: { headers?: Record<string, string>; from?: string } = {}) =>
  new Promise<{ result?: unknown; closeCode?: number }>((resolve, reject) => {
    class BoundWebSocket extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers: o.headers, localAddress: o.from ?? "127.0.0.1" })
      }
    }
    let result: unknown
    const client = createClient({
      url: wsUrl,
      webSocketImpl: BoundWebSocket,
      connectionParams: { Authorization: `Bearer ${jwt}` },
      retryAttempts: 0,
      lazy: false,
      // A refused connection is an expected outcome here, reported below: not logged.
      onNonLazyError: () => undefined,
      on: {
        closed: (e) => {
          const code = (e as WebSocket.CloseEvent).code
          if (code !== 1000) resolve({ closeCode: code })
        },
      },
    })
    client.subscribe(
      { query: QUERY },
      {
        next: (r) => (result = r),
        error: (e) => {
          // A refused connection_init reports the close event as the error.
          const code = (e as WebSocket.CloseEvent | undefined)?.code
          if (typeof code === "number") resolve({ closeCode: code })
          else reject(e instanceof Error ? e : new Error(JSON.stringify(e)))
          void client.dispose()
        },
        complete: () => {
          resolve({ result })
          void client.dispose()
        },
      },
    )
  })

const expectAllowed = (a: Answer) => {
  expect(a.status).toBe(200)
  expect(a.body.errors).toBeUndefined()
  expect(a.body.data).toEqual({ me: { defaultAccount: { id: expect.any(String) } } })
}
const expectRefused = (a: Answer) => {
  expect(a.status).toBe(401)
  expect(a.body.errors?.[0]?.extensions?.code).toBe("UNAUTHENTICATED")
}

let defaultApi: Awaited<ReturnType<typeof startSecondApi>>
let proxiedApi: Awaited<ReturnType<typeof startSecondApi>>
let onlyFromAllowedJwt: string
let onlyFromLoopbackJwt: string
let sessionToken: string

beforeAll(async () => {
  ;[defaultApi, proxiedApi] = await Promise.all([
    startSecondApi({ RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(DEFAULT_API_ANON_LIMIT), RATE_LIMIT_REFUSED_PER_MINUTE: String(DEFAULT_API_REFUSED_LIMIT) }),
    startSecondApi({ TRUST_PROXY: "127.0.0.2", RATE_LIMIT_ANONYMOUS_PER_MINUTE: String(PROXIED_API_ANON_LIMIT) }),
  ])
  const session = await devSession()
  sessionToken = session.token
  const allowed = await createApiToken(session.token, { scopes: ["read"], ipAllowlist: [ALLOWED] })
  const loopback = await createApiToken(session.token, { scopes: ["read"], ipAllowlist: ["127.0.0.1"] })
  ;[onlyFromAllowedJwt, onlyFromLoopbackJwt] = await Promise.all([accessTokenFor(allowed), accessTokenFor(loopback)])
}, 240_000)

afterAll(async () => {
  await Promise.all([defaultApi?.stop(), proxiedApi?.stop()])
})

describe("the IP allowlist over real HTTP and WebSocket", () => {
  it("answers a token called from an address on its allowlist, on both transports", async () => {
    expectAllowed(await post(stack.urls.graphql, { query: QUERY }, { headers: { authorization: `Bearer ${onlyFromLoopbackJwt}` } }))
    const ws = await queryOverWs(stack.urls.graphqlWs, onlyFromLoopbackJwt)
    expect(ws).toEqual({ result: { data: { me: { defaultAccount: { id: expect.any(String) } } } } })
  })

  it("refuses a token called from an address outside its allowlist, on both transports (HTTP 401, WebSocket 4403)", async () => {
    expectRefused(await post(stack.urls.graphql, { query: QUERY }, { headers: { authorization: `Bearer ${onlyFromAllowedJwt}` } }))
    expect(await queryOverWs(stack.urls.graphqlWs, onlyFromAllowedJwt)).toEqual({ closeCode: 4403 })
  })
})

describe("with TRUST_PROXY unset (the default)", () => {
  const spoofed = { "x-forwarded-for": ALLOWED }

  it("ignores a spoofed X-Forwarded-For over HTTP: the allowlisted address in the header does not let a loopback caller in", async () => {
    expectRefused(await post(stack.urls.graphql, { query: QUERY }, { headers: { ...spoofed, authorization: `Bearer ${onlyFromAllowedJwt}` } }))
    // ... and the header does not lock out the real, allowed address either.
    expectAllowed(
      await post(stack.urls.graphql, { query: QUERY }, { headers: { "x-forwarded-for": "198.51.100.1", authorization: `Bearer ${onlyFromLoopbackJwt}` } }),
    )
  })

  it("ignores a spoofed X-Forwarded-For on the WebSocket upgrade the same way", async () => {
    expect(await queryOverWs(stack.urls.graphqlWs, onlyFromAllowedJwt, { headers: spoofed })).toEqual({ closeCode: 4403 })
    expect(await queryOverWs(stack.urls.graphqlWs, onlyFromLoopbackJwt, { headers: { "x-forwarded-for": "198.51.100.1" } })).toEqual({
      result: { data: { me: { defaultAccount: { id: expect.any(String) } } } },
    })
  })

  it("keys the anonymous rate limit by the socket address: a new X-Forwarded-For per request does not buy a new budget", async () => {
    const statuses: number[] = []
    for (let i = 0; i <= DEFAULT_API_ANON_LIMIT; i++) {
      const a = await post(defaultApi.graphql, { query: "{ globals { network } }" }, { headers: { "x-forwarded-for": `198.51.100.${10 + i}` } })
      statuses.push(a.status)
    }
    expect(statuses).toEqual([...Array(DEFAULT_API_ANON_LIMIT).fill(200), 429])
  })

  it("charges credentials that do not authenticate to the caller's address: once that budget is spent, HTTP answers 429 and the WebSocket closes 4429, while a valid token from the same address still gets in", async () => {
    const from = "127.0.0.9"
    const forged = { authorization: "Bearer eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl" }
    const statuses: number[] = []
    for (let i = 0; i <= DEFAULT_API_REFUSED_LIMIT; i++) statuses.push((await post(defaultApi.graphql, { query: QUERY }, { from, headers: forged })).status)
    expect(statuses).toEqual([...Array(DEFAULT_API_REFUSED_LIMIT).fill(401), 429])
    // A revoked, leaked or guessed token does no better over the WebSocket.
    expect(await queryOverWs(defaultApi.graphqlWs, "not-a-token", { from })).toEqual({ closeCode: 4429 })
    // The budget is the refusals' own: anonymous calls and a valid token from that address are not held back.
    expect((await post(defaultApi.graphql, { query: "{ globals { network } }" }, { from })).status).toBe(200)
    const anywhere = await accessTokenFor(await createApiToken(sessionToken, { scopes: ["read"] }))
    expectAllowed(await post(defaultApi.graphql, { query: QUERY }, { from, headers: { authorization: `Bearer ${anywhere}` } }))
    // Another address has a budget of its own.
    expect((await post(defaultApi.graphql, { query: QUERY }, { from: "127.0.0.10", headers: forged })).status).toBe(401)
  })

  it("records the socket address, not the header, as the audit IP of a management call", async () => {
    const created = await post(
      stack.urls.graphql,
      {
        query: `mutation { apiTokenCreate(input: { name: "audit-ip-${Date.now()}", scopes: ["read"] }) { errors { code } apiToken { id } } }`,
      },
      { headers: { ...spoofed, authorization: `Bearer ${sessionToken}` } },
    )
    const id = (created.body.data as { apiTokenCreate: { apiToken: { id: string } } }).apiTokenCreate.apiToken.id
    const events = await post(
      stack.urls.graphql,
      { query: `query($id: ID) { apiTokenAuditEvents(tokenId: $id) { type ip } }`, variables: { id } },
      { headers: { authorization: `Bearer ${sessionToken}` } },
    )
    const list = (events.body.data as { apiTokenAuditEvents: Array<{ type: string; ip: string | null }> }).apiTokenAuditEvents
    expect(list).toContainEqual({ type: "API_TOKEN_CREATED", ip: "127.0.0.1" })
    expect(list.map((e) => e.ip)).not.toContain(ALLOWED)
  })
})

describe("with TRUST_PROXY listing the proxy", () => {
  const viaProxy = { from: "127.0.0.2" }

  it("honours the proxy's X-Forwarded-For over HTTP and WebSocket: the allowlisted client gets in, another does not", async () => {
    expectAllowed(
      await post(proxiedApi.graphql, { query: QUERY }, { ...viaProxy, headers: { "x-forwarded-for": ALLOWED, authorization: `Bearer ${onlyFromAllowedJwt}` } }),
    )
    expectRefused(
      await post(proxiedApi.graphql, { query: QUERY }, { ...viaProxy, headers: { "x-forwarded-for": "198.51.100.9", authorization: `Bearer ${onlyFromAllowedJwt}` } }),
    )
    expect(await queryOverWs(proxiedApi.graphqlWs, onlyFromAllowedJwt, { ...viaProxy, headers: { "x-forwarded-for": ALLOWED } })).toEqual({
      result: { data: { me: { defaultAccount: { id: expect.any(String) } } } },
    })
    expect(await queryOverWs(proxiedApi.graphqlWs, onlyFromAllowedJwt, { ...viaProxy, headers: { "x-forwarded-for": "198.51.100.9" } })).toEqual({
      closeCode: 4403,
    })
  })

  it("takes the rightmost untrusted hop: an address the client prepended is not read", async () => {
    // The client sent "X-Forwarded-For: 203.0.113.7"; the proxy appended the real peer.
    expectRefused(
      await post(proxiedApi.graphql, { query: QUERY }, {
        ...viaProxy,
        headers: { "x-forwarded-for": `${ALLOWED}, 198.51.100.9`, authorization: `Bearer ${onlyFromAllowedJwt}` },
      }),
    )
  })

  it("ignores the header when it comes from anyone but the listed proxy, on both transports", async () => {
    const fromElsewhere = { from: "127.0.0.1", headers: { "x-forwarded-for": ALLOWED } }
    expectRefused(
      await post(proxiedApi.graphql, { query: QUERY }, { ...fromElsewhere, headers: { ...fromElsewhere.headers, authorization: `Bearer ${onlyFromAllowedJwt}` } }),
    )
    expect(await queryOverWs(proxiedApi.graphqlWs, onlyFromAllowedJwt, fromElsewhere)).toEqual({ closeCode: 4403 })
  })

  it("keys the anonymous rate limit by the forwarded client: each client has its own budget", async () => {
    const client = (n: number) => ({ ...viaProxy, headers: { "x-forwarded-for": `198.51.100.${100 + n}` } })
    const q = { query: "{ globals { network } }" }
    // Clients 0..limit each send one request: all within their own budget.
    const distinct: number[] = []
    for (let i = 0; i <= PROXIED_API_ANON_LIMIT; i++) distinct.push((await post(proxiedApi.graphql, q, client(i))).status)
    expect(distinct).toEqual(Array(PROXIED_API_ANON_LIMIT + 1).fill(200))
    // One client over its budget is refused.
    const same: number[] = []
    for (let i = 0; i <= PROXIED_API_ANON_LIMIT; i++) same.push((await post(proxiedApi.graphql, q, client(50))).status)
    expect(same).toEqual([...Array(PROXIED_API_ANON_LIMIT).fill(200), 429])
  })
})
