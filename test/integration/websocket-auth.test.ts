// Authentication on the WebSocket transport (graphql-ws, connection_init payload).
import { createClient, Client } from "graphql-ws"
import WebSocket from "ws"
import { testStack } from "../harness/stack-state"
import { devSession, now, sessionIssuer, signWithDevKey } from "../support/tokens"

const stack = testStack()

type Closed = { code: number; reason: string }

const connect = (connectionParams: Record<string, unknown>) => {
  let closed: (c: Closed) => void = () => undefined
  const closedPromise = new Promise<Closed>((r) => (closed = r))
  const client: Client = createClient({
    url: stack.urls.graphqlWs,
    webSocketImpl: WebSocket,
    connectionParams,
    retryAttempts: 0,
    lazy: false,
    on: { closed: (e) => closed({ code: (e as WebSocket.CloseEvent).code, reason: (e as WebSocket.CloseEvent).reason }) },
  })
  return { client, closed: closedPromise }
}

const queryOver = (client: Client, query: string) =>
  new Promise<unknown>((resolve, reject) => {
    let result: unknown
    client.subscribe({ query }, { next: (r) => (result = r), error: reject, complete: () => resolve(result) })
  })

describe("authentication over WebSocket", () => {
  it("accepts a user session in connection_init (Authorization or authorization)", async () => {
    const { token } = await devSession()
    for (const key of ["Authorization", "authorization"]) {
      const { client } = connect({ [key]: `Bearer ${token}` })
      expect(await queryOver(client, "{ globals { network } }")).toEqual({ data: { globals: { network: "regtest" } } })
      await client.dispose()
    }
  })

  it("closes the connection with 4403 when connection_init carries a bad token", async () => {
    const forged = await signWithDevKey({ iss: "https://evil.example", sub: "u", iat: now(), exp: now() + 60 })
    const { client, closed } = connect({ Authorization: `Bearer ${forged}` })
    expect((await closed).code).toBe(4403)
    await client.dispose()
  })

  it("closes the socket with 4440 when the token expires, so the client reconnects with a fresh one", async () => {
    const { userId } = await devSession()
    const shortLived = await signWithDevKey({ iss: sessionIssuer(), sub: userId, iat: now(), exp: now() + 2 })
    const { client, closed } = connect({ Authorization: `Bearer ${shortLived}` })
    expect(await queryOver(client, "{ globals { network } }")).toEqual({ data: { globals: { network: "regtest" } } })
    expect(await closed).toEqual({ code: 4440, reason: "Token expired: reconnect with a fresh token" })
    await client.dispose()
  })
})
