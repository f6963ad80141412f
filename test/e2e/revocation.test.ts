// Revocation is effective at once although JWTs are self-contained: every API
// replica refuses an already-issued JWT within a second of apiTokenRevoke, and
// a WebSocket authenticated with the token is closed with 4441.
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { merchantWithToken, requestAccessToken, revokeApiToken } from "../support/api-tokens"
import { startSecondApi } from "../support/second-api"

const stack = testStack()
const meQuery = JSON.stringify({ query: "{ me { defaultAccount { id } } }" })

const statusAt = async (graphqlUrl: string, jwt: string) =>
  (await fetch(graphqlUrl, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` }, body: meQuery }))
    .status

const refusedWithin = async (graphqlUrl: string, jwt: string, ms: number) => {
  const started = Date.now()
  while (Date.now() - started < ms) {
    if ((await statusAt(graphqlUrl, jwt)) === 401) return Date.now() - started
    await new Promise((r) => setTimeout(r, 25))
  }
  return Infinity
}

describe("revocation", () => {
  let replica: Awaited<ReturnType<typeof startSecondApi>>
  beforeAll(async () => {
    expect(stack.urls.redis).toBeDefined() // fan-out between replicas goes through Redis
    replica = await startSecondApi()
  }, 90_000)
  afterAll(async () => replica?.stop())

  it("refuses an already-issued JWT on both API processes within 1 s of apiTokenRevoke", async () => {
    const { session, token, jwt } = await merchantWithToken(["read"])
    expect(await statusAt(stack.urls.graphql, jwt)).toBe(200)
    expect(await statusAt(replica.graphql, jwt)).toBe(200) // both replicas have it cached now

    const revoked = await revokeApiToken(session.token, token.id)
    expect(revoked.errors).toEqual([])
    const [here, there] = await Promise.all([
      refusedWithin(stack.urls.graphql, jwt, 1000),
      refusedWithin(replica.graphql, jwt, 1000),
    ])
    expect(here).toBeLessThan(1000)
    expect(there).toBeLessThan(1000)
    // and Hydra issues no new token for it
    const again = await requestAccessToken(token)
    expect(again.status).toBeGreaterThanOrEqual(400)
  })

  it("closes a WebSocket authenticated with the token (4441) when the token is revoked, on any replica", async () => {
    const { session, token, jwt } = await merchantWithToken(["read"])
    const closed = new Promise<number>((resolve) => {
      const client = createClient({
        url: replica.graphqlWs,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => undefined, // the close is what this test waits for
        connectionParams: { Authorization: `Bearer ${jwt}` },
        on: { closed: (e) => resolve((e as WebSocket.CloseEvent).code) },
      })
      client.subscribe({ query: "subscription { myUpdates { __typename } }" }, { next: () => undefined, error: () => undefined, complete: () => undefined })
    })
    await new Promise((r) => setTimeout(r, 300))
    await revokeApiToken(session.token, token.id)
    expect(await closed).toBe(4441)
  })
})
