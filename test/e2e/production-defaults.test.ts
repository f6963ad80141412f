// Safe defaults (issue 15, item 4), against real processes: introspection is
// off unless GRAPHQL_INTROSPECTION=true, on HTTP and WebSocket alike; no error
// carries a stack trace, even in development mode; metrics are served on their
// own listener and not on the API port.
//
// The shared stack turns introspection on (Postman, the tests); a second API
// here runs with NODE_ENV=development and GRAPHQL_INTROSPECTION unset, the mode
// in which Apollo would otherwise add `extensions.stacktrace` to every error.
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { parseMetrics } from "../support/metrics"
import { startSecondApi } from "../support/second-api"
import { devSession } from "../support/tokens"

const stack = testStack()

type GqlError = { message: string; extensions?: Record<string, unknown> }
type Body = { data?: unknown; errors?: GqlError[] }

const post = async (url: string, token: string, body: unknown) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  })
  return { status: res.status, body: (await res.json()) as Body }
}

/** One operation over graphql-ws: its result, or the errors the server sent for it. */
const overWs = (url: string, token: string, query: string) =>
  new Promise<Body>((resolve, reject) => {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${token}` }, retryAttempts: 0 })
    let result: Body | undefined
    client.subscribe(
      { query },
      {
        next: (r) => (result = r as Body),
        error: (e) => {
          void client.dispose()
          if (Array.isArray(e)) resolve({ errors: e as GqlError[] })
          else reject(e instanceof Error ? e : new Error(JSON.stringify(e)))
        },
        complete: () => {
          void client.dispose()
          resolve(result ?? {})
        },
      },
    )
  })

const INTROSPECTION = "{ __schema { queryType { name } } }"
const TYPE_INTROSPECTION = '{ __type(name: "Query") { fields { name } } }'

let devApi: Awaited<ReturnType<typeof startSecondApi>>
let session: string

beforeAll(async () => {
  // An empty value counts as unset: the API's own default applies.
  devApi = await startSecondApi({ NODE_ENV: "development", GRAPHQL_INTROSPECTION: "" })
  session = (await devSession()).token
}, 180_000)

afterAll(async () => {
  await devApi?.stop()
})

describe("introspection", () => {
  it("is refused over HTTP when GRAPHQL_INTROSPECTION is unset", async () => {
    for (const query of [INTROSPECTION, TYPE_INTROSPECTION]) {
      const res = await post(devApi.graphql, session, { query })
      expect(res.status).toBe(400)
      expect(res.body.data).toBeUndefined()
      expect(res.body.errors?.[0]?.extensions?.code).toBe("GRAPHQL_VALIDATION_FAILED")
      expect(res.body.errors?.[0]?.message).toMatch(/introspection/i)
    }
  })

  it("is refused over WebSocket when GRAPHQL_INTROSPECTION is unset", async () => {
    for (const query of [INTROSPECTION, TYPE_INTROSPECTION]) {
      const res = await overWs(devApi.graphqlWs, session, query)
      expect(res.data).toBeUndefined()
      expect(res.errors?.[0]?.message).toMatch(/introspection/i)
    }
  })

  it("still answers ordinary queries and __typename on both transports", async () => {
    const query = "{ __typename globals { network } }"
    expect((await post(devApi.graphql, session, { query })).body).toEqual({ data: { __typename: "Query", globals: { network: "regtest" } } })
    expect(await overWs(devApi.graphqlWs, session, query)).toEqual({ data: { __typename: "Query", globals: { network: "regtest" } } })
  })

  it("is answered where GRAPHQL_INTROSPECTION=true (the launcher and the test stack)", async () => {
    const res = await post(stack.urls.graphql, session, { query: INTROSPECTION })
    expect(res.body).toEqual({ data: { __schema: { queryType: { name: "Query" } } } })
    expect(await overWs(stack.urls.graphqlWs, session, INTROSPECTION)).toEqual({ data: { __schema: { queryType: { name: "Query" } } } })
  })
})

describe("errors in development mode", () => {
  const failing = [
    ["a validation error", "{ noSuchField }"],
    ["a syntax error", "{ globals { "],
    ["a bad variable", "query($n: Int!) { apiTokenAuditEvents(first: $n) { id } }"],
  ] as const

  it.each(failing)("carry no extensions.stacktrace over HTTP: %s", async (_name, query) => {
    const res = await post(devApi.graphql, session, { query, variables: { n: "not a number" } })
    expect(res.body.errors?.length).toBeGreaterThan(0)
    for (const e of res.body.errors ?? []) expect(e.extensions ?? {}).not.toHaveProperty("stacktrace")
    expect(JSON.stringify(res.body)).not.toMatch(/node_modules|\/src\//)
  })

  it("carry no stack trace over WebSocket", async () => {
    const res = await overWs(devApi.graphqlWs, session, "{ noSuchField }")
    expect(res.errors?.length).toBeGreaterThan(0)
    for (const e of res.errors ?? []) expect(e.extensions ?? {}).not.toHaveProperty("stacktrace")
    expect(JSON.stringify(res)).not.toMatch(/node_modules|\/src\//)
  })
})

describe("metrics", () => {
  it("are absent from the API port (404) and served on their own listener", async () => {
    for (const api of [stack.urls.api, devApi.url]) {
      const res = await fetch(`${api}/metrics`)
      expect(res.status).toBe(404)
      expect(await res.text()).not.toContain("flashapi_")
    }
    expect(stack.urls.metrics).toBeDefined()
    expect(devApi.metrics).toBeDefined()
    for (const listener of [stack.urls.metrics!, devApi.metrics!]) {
      expect(listener).not.toBe(stack.urls.api)
      const res = await fetch(`${listener}/metrics`)
      expect(res.status).toBe(200)
      expect(res.headers.get("content-type")).toMatch(/^text\/plain/)
      const samples = parseMetrics(await res.text())
      expect([...samples.keys()].some((k) => k.startsWith("flashapi_http_request_duration_seconds_bucket"))).toBe(true)
    }
  })

  it("answer nothing else on the metrics listener", async () => {
    expect((await fetch(`${stack.urls.metrics}/graphql`)).status).toBe(404)
    expect((await fetch(`${stack.urls.metrics}/metrics`, { method: "POST" })).status).toBe(404)
  })
})
