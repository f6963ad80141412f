// SIGTERM stops the API gracefully: it drains HTTP and WebSocket, flushes what
// it batches, disconnects, and exits 0 — well within the launcher's 10 s grace.
import http from "node:http"
import { createClient } from "graphql-ws"
import WebSocket from "ws"
import { startSecondApi } from "../support/second-api"

describe("API shutdown", () => {
  it("exits 0 on SIGTERM with a keep-alive HTTP connection and a WebSocket open", async () => {
    const api = await startSecondApi()
    const agent = new http.Agent({ keepAlive: true })
    await new Promise<void>((resolve, reject) => {
      const req = http.request(api.graphql, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
        res.resume()
        res.on("end", () => resolve())
      })
      req.on("error", reject)
      req.end(JSON.stringify({ query: "{ globals { network } }" }))
    })
    const closed = new Promise<number>((resolve) => {
      const client = createClient({
        url: api.graphqlWs,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        onNonLazyError: () => undefined,
        on: { closed: (e) => resolve((e as WebSocket.CloseEvent).code) },
      })
      void client
    })
    await new Promise((r) => setTimeout(r, 300))

    const started = Date.now()
    await api.process.stop(15_000)
    const code = await api.process.exited
    agent.destroy()
    expect(code).toBe(0)
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(await closed).toBe(1001) // graphql-ws "going away"
  })
})
