// Revocation is effective at once although JWTs are self-contained: every API
// replica refuses an already-issued JWT soon after apiTokenRevoke (the bench measures the ≤ 1 s), and
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

/** Polls until the replica answers 401: the event itself, with a generous bound (the bench measures the 1 s). */
const refusedEventually = async (graphqlUrl: string, jwt: string, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if ((await statusAt(graphqlUrl, jwt)) === 401) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return false
}

describe("revocation", () => {
  let replica: Awaited<ReturnType<typeof startSecondApi>>
  beforeAll(async () => {
    expect(stack.urls.redis).toBeDefined() // fan-out between replicas goes through Redis
    replica = await startSecondApi()
  }, 90_000)
  afterAll(async () => replica?.stop())

  it("refuses an already-issued JWT on both API processes after apiTokenRevoke (npm run bench measures the ≤ 1 s)", async () => {
    const { session, token, jwt } = await merchantWithToken(["read"])
    expect(await statusAt(stack.urls.graphql, jwt)).toBe(200)
    expect(await statusAt(replica.graphql, jwt)).toBe(200) // both replicas have it cached now

    const revoked = await revokeApiToken(session.token, token.id)
    expect(revoked.errors).toEqual([])
    // The process that revoked refuses at once; the other one once Redis tells it.
    expect(await statusAt(stack.urls.graphql, jwt)).toBe(401)
    expect(await refusedEventually(replica.graphql, jwt)).toBe(true)
    // and Hydra issues no new token for it
    const again = await requestAccessToken(token)
    expect(again.status).toBeGreaterThanOrEqual(400)
  })

  it("closes a WebSocket authenticated with the token (4441) when the token is revoked, on any replica", async () => {
    const { session, token, jwt } = await merchantWithToken(["read"])
    let onConnected!: () => void
    const connected = new Promise<void>((r) => (onConnected = r))
    const closed = new Promise<number>((resolve) => {
      const client = createClient({
        url: replica.graphqlWs,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => undefined, // the close is what this test waits for
        connectionParams: { Authorization: `Bearer ${jwt}` },
        on: { connected: () => onConnected(), closed: (e) => resolve((e as WebSocket.CloseEvent).code) },
      })
      client.subscribe({ query: "subscription { myUpdates { __typename } }" }, { next: () => undefined, error: () => undefined, complete: () => undefined })
    })
    // Revoke once the server accepted the socket (no sleep: the connected event).
    await connected
    await revokeApiToken(session.token, token.id)
    expect(await closed).toBe(4441)
  })
})
