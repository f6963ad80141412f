// Prometheus metrics on a listener of their own (METRICS_HOST, default
// loopback; METRICS_PORT, 0 = off), never on the public API port: the scrape
// shows token-hook decisions, rejection reasons and process internals that an
// outsider has no business reading.
import { createServer, Server } from "node:http"
import { registry } from "@/services/metrics"

export type MetricsServer = { listen: () => Promise<void>; stop: () => Promise<void> }

export const createMetricsServer = (o: { host: string; port: number }): MetricsServer => {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0]
    if (req.method !== "GET" || path !== "/metrics") {
      res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { code: "NOT_FOUND", message: "No such route" } }))
      return
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(text),
      () => res.writeHead(500, { "content-type": "text/plain" }).end("metrics unavailable"),
    )
  })
  return {
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject)
        server.listen(o.port, o.host, () => resolve())
      }),
    stop: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
