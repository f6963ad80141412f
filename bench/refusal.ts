// The bench row for query cost limits: how long the API takes to refuse the
// attack's amplification query (200 aliases of me → transactions(first: 100)
// with balances; 3.1 s to answer before the limits), sequentially over one
// keep-alive HTTP connection and over one WebSocket. Goal: p99 < 50 ms.
import { performance } from "node:perf_hooks"
import { createClient } from "graphql-ws"
import WebSocket from "ws"

const COPY =
  "me { defaultAccount { wallets { id balance } transactions(first: 100) { edges { node { id direction status settlementAmount settlementCurrency createdAt memo } } } } }"
export const AMPLIFICATION_QUERY = `{ ${Array.from({ length: 200 }, (_, i) => `a${i}: ${COPY}`).join(" ")} }`

type Refusal = { errors?: Array<{ extensions?: { code?: string } }> }

const WARM_UP = 20

/** Milliseconds per refusal over HTTP (each answer checked: 400, QUERY_TOO_COMPLEX). */
export const httpRefusalTimes = async (graphqlUrl: string, bearer: string, count: number): Promise<number[]> => {
  const body = JSON.stringify({ query: AMPLIFICATION_QUERY })
  const headers = { "content-type": "application/json", authorization: `Bearer ${bearer}` }
  const times: number[] = []
  for (let i = 0; i < WARM_UP + count; i++) {
    const t0 = performance.now()
    const res = await fetch(graphqlUrl, { method: "POST", headers, body })
    const answer = (await res.json()) as Refusal
    const ms = performance.now() - t0
    if (res.status !== 400 || answer.errors?.[0]?.extensions?.code !== "QUERY_TOO_COMPLEX") {
      throw new Error(`the amplification query was not refused: ${res.status} ${JSON.stringify(answer).slice(0, 200)}`)
    }
    if (i >= WARM_UP) times.push(ms)
  }
  return times
}

/** Milliseconds per refused operation over one graphql-ws connection. */
export const wsRefusalTimes = async (graphqlWsUrl: string, bearer: string, count: number): Promise<number[]> => {
  const client = createClient({
    url: graphqlWsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${bearer}` },
    retryAttempts: 0,
  })
  const once = () =>
    new Promise<Refusal>((resolve, reject) => {
      client.subscribe(
        { query: AMPLIFICATION_QUERY },
        {
          next: (r) => resolve(r as Refusal),
          error: (e) => (Array.isArray(e) ? resolve({ errors: e as Refusal["errors"] }) : reject(e instanceof Error ? e : new Error(String(e)))),
          complete: () => undefined,
        },
      )
    })
  const times: number[] = []
  try {
    for (let i = 0; i < WARM_UP + count; i++) {
      const t0 = performance.now()
      const answer = await once()
      const ms = performance.now() - t0
      if (answer.errors?.[0]?.extensions?.code !== "QUERY_TOO_COMPLEX") {
        throw new Error(`the amplification query was not refused over WebSocket: ${JSON.stringify(answer).slice(0, 200)}`)
      }
      if (i >= WARM_UP) times.push(ms)
    }
  } finally {
    await client.dispose()
  }
  return times
}
