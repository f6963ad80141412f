// The reference client's close() is safe at any moment. A server that closes
// every socket with 4440 (token expired) keeps the client in its reconnect
// wait; stopping the last subscription there and closing must resolve, not
// throw graphql-ws's "All Subscriptions Gone" (the flake that once failed
// test/e2e/token-refresh.test.ts on a clean clone).
import { createServer, Server } from "node:http"
import { AddressInfo } from "node:net"
import { WebSocketServer } from "ws"
import { FlashClient } from "@/client/flash-client"

let http: Server
let wss: WebSocketServer
let base: string
let closedSockets = 0

beforeAll(async () => {
  http = createServer((req, res) => {
    // The OAuth2 token endpoint the client asks before each connect.
    res.setHeader("content-type", "application/json")
    res.end(JSON.stringify({ access_token: "at", token_type: "bearer", expires_in: 3600 }))
  })
  wss = new WebSocketServer({ server: http, handleProtocols: (protocols) => [...protocols][0] ?? false })
  wss.on("connection", (socket) => {
    socket.on("message", () => {
      closedSockets += 1
      socket.close(4440, "token expired")
    })
  })
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`
})

afterAll(async () => {
  for (const c of wss.clients) c.terminate()
  await new Promise((resolve) => wss.close(resolve))
  await new Promise((resolve) => http.close(resolve))
})

describe("FlashClient.close", () => {
  it("resolves when the last subscription stops while a reconnect after 4440 is waiting", async () => {
    const client = new FlashClient({
      apiUrl: `${base}/graphql`,
      tokenUrl: `${base}/oauth2/token`,
      clientId: "c",
      clientSecret: "s",
    })
    const errors: unknown[] = []
    const stop = client.subscribe("subscription { myUpdates { update { __typename } } }", {}, {
      next: () => undefined,
      error: (e) => errors.push(e),
      complete: () => undefined,
    })
    // The server has closed the first socket: the client now waits to retry.
    while (closedSockets === 0) await new Promise((r) => setTimeout(r, 10))
    await new Promise((r) => setTimeout(r, 20))
    stop()
    await expect(client.close()).resolves.toBeUndefined()
    expect(errors).toEqual([])
  })
})
