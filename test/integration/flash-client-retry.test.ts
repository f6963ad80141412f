// The reference client's retry, against a local server that fails on cue: what
// a proxy answers when the process holding a request dies (502, or the
// connection cut). A query is sent again; a mutation only when repeating it is
// safe (an idempotencyKey in its variables, or the caller's `retry: true`);
// token requests too; a refusal is never retried.
import { createServer, IncomingMessage, Server } from "node:http"
import { AddressInfo } from "node:net"
import { FlashAuthError, FlashClient, RetryEvent } from "@/client/flash-client"

type Failure = "502" | "500" | "cut" | "401"
let server: Server
let base: string
const plan = { token: [] as Failure[], graphql: [] as Failure[] }
const seen = { token: 0, graphql: [] as string[] }

const bodyOf = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let b = ""
    req.on("data", (c: Buffer) => (b += c.toString()))
    req.on("end", () => resolve(b))
  })

beforeAll(async () => {
  server = createServer((req, res) => {
    void bodyOf(req).then((body) => {
      const isToken = req.url === "/oauth2/token"
      if (isToken) seen.token++
      else seen.graphql.push(body)
      const failure = (isToken ? plan.token : plan.graphql).shift()
      if (failure === "cut") return req.socket.destroy()
      if (failure === "502") {
        res.writeHead(502, { "content-type": "text/html" })
        return res.end("<html><body>502 Bad Gateway</body></html>")
      }
      if (failure === "500") {
        res.writeHead(500, { "content-type": "application/json" })
        return res.end(JSON.stringify({ errors: [{ message: "boom" }] }))
      }
      if (failure === "401") {
        res.writeHead(401, { "content-type": "application/json" })
        return res.end(JSON.stringify({ error: "invalid_client" }))
      }
      res.setHeader("content-type", "application/json")
      res.end(isToken ? JSON.stringify({ access_token: "at", token_type: "bearer", expires_in: 3600 }) : JSON.stringify({ data: { ok: true } }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => new Promise((resolve) => server.close(resolve)))

const client = () => {
  plan.token = []
  plan.graphql = []
  seen.token = 0
  seen.graphql = []
  const retries: RetryEvent[] = []
  const c = new FlashClient({ apiUrl: `${base}/graphql`, tokenUrl: `${base}/oauth2/token`, clientId: "c", clientSecret: "s", onRetry: (e) => retries.push(e) })
  return { c, retries }
}

const SEND = "mutation ($input: IntraLedgerPaymentSendInput!) { intraLedgerPaymentSend(input: $input) { status } }"

describe("the reference client's retry", () => {
  it("sends a query again after a 502 and after a cut connection, and answers its result", async () => {
    const { c, retries } = client()
    plan.graphql = ["502", "cut"]
    expect(await c.query("{ me { id } }")).toEqual({ data: { ok: true } })
    expect(seen.graphql).toHaveLength(3)
    expect(retries.map((r) => [r.kind, r.status, r.attempt])).toEqual([
      ["request", 502, 1],
      ["request", undefined, 2],
    ])
  })

  it("does not send a mutation without an idempotencyKey again: it answers the 502 as an error", async () => {
    const { c, retries } = client()
    plan.graphql = ["502"]
    const r = await c.mutate(SEND, { input: { walletId: "w", recipientWalletId: "v", amount: 1 } })
    expect(r.errors?.[0]?.message).toMatch(/HTTP 502/)
    expect(seen.graphql).toHaveLength(1)
    expect(retries).toEqual([])
  })

  it("sends a mutation with an idempotencyKey again, the same request, until it is answered", async () => {
    const { c } = client()
    plan.graphql = ["cut", "502"]
    const r = await c.mutate(SEND, { input: { walletId: "w", recipientWalletId: "v", amount: 1, idempotencyKey: "order-1" } })
    expect(r).toEqual({ data: { ok: true } })
    expect(seen.graphql).toHaveLength(3)
    expect(new Set(seen.graphql).size).toBe(1)
  })

  it("sends a mutation again when the caller says repeating it is safe", async () => {
    const { c } = client()
    plan.graphql = ["502"]
    expect(await c.mutate("mutation { lnInvoiceCreate(input: {}) { errors { code } } }", {}, { retry: true })).toEqual({ data: { ok: true } })
    expect(seen.graphql).toHaveLength(2)
  })

  it("gives up after its attempts, and never retries a 500", async () => {
    const { c } = client()
    plan.graphql = ["502", "502", "502", "502", "502"]
    expect((await c.query("{ me { id } }")).errors?.[0]?.message).toMatch(/HTTP 502/)
    expect(seen.graphql).toHaveLength(4)

    plan.graphql = ["500"]
    seen.graphql = []
    expect(await c.query("{ me { id } }")).toEqual({ errors: [{ message: "boom" }] })
    expect(seen.graphql).toHaveLength(1)
  })

  it("asks the token endpoint again after a 502 or a cut connection, but not after a refusal", async () => {
    const { c, retries } = client()
    plan.token = ["502", "cut"]
    expect(await c.accessToken()).toBe("at")
    expect(seen.token).toBe(3)
    expect(retries.map((r) => [r.kind, r.status])).toEqual([
      ["token", 502],
      ["token", undefined],
    ])

    const refused = client()
    plan.token = ["401"]
    await expect(refused.c.accessToken()).rejects.toThrow(FlashAuthError)
    expect(seen.token).toBe(1)
  })
})
