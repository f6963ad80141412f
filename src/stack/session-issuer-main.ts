// The production profile's stand-in for Flash's gateway (Oathkeeper's id_token
// mutator): its own process and RS256 key, publishing GET /.well-known/jwks.json
// and minting user-session JWTs (`sub` = user id) on POST /sessions {"userId"}.
// The API trusts it through SESSION_ISSUER / SESSION_JWKS_URL, as it would
// trust the gateway; the API's own /dev issuer is off in production.
// It listens on loopback only: minting on request is what a login would do.
import { createServer } from "node:http"
import { createDevSessionIssuer } from "@/services/dev-session/issuer"

const port = Number(process.env.SESSION_ISSUER_PORT)
const dataDir = process.env.SESSION_ISSUER_DATA_DIR
if (!Number.isInteger(port) || port < 1 || !dataDir) {
  console.error("[session-issuer] SESSION_ISSUER_PORT and SESSION_ISSUER_DATA_DIR are required")
  process.exit(2)
}
const issuerUrl = `http://127.0.0.1:${port}`

const main = async () => {
  const issuer = await createDevSessionIssuer({ dataDir, issuer: issuerUrl })
  const server = createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" })
      res.end(JSON.stringify(body))
    }
    if (req.method === "GET" && req.url === "/.well-known/jwks.json") return answer(200, issuer.jwks())
    if (req.method === "GET" && req.url === "/healthz") return answer(200, { status: "ok" })
    if (req.method !== "POST" || req.url !== "/sessions") return answer(404, { error: "not found" })
    let raw = ""
    req.on("data", (c: Buffer) => {
      raw += c.toString()
      if (raw.length > 4096) req.destroy()
    })
    req.on("end", () => {
      let userId: unknown
      try {
        userId = (JSON.parse(raw) as { userId?: unknown }).userId
      } catch {
        userId = undefined
      }
      if (typeof userId !== "string" || userId.length === 0 || userId.length > 100) return answer(400, { error: "userId required" })
      void issuer.issue(userId).then(
        ({ token, expiresAt }) => answer(200, { token, expiresAt: expiresAt.toISOString() }),
        () => answer(500, { error: "could not sign" }),
      )
    })
  })
  server.listen(port, "127.0.0.1", () => console.error(`[session-issuer] listening on ${issuerUrl}`))
  const stop = () => server.close(() => process.exit(0))
  process.on("SIGTERM", stop)
  process.on("SIGINT", stop)
}

main().catch((e: unknown) => {
  console.error("[session-issuer] failed:", e instanceof Error ? e.message : e)
  process.exit(1)
})
